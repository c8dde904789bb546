// workload_support.hpp: what every workload file shares: the Probe its
// actors report into and run_on_engine(), which builds a fresh engine, runs
// a body on it and fills the common result fields (CPU time, peak RSS,
// runtime counters, the self-check verdict).
// Threads: run_on_engine runs on the main thread; actors write the Probe
// only before they call signal_done(), whose mutex orders those writes
// before wait_done() returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "bench/workload.hpp"
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
};

// Resets the kernel's peak-RSS mark so the run's own peak can be read.
void reset_peak_rss();
uint64_t read_peak_rss();

// Builds an engine for `config`, calls body(engine, probe) to spawn the
// first actors (and attach services), starts it and waits for signal_done
// (at most `limit`). A timeout or a non-empty probe.error fails the run.
WorkloadResult run_on_engine(const core::Config& config,
                             const std::function<void(core::Engine&, Probe&)>& body,
                             std::chrono::seconds limit = std::chrono::seconds(120));

}  // namespace actorlab::bench
