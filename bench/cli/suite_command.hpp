// suite_command.hpp: `actorlab suite FILE`: loads a suite file
// (bench/runner/suite_file.hpp) and runs it through the shared runner
// (bench/runner/runner.hpp). Declared here so bench/cli/main.cpp stays small.
// Every knob of the table is also a flag here (`--spin=0`, `--threads=4`):
// it overrides that knob in every configuration of the file (and joins
// their names); --alloc overrides the file's alloc; --policy is refused (a
// suite's policies are its matrix).
// Sharding (bench/runner/shard.hpp, docs/cluster.md): --shard=I/N, or a Slurm
// array's SLURM_ARRAY_TASK_ID / _COUNT / _MIN, or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX with --shards=N, runs one of N disjoint parts of the
// cells (the source used is said on stderr); --list-cells prints the cells
// the run would have and exits. Every result set names the suite file's
// hash (actorlab_suite_hash: sha256 of its bytes) and the shard
// (actorlab_shard: index, count, source, the variables read, the split, the
// hash of the whole cell list, the CPUs this process may use), so that
// `actorlab merge` (bench/cli/merge_command.hpp) can join the shards.
// Threads: main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "bench/cli/bench_flags.hpp"
#include "bench/cli/trace_flags.hpp"
#include "bench/runner/shard.hpp"
#include "bench/workloads/workload.hpp"

namespace actorlab::bench {

struct SuiteCli {
  std::string file;
  std::string out_path;  // empty: results/<host>/suite-<name>-<time>.json
  int repetitions = 0;   // 0: the file's
  int warmup = -1;       // -1: the file's
  BenchFlags overrides;  // knobs given on the command line
  RunWatch watch;        // --stall, --run-limit (bench-level knobs, not in suite files)
  TraceOptions trace;    // --trace, --trace-events (bench/cli/trace_flags.hpp)
  ShardFlags shard;      // --shard, --shards (empty: not given)
  bool list_cells = false;
};

// Declares the subcommand and its options on `app`.
CLI::App* add_suite_command(CLI::App& app, SuiteCli& cli);

// Loads and runs the suite (or, with --list-cells, prints the cells of
// this shard, one per line on stdout, and exits 0 without running). Returns 0 ok, 1 a run failed its self-check,
// 2 a bad suite file or option (the message names file, line and key),
// 3 a run stalled or was too slow (and none failed a check), 130
// interrupted (the partial result set was written).
int run_suite_command(const SuiteCli& cli, const std::string& command_line);

}  // namespace actorlab::bench
