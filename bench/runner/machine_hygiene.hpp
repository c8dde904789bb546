// machine_hygiene.hpp: is this machine fit to measure on right now? Checked
// once before a bench or suite starts; each finding is printed on stderr as
// a warning and recorded in the result's context (actorlab_warnings), so a
// noisy result set says why. Sampled again after every measured run
// (HygieneSample), so that a run flagged as an outlier carries what the
// machine was doing then. Nothing here stops a run.
// Threads: main thread; reads /proc only.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "perf/machine.hpp"

namespace actorlab::bench {

// A warning when the 1-minute load average is high for the core count:
// at least max(0.5, cpus / 4) runnable tasks on average, i.e. something else
// keeps a quarter of the machine busy. The threshold is guessed.
std::optional<std::string> load_warning(double load_1min, int cpus);

// Other processes that would distort a measurement: another `actorlab bench`
// or `actorlab suite`, a known benchmark program (actorlab_micro, anything
// run with --benchmark_* flags, sysbench, stress-ng, fio, iperf3, wrk ...)
// or a compiler (a build is running). Scans `proc_root` (normally /proc)
// and skips `self_pid` and its ancestors (scripts/bench, a shell, perf).
struct CompetingProcess {
  int pid = 0;
  std::string command;  // the command line, shortened to 120 characters
  std::string kind;     // "another actorlab benchmark", "a benchmark", "a Google Benchmark program", "a build"
};
std::vector<CompetingProcess> competing_processes(const std::string& proc_root, int self_pid);

// Both checks for this process, as warning sentences: the load, and one
// line per kind of competing process (how many, and the first of them).
std::vector<std::string> hygiene_warnings(const perf::MachineInfo& machine);
// The same for a load and CPU count read elsewhere.
std::vector<std::string> hygiene_warnings(double load_1min, int cpus);

// The machine right after one run: the 1-minute load average (/proc/loadavg),
// the online CPUs and hygiene_warnings() then. Cheap (one /proc scan).
struct HygieneSample {
  double load_1min = 0.0;
  int cpus = 0;
  std::vector<std::string> warnings;
};
HygieneSample take_hygiene_sample();
nlohmann::json to_json(const HygieneSample& sample);
// "load 3.20 on 2 CPUs; <warning>; <warning>" (one line, for the table).
std::string describe(const HygieneSample& sample);

}  // namespace actorlab::bench
