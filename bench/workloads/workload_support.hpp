// workload_support.hpp: what every workload file shares: the Probe its
// actors report into and run_on_engine(), which builds a fresh engine, runs
// a body on it, watches the run and fills the common result fields (CPU
// time, peak RSS, runtime counters, the verdict).
//
// The watch is about progress, not time: while it waits, run_on_engine
// samples the engine's count of dispatched messages every 50 ms and fails
// the run as stalled only when that count did not move for RunWatch::stall;
// a slow run that keeps moving runs on until RunWatch::run_limit, and is
// then reported as too slow, not as lost. A refused spawn (in the body or
// while running) ends the run at once as refused, naming --max-actors.
// Threads: run_on_engine runs on the main thread; actors write the Probe
// only before they call signal_done(), whose mutex orders those writes
// before wait_done() returns (spawn_failed, written any time, is atomic);
// the counters it samples are relaxed per-worker words (core/counters.hpp).
//
// Two process-wide switches live here, the exception to "no globals" because
// neither has an engine to hang on: the test-only FaultHook (workloads send
// through send_or_drop(), which drops the Nth send, or slows every send,
// when a test arms it) and the interrupt flag a SIGINT handler sets
// (run_on_engine gives up the current run when it is raised). Orderings:
// see each.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "bench/workloads/workload.hpp"
#include "core/actor.hpp"
#include "core/engine.hpp"
#include "perf/histogram.hpp"

namespace actorlab::bench {

// What the actors of one run report back to the harness.
struct Probe {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint64_t operations = 0;
  std::string error;
  perf::LatencyHistogram latency;
  std::atomic<bool> spawn_failed{false};  // any actor may set it
  // Set by the body (before start) when known: the messages a complete run
  // dispatches, so a stall can say how far it got ("... of about N").
  uint64_t expected_messages = 0;
  // Set by the body (before start) for a workload whose background traffic
  // does not count toward completion (skewed's flood goes on until every cold
  // client is done): the watch samples this instead of messages dispatched,
  // so a lost cold request still ends as "stalled". Called on the watching
  // thread every 50 ms; it must read only atomics.
  std::function<uint64_t()> progress;
  // Set by the body when it starts a thread that uses the engine: run after
  // engine->stop() and before the engine is destroyed (e.g. join that
  // thread, which sees its connections close), also when the run is cut.
  std::function<void()> after_stop;
};

// Test-only fault injection: when drop_at is N > 0, the Nth call of
// send_or_drop() in this process (counting from the arming) does not send,
// so a test can check that every workload's self-check (or the stall
// watch) notices a lost message; when slow_send_us is > 0, every send first
// sleeps that long, so a test can check that a slow but steady run is not
// taken for a stalled one. Inert (one relaxed load of a never-written word
// per send) unless a test arms it. Orderings: all relaxed; the test arms it
// before the engine starts (thread creation orders that) and reads
// `dropped` after stop() (joining orders that); concurrent senders only
// need fetch_add's atomicity so that exactly one send is the Nth.
struct FaultHook {
  std::atomic<uint64_t> drop_at{0};   // 0: inert
  std::atomic<uint64_t> sends{0};     // sends counted since arming
  std::atomic<uint64_t> dropped{0};   // sends dropped (0 or 1)
  std::atomic<uint64_t> slow_send_us{0};  // > 0: every send sleeps this long first
  std::atomic<bool> armed{false};     // either of the above is set (the one word a send reads)

  void arm(uint64_t nth) noexcept {
    sends.store(0, std::memory_order_relaxed);
    dropped.store(0, std::memory_order_relaxed);
    drop_at.store(nth, std::memory_order_relaxed);
    armed.store(true, std::memory_order_relaxed);
  }
  void slow_sends(std::chrono::microseconds each) noexcept {
    slow_send_us.store(static_cast<uint64_t>(each.count()), std::memory_order_relaxed);
    armed.store(true, std::memory_order_relaxed);
  }
  void disarm() noexcept {
    armed.store(false, std::memory_order_relaxed);
    drop_at.store(0, std::memory_order_relaxed);
    slow_send_us.store(0, std::memory_order_relaxed);
  }
};

inline FaultHook& fault_hook() noexcept {
  static FaultHook hook;
  return hook;
}

// True when the fault hook says this send is the one to lose (after the
// slowed hook's sleep). The armed path is out of line: tests only.
bool fault_hook_send_slow_path(FaultHook& hook) noexcept;
inline bool fault_drops_this_send() noexcept {
  FaultHook& hook = fault_hook();
  if (!hook.armed.load(std::memory_order_relaxed)) [[likely]]
    return false;
  return fault_hook_send_slow_path(hook);
}

// Every workload message goes through here (not through ctx.send directly)
// so the fault hook can lose it.
template <class T>
inline core::SendStatus send_or_drop(core::Context& ctx, core::ActorId to, uint32_t type, const T& value,
                                     uint32_t session = 0) {
  if (fault_drops_this_send()) [[unlikely]]
    return core::SendStatus::kOk;  // pretend it went: only the self-check may notice
  return ctx.send(to, type, value, session);
}

// The same for a timeout the workload asks for (a lost timeout is a lost
// message: the timer service never sees it).
inline bool timeout_or_drop(core::Context& ctx, std::chrono::nanoseconds delay, uint32_t session) {
  if (fault_drops_this_send()) [[unlikely]]
    return true;
  return ctx.timeout(delay, session);
}

// The interrupt flag: set from a SIGINT handler (bench/cli/interrupt.cpp) to end
// the current run at once; run_on_engine polls it while waiting and fails
// the run with "interrupted". Relaxed: a flag read in a polling loop, it
// guards no data.
std::atomic<bool>& abort_current_run() noexcept;

// Resets the kernel's peak-RSS mark so the run's own peak can be read.
void reset_peak_rss();
uint64_t read_peak_rss();

// Builds an engine for `config`, calls body(engine, probe) to spawn the
// first actors (and attach services), starts it and waits for signal_done
// under `watch` (see the top of this file). A refused spawn, a stall, the
// run limit or a non-empty probe.error fails the run.
WorkloadResult run_on_engine(const core::Config& config, const RunWatch& watch,
                             const std::function<void(core::Engine&, Probe&)>& body);

// The watch's verdict on one sample, given how long the run has gone and
// how long since the progress count last moved (pure: for the tests).
Verdict watch_verdict(const RunWatch& watch, std::chrono::milliseconds running,
                      std::chrono::milliseconds since_progress) noexcept;

// A workload whose only parameter is the count: adapts its
// run(config, count, watch) to Workload::run.
inline std::function<WorkloadResult(const core::Config&, const WorkloadParams&)> count_only(
    WorkloadResult (*run)(const core::Config&, uint64_t, const RunWatch&)) {
  return [run](const core::Config& config, const WorkloadParams& params) {
    return run(config, params.count, params.watch);
  };
}

// Workload::check for a workload that accepts any count of at least 1.
inline void check_count_positive(const WorkloadParams& params) {
  if (params.count == 0) throw core::ConfigError("count: must be at least 1");
}

}  // namespace actorlab::bench
