// timers.cpp: `timers`, many actors with short timeouts.
//
// A actors (`actors`) each keep one timeout of D microseconds (`delay-us`)
// in flight: on arrival an actor re-arms with a fresh session, until `count`
// timeouts have fired in total (a shared ticket counter hands out exactly
// count arms). Measures the timer path end to end: add from a worker, the
// timer thread's wake-up and wheel, the send back that wakes a worker.
//   throughput: timeouts per second of wall time (first arm to last arrival);
//   latency:    lateness, fire time minus intended deadline (arm time + D),
//               every timeout; it includes the rounding up to a tick
//               (--timer-tick), the thread's wake-up and the dispatch.
// Self-check: each arrival must carry the session its actor has in flight
// (so none is lost, duplicated or foreign), none may arrive before its
// deadline, and the timer service must count exactly `count` fired and none
// dropped. Nothing is dispatched while every actor waits for its timeout,
// so the run's stall window (--stall) is widened to two delays + 1 s.
// Threads: actors run on workers; each worker records into its own
// histogram (indexed by Context::worker_index()); the actor whose arrival
// completes the count merges them: every other record happened before its
// fetch_add on `fired`, which that actor's acq_rel RMW reads.
#include "bench/workloads/catalogue.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "bench/workloads/workload_support.hpp"
#include "core/actor.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

struct TimersShared {
  TimersShared(Probe& p, uint64_t n, uint64_t delay, int threads)
      : probe(p), total(n), delay_ns(delay), lateness(static_cast<std::size_t>(threads)) {}

  Probe& probe;
  const uint64_t total;
  const uint64_t delay_ns;
  std::atomic<uint64_t> tickets{0};  // arms handed out (runs past total once exhausted)
  std::atomic<uint64_t> fired{0};    // arrivals checked and recorded
  std::vector<perf::LatencyHistogram> lateness;  // per worker: one writer each
  std::mutex error_mutex;
  bool failed = false;  // under error_mutex

  void fail(core::Context& ctx, std::string why) {
    std::lock_guard lock(error_mutex);
    if (failed) return;
    failed = true;
    probe.error = std::move(why);
    ctx.signal_done(1);
  }
};

class TimerUser final : public core::Actor {
 public:
  explicit TimerUser(TimersShared& shared) : shared_(shared) {}

  void on_start(core::Context& ctx) override { arm(ctx); }

  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type != core::kTypeTimeout) return shared_.fail(ctx, "timers: unexpected message type " + std::to_string(msg.type));
    const uint64_t now = perf::now_ns();
    if (!armed_ || msg.session != session_)
      return shared_.fail(ctx, "timers: session " + std::to_string(msg.session) + " arrived, " +
                                   (armed_ ? "expected " + std::to_string(session_) : "none in flight"));
    if (now < deadline_ns_)
      return shared_.fail(ctx, "timers: a timeout arrived " + std::to_string(deadline_ns_ - now) + " ns early");
    shared_.lateness[static_cast<std::size_t>(ctx.worker_index())].record(now - deadline_ns_);
    armed_ = false;
    arm(ctx);
    // acq_rel: release publishes this actor's record; the last arrival's
    // acquire sees every worker's records before it merges them.
    if (shared_.fired.fetch_add(1, std::memory_order_acq_rel) + 1 == shared_.total) finish(ctx, now);
  }

 private:
  void arm(core::Context& ctx) {
    const uint64_t ticket = shared_.tickets.fetch_add(1, std::memory_order_relaxed);
    if (ticket >= shared_.total) return;
    const uint64_t now = perf::now_ns();
    if (ticket == 0) shared_.probe.start_ns = now;
    ++session_;
    armed_ = true;
    deadline_ns_ = now + shared_.delay_ns;
    if (!timeout_or_drop(ctx, std::chrono::nanoseconds(shared_.delay_ns), session_))
      shared_.fail(ctx, "timers: the timer service refused a timeout");
  }

  void finish(core::Context& ctx, uint64_t now) {
    Probe& probe = shared_.probe;
    probe.end_ns = now;
    probe.operations = shared_.total;
    for (const auto& h : shared_.lateness) probe.latency.merge(h);
    ctx.signal_done(0);
  }

  TimersShared& shared_;
  uint32_t session_ = 0;
  bool armed_ = false;
  uint64_t deadline_ns_ = 0;
};

const std::vector<ParamSpec>& timers_params() {
  static const std::vector<ParamSpec> list = {
      {"actors", "actors, each with one timeout in flight", "1000"},
      {"delay-us", "timeout delay in microseconds", "1000"},
  };
  return list;
}

void check_timers(const WorkloadParams& params) {
  check_count_positive(params);
  (void)params.get_u64("actors", 1000, 1, core::ActorId::kMaxIndex);
  (void)params.get_u64("delay-us", 1000, 0, 60'000'000);
}

WorkloadResult run_timers(const core::Config& config, const WorkloadParams& params) {
  WorkloadResult r;
  uint64_t actors = 0, delay_us = 0;
  try {
    actors = params.get_u64("actors", 1000, 1, config.max_actors - 1);
    delay_us = params.get_u64("delay-us", 1000, 0, 60'000'000);
  } catch (const core::ConfigError& e) {
    r.error = std::string("timers: ") + e.what();
    return r;
  }
  if (params.count == 0) {
    r.error = "timers: --count must be at least 1";
    return r;
  }
  // A timeout longer than the stall window is a quiet wait, not a stall:
  // the window is at least two delays plus a second.
  RunWatch watch = params.watch;
  watch.stall = std::max(watch.stall, std::chrono::milliseconds(2 * delay_us / 1000 + 1000));
  std::unique_ptr<TimersShared> shared;
  r = run_on_engine(config, watch, [&](core::Engine& engine, Probe& probe) {
    shared = std::make_unique<TimersShared>(probe, params.count, delay_us * 1000, config.threads);
    for (uint64_t i = 0; i < actors; ++i) {
      if (!engine.spawn<TimerUser>(*shared)) {
        probe.spawn_failed.store(true);
        break;
      }
    }
  });
  r.extras["actors"] = static_cast<double>(actors);
  r.extras["delay_us"] = static_cast<double>(delay_us);
  if (r.ok) {
    const double fired = r.counters["timers_fired"], dropped = r.counters["timers_dropped"];
    if (fired != static_cast<double>(params.count) || dropped != 0) {
      r.ok = false;
      r.verdict = Verdict::kFailed;
      r.error = "timers: the timer service fired " + std::to_string(static_cast<uint64_t>(fired)) + " and dropped " +
                std::to_string(static_cast<uint64_t>(dropped)) + ", expected " + std::to_string(params.count) +
                " fired";
    }
  }
  return r;
}

}  // namespace

Workload timers_workload() {
  return {"timers", "A actors (actors=1000) each re-arm a D us timeout (delay-us=1000) until N fired; timer lateness",
          "timeout", "fire time - intended deadline (every timeout)", 500'000, run_timers, timers_params(), check_timers};
}

}  // namespace actorlab::bench
