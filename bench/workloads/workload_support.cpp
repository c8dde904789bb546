// workload_support.cpp: see workload_support.hpp.
#include "bench/workloads/workload_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <thread>

#include "core/alloc.hpp"
#include "perf/clock.hpp"
#include "perf/machine.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {

void reset_peak_rss() {
  core::release_free_memory();
  std::ofstream("/proc/self/clear_refs") << "5";
}

uint64_t read_peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return perf::peak_rss_bytes();
}

std::atomic<bool>& abort_current_run() noexcept {
  static std::atomic<bool> flag{false};
  return flag;
}

bool fault_hook_send_slow_path(FaultHook& hook) noexcept {
  if (const uint64_t us = hook.slow_send_us.load(std::memory_order_relaxed); us > 0)
    std::this_thread::sleep_for(std::chrono::microseconds(us));
  const uint64_t nth = hook.drop_at.load(std::memory_order_relaxed);
  if (nth == 0) return false;
  if (hook.sends.fetch_add(1, std::memory_order_relaxed) + 1 != nth) return false;
  hook.dropped.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Verdict watch_verdict(const RunWatch& watch, std::chrono::milliseconds running,
                      std::chrono::milliseconds since_progress) noexcept {
  if (since_progress >= watch.stall) return Verdict::kStalled;
  if (running >= watch.run_limit) return Verdict::kTooSlow;
  return Verdict::kPassed;  // no objection: keep waiting
}

namespace {

using Clock = std::chrono::steady_clock;

// 4521003 -> "4,521,003".
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string progress_text(uint64_t messages, const Probe& probe) {
  if (probe.progress) return grouped(messages) + " of the workload's own progress count";
  std::string text = grouped(messages) + " messages dispatched";
  if (probe.expected_messages > 0) text += " of about " + grouped(probe.expected_messages);
  return text;
}

// Spawns the registry refused (the runtime's count; the probe's flag for a
// workload that noticed one the count does not show).
uint64_t spawns_refused(const core::RuntimeStats& stats, const Probe& probe) {
  const uint64_t counted = stats.get("spawn_failures");
  return counted > 0 ? counted : (probe.spawn_failed.load(std::memory_order_relaxed) ? 1 : 0);
}

std::string refused_text(uint64_t refused, const core::Config& config, bool in_setup) {
  return fmt::format("{}: {} spawn{} refused, the actor registry is full (--max-actors={}); "
                     "raise --max-actors",
                     in_setup ? "set-up refused" : "spawn refused while running", refused,
                     refused == 1 ? "" : "s", config.max_actors);
}

}  // namespace

WorkloadResult run_on_engine(const core::Config& config, const RunWatch& watch,
                             const std::function<void(core::Engine&, Probe&)>& body) {
  reset_peak_rss();
  Probe probe;
  auto engine = sched::make_engine(config);
  const uint64_t cpu_before = perf::process_cpu_ns();
  body(*engine, probe);
  WorkloadResult r;
  std::optional<int64_t> done;
  Verdict cut = Verdict::kPassed;  // kPassed: the run was not cut
  uint64_t refused = spawns_refused(engine->runtime().stats(), probe);
  const bool refused_in_setup = refused > 0;
  uint64_t progress = 0;
  const Clock::time_point started = Clock::now();
  Clock::time_point last_move = started;
  if (refused_in_setup) {
    cut = Verdict::kRefused;  // not started: nothing it could do would help
  } else {
    if (watch.trace != nullptr) engine->attach_trace(*watch.trace);  // after body() added the services
    engine->start();
    // Waits in slices: each ends with a look at the progress count, the
    // refused spawns and Ctrl-C (a second one ends the run at once).
    constexpr auto kSlice = std::chrono::milliseconds(50);
    for (;;) {
      done = engine->wait_done(kSlice);
      if (done) break;
      if (abort_current_run().load(std::memory_order_relaxed)) {
        cut = Verdict::kInterrupted;
        break;
      }
      const core::RuntimeStats stats = engine->runtime().stats();  // one snapshot a slice
      const uint64_t now_progress = probe.progress ? probe.progress() : stats.get("messages");
      const Clock::time_point now = Clock::now();
      if (now_progress != progress) progress = now_progress, last_move = now;
      if ((refused = spawns_refused(stats, probe)) > 0) {
        cut = Verdict::kRefused;
        break;
      }
      cut = watch_verdict(watch, std::chrono::duration_cast<std::chrono::milliseconds>(now - started),
                          std::chrono::duration_cast<std::chrono::milliseconds>(now - last_move));
      if (cut != Verdict::kPassed) break;
    }
  }
  const Clock::time_point ended = Clock::now();
  const uint64_t cpu_after = perf::process_cpu_ns();
  engine->stop();
  if (probe.after_stop) probe.after_stop();
  r.cpu_ns = cpu_after - cpu_before;
  r.peak_rss_bytes = read_peak_rss();
  for (const auto& [name, value] : engine->stats().values) r.counters[name] = static_cast<double>(value);
  if (done && cut == Verdict::kPassed && (refused = spawns_refused(engine->runtime().stats(), probe)) > 0)
    cut = Verdict::kRefused;
  engine.reset();
  r.verdict = cut;
  switch (cut) {
    case Verdict::kInterrupted:
      r.error = "interrupted";
      return r;
    case Verdict::kRefused:
      r.error = refused_text(refused, config, refused_in_setup);
      if (!probe.error.empty()) r.error += " (the workload: " + probe.error + ")";
      return r;
    case Verdict::kStalled:
      r.error = fmt::format("stalled: no {} for {:.1f} s (--stall); last progress: {} after {:.1f} s",
                            probe.progress ? "progress" : "message dispatched", seconds(ended - last_move), progress_text(progress, probe), seconds(last_move - started));
      return r;
    case Verdict::kTooSlow:
      r.error = fmt::format("too slow: cut by --run-limit after {:.1f} s while still making progress "
                            "(not a lost message); {}, the last {:.1f} s ago",
                            seconds(ended - started), progress_text(progress, probe), seconds(ended - last_move));
      return r;
    case Verdict::kPassed:
    case Verdict::kFailed:
      break;
  }
  r.ok = probe.error.empty();
  r.verdict = r.ok ? Verdict::kPassed : Verdict::kFailed;
  r.error = probe.error;
  r.operations = probe.operations;
  r.wall_ns = probe.end_ns - probe.start_ns;
  if (probe.latency.count() > 0) r.latency = std::move(probe.latency);
  return r;
}

}  // namespace actorlab::bench
