// runner.hpp: the matrix runner shared by `actorlab bench` and `actorlab
// suite`: planned workloads x configurations, warm-up runs first (discarded),
// then the repetitions, each repetition running every cell once in the same
// order, so that noise on the machine (other load, frequency changes) hits
// all configurations alike and ratios are between medians measured in one
// process. Progress goes to stderr (cell, done/total, ETA), the table to
// stdout, the result set to a JSON file (perf/result_writer.hpp).
// Ctrl-C (bench/interrupt.hpp) stops after the current run, or at once on a
// second Ctrl-C; the runs so far are written, marked
// context.actorlab_partial = true.
// Threads: main thread only; each run builds and stops its own engine.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "bench/bench_command.hpp"
#include "bench/workload.hpp"

namespace actorlab::bench {

// Exit codes of a run: every run passed / a run failed its self-check /
// interrupted by Ctrl-C (the partial result set was written).
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
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
  int repetitions = 5;
  int warmup = 0;            // runs per cell before the repetitions, discarded
  std::string out_path;
  std::string command_line;  // echoed into the context
  std::string program = "actorlab bench";  // prefixes messages
  nlohmann::json extra_context = nlohmann::json::object();  // e.g. the suite's name and file
};

// Runs the plan, prints the table, writes the result set (also when
// interrupted). A warm-up run is not written, but a warm-up run that fails
// its self-check still makes the exit status kExitFailed. Returns kExitOk, kExitFailed or kExitInterrupted; throws
// std::runtime_error if the result file cannot be written.
int run_plan(const RunPlan& plan);

}  // namespace actorlab::bench
