// runner.hpp: the matrix runner shared by `actorlab bench` and `actorlab
// suite`: planned workloads x configurations (or a shard of those cells,
// RunPlan::cells), warm-up runs first (discarded),
// then the repetitions, each repetition running every cell once in the same
// order, so that noise on the machine (other load, frequency changes) hits
// all configurations alike and ratios are between medians measured in one
// process. Progress goes to stderr (cell, done/total, ETA), the table to
// stdout, the result set to a JSON file (perf/result_writer.hpp).
// Ctrl-C (bench/cli/interrupt.hpp) stops after the current run, or at once on a
// second Ctrl-C; the runs so far are written, marked
// context.actorlab_partial = true.
// Each run is watched (RunPlan::watch, bench/workloads/workload_support.hpp): it fails
// as stalled when no message was dispatched for the stall window, as too
// slow when it is still moving at the run limit, as refused when a spawn was
// refused; the plan goes on with the next run. After the last run, each
// cell's runs more than kOutlierFactor off its median are flagged in the
// table and in the JSON (actorlab_outlier, actorlab_outlier_ratio, and
// actorlab_hygiene: the machine sampled right after that run); every run's
// entry carries actorlab_verdict. With --trace, each measured run is traced
// (core/trace.hpp) and appended to the trace file as process N, which its
// entry names (actorlab_trace_pid); context.actorlab_trace says where.
// Threads: main thread only; each run builds and stops its own engine.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "bench/cli/bench_command.hpp"
#include "bench/cli/trace_flags.hpp"
#include "bench/workloads/workload.hpp"

namespace actorlab::bench {

// Exit codes of a plan: every run passed / a run failed its self-check or
// had a spawn refused / bad input (nothing ran) / no run failed a check but
// one stalled or was too slow / interrupted by Ctrl-C (the partial result
// set was written). 1 wins over 3 when a plan has both.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStalled = 3;
constexpr int kExitInterrupted = 130;

// One workload with its parameters: a row of the matrix.
struct PlannedWorkload {
  const Workload* workload = nullptr;
  WorkloadParams params;  // count resolved (never 0)
  std::string name;       // benchmark name prefix: "big", or "big/actors:100" for explicit extras
};

// Name prefix for a workload run with `params`: the workload's name, then
// "/key:value" for each explicit extra (sorted by key).
std::string planned_name(const Workload& workload, const WorkloadParams& params);

struct RunPlan {
  std::vector<PlannedWorkload> workloads;
  std::vector<LabeledConfig> configs;
  // The cells to run, as ascending row-major indices (workload * configs +
  // configuration): a shard of the matrix (bench/runner/shard.hpp). nullopt: all.
  // Each repetition runs the chosen cells once, in this order.
  std::optional<std::vector<std::size_t>> cells;
  int repetitions = 5;
  int warmup = 0;            // runs per cell before the repetitions, discarded
  RunWatch watch;            // --stall, --run-limit
  TraceOptions trace;        // --trace: every measured run, one process each (bench/cli/trace_flags.hpp)
  std::string out_path;
  std::string command_line;  // echoed into the context
  std::string program = "actorlab bench";  // prefixes messages
  nlohmann::json extra_context = nlohmann::json::object();  // e.g. the suite's name and file
};

// The bench-level knobs of the watch, for `bench` and `suite` alike:
// --stall=S (seconds without a dispatched message before a run fails as
// stalled; 0.1-3600, default 10) and --run-limit=S (seconds before a run
// that still moves fails as too slow; 1-86400, default 600).
// set_watch_flag parses a flag's text ("stall" or "run-limit") into the
// watch; throws core::ConfigError naming the flag, the value and what is
// allowed (a finite number in range). add_watch_flags declares both on a
// command (until the knob table declares them).
// A --mailbox-limit on a workload whose actors drop a refused message
// (Workload::resends_when_full false) would fail its self-check by design:
// throws core::ConfigError naming the flag and the workload. The commands
// call it before they create the output file; run_plan calls it again.
void check_mailbox_limit(const std::vector<PlannedWorkload>& workloads, const std::vector<LabeledConfig>& configs);

void set_watch_flag(RunWatch& watch, const std::string& flag, const std::string& text);
void add_watch_flags(CLI::App& app, RunWatch& watch);

// Runs the plan, prints the table, writes the result set (also when
// interrupted). A warm-up run is not written, but a warm-up run that fails
// its self-check still makes the exit status kExitFailed (one that stalls,
// kExitStalled). Returns one of the kExit codes above but kExitUsage;
// throws std::runtime_error if the result file cannot be written.
int run_plan(const RunPlan& plan);

}  // namespace actorlab::bench
