// perf/machine.hpp: what machine and build a result came from, for the
// "context" of every result set (DESIGN: "a bench result without machine,
// commit, repetitions and spread is not a result").
// Reads /proc, /sys and uname once per call; nothing is cached. Every field
// degrades to a placeholder ("unknown", 0) rather than failing: a missing
// probe must never stop a run. Threads: any thread; no shared state.
#pragma once

#include <string>
#include <vector>

namespace actorlab::perf {

// One CPU cache as Google Benchmark reports it.
struct CacheInfo {
  std::string type;  // "Data", "Instruction", "Unified"
  int level = 0;
  long long size_bytes = 0;
  int num_sharing = 0;  // logical CPUs sharing this cache
};

struct MachineInfo {
  std::string host_name;
  std::string cpu_model;  // /proc/cpuinfo "model name", "unknown" if absent
  std::string kernel;     // uname: sysname release machine
  std::string governor;   // cpu0 scaling_governor, "unknown" if unreadable
  int num_cpus = 0;       // online logical CPUs
  double mhz_per_cpu = 0.0;
  double load_avg[3] = {0.0, 0.0, 0.0};  // /proc/loadavg, 1/5/15 min
  std::string commit;     // kGitCommit of this build
  std::vector<CacheInfo> caches;  // cpu0's caches from sysfs, may be empty
};

// Probes the machine now. Capture it before a suite starts so load_avg shows
// what else was running, not the benchmark itself.
[[nodiscard]] MachineInfo read_machine_info();

// Local time with offset, e.g. "2026-11-25T12:52:03+00:00" (GBench's format).
[[nodiscard]] std::string iso8601_now();

// Path of the running executable (/proc/self/exe), "unknown" if unreadable.
[[nodiscard]] std::string executable_path();

}  // namespace actorlab::perf
