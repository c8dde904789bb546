// workload_support.cpp: see workload_support.hpp.
#include "bench/workload_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>

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

WorkloadResult run_on_engine(const core::Config& config,
                             const std::function<void(core::Engine&, Probe&)>& body,
                             std::chrono::seconds limit) {
  std::chrono::milliseconds wait_limit = limit;
  if (const int64_t ms = fault_hook().stall_limit_ms.load(std::memory_order_relaxed); ms > 0)
    wait_limit = std::min(wait_limit, std::chrono::milliseconds(ms));
  reset_peak_rss();
  Probe probe;
  auto engine = sched::make_engine(config);
  const uint64_t cpu_before = perf::process_cpu_ns();
  body(*engine, probe);
  engine->start();
  // Waits in slices so that a second Ctrl-C (abort_current_run) ends the run at once.
  constexpr auto kSlice = std::chrono::milliseconds(50);
  std::optional<int64_t> done;
  bool aborted = false;
  for (auto waited = std::chrono::milliseconds(0); waited < wait_limit; waited += kSlice) {
    done = engine->wait_done(std::min(kSlice, wait_limit - waited));
    if (done) break;
    if (abort_current_run().load(std::memory_order_relaxed)) {
      aborted = true;
      break;
    }
  }
  const uint64_t cpu_after = perf::process_cpu_ns();
  engine->stop();
  WorkloadResult r;
  r.cpu_ns = cpu_after - cpu_before;
  r.peak_rss_bytes = read_peak_rss();
  for (const auto& [name, value] : engine->stats().values) r.counters[name] = static_cast<double>(value);
  engine.reset();
  if (aborted) {
    r.error = "interrupted";
    return r;
  }
  if (!done) {
    r.error = fmt::format("timed out after {:.1f} s: a message was lost or the run stalled",
                          static_cast<double>(wait_limit.count()) / 1000.0);
    return r;
  }
  if (probe.spawn_failed.load() && probe.error.empty())
    probe.error = "spawn failed: registry full (raise --max-actors)";
  r.ok = probe.error.empty();
  r.error = probe.error;
  r.operations = probe.operations;
  r.wall_ns = probe.end_ns - probe.start_ns;
  if (probe.latency.count() > 0) r.latency = std::move(probe.latency);
  return r;
}

}  // namespace actorlab::bench
