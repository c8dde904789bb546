// workload_support.cpp: see workload_support.hpp.
#include "bench/workload_support.hpp"

#include <fmt/format.h>

#include <fstream>

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

WorkloadResult run_on_engine(const core::Config& config,
                             const std::function<void(core::Engine&, Probe&)>& body,
                             std::chrono::seconds limit) {
  reset_peak_rss();
  Probe probe;
  auto engine = sched::make_engine(config);
  const uint64_t cpu_before = perf::process_cpu_ns();
  body(*engine, probe);
  engine->start();
  auto done = engine->wait_done(limit);
  const uint64_t cpu_after = perf::process_cpu_ns();
  engine->stop();
  WorkloadResult r;
  r.cpu_ns = cpu_after - cpu_before;
  r.peak_rss_bytes = read_peak_rss();
  for (const auto& [name, value] : engine->stats().values) r.counters[name] = static_cast<double>(value);
  engine.reset();
  if (!done) {
    r.error = fmt::format("timed out after {} s: a message was lost or the run stalled", limit.count());
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
