// bench_command.hpp: `actorlab bench`: runs workloads x configurations,
// interleaved per repetition, prints a table and writes a result set
// (through the runner shared with `actorlab suite`, bench/runner/runner.hpp).
// Every input is checked before the first run: workloads, count and params
// (plan_workloads), the configurations (build_configs) and the output path.
// Threads: main thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/cli/trace_flags.hpp"
#include "bench/workloads/workload.hpp"
#include "core/config.hpp"

namespace actorlab::bench {

// One configuration of the matrix: the knobs plus the label it is named by.
struct LabeledConfig {
  std::string label;  // "policy:skynet-classic/threads:2[/knob:value…]"
  std::string policy_name;  // as the user wrote it (policy or preset)
  core::Config config;
  std::map<std::string, std::string> knobs;  // the explicit knobs in the label (policy and threads aside)
};

struct BenchOptions {
  std::vector<std::string> workloads;
  std::vector<LabeledConfig> configs;
  int repetitions = 5;
  RunWatch watch;      // --stall, --run-limit
  TraceOptions trace;  // --trace, --trace-events (bench/cli/trace_flags.hpp)
  uint64_t count = 0;  // 0: each workload's default
  // Workload extras (KEY -> VALUE); each goes to the workloads that declare
  // it, and must be declared by at least one of them.
  std::map<std::string, std::string> params;
  std::string out_path;
  std::string command_line;
};

struct PlannedWorkload;  // bench/runner/runner.hpp

// The workloads with their count and params, each checked (count and param
// ranges, a param no chosen workload takes); throws core::ConfigError.
std::vector<PlannedWorkload> plan_workloads(const BenchOptions& options);

// Returns the process exit code: 0 when every run passed its self-check,
// 1 when one failed, 3 when none failed but one stalled or was too slow,
// 130 when interrupted. Throws core::ConfigError for a count or param a
// workload rejects, or an output path that cannot be written (before any run).
int run_bench(const BenchOptions& options);

}  // namespace actorlab::bench
