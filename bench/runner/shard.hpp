// shard.hpp: which part of a suite this process runs, when a scheduler runs
// the suite as N tasks on N hosts (`actorlab suite FILE --shard=I/N`, a
// Slurm job array, a Kubernetes Indexed Job; docs/cluster.md).
//
// Where the shard comes from, in this order (resolve_shard):
//   --shard=I/N                 0 <= I < N <= kMaxShards
//   SLURM_ARRAY_TASK_ID         I = (ID - SLURM_ARRAY_TASK_MIN) / STEP,
//                               N = SLURM_ARRAY_TASK_COUNT (all three must be
//                               set; SLURM_ARRAY_TASK_STEP and _MAX, when set,
//                               must describe a uniform range such as 1-8:1)
//   JOB_COMPLETION_INDEX        I = the index, N = --shards (required with it)
//   none of them                the whole suite (shard 0/1)
// Every source that is present is parsed and must agree with the others (a
// --shard that disagrees with SLURM_ARRAY_TASK_ID is refused, not
// overridden), so a task never silently runs someone else's cells. Every
// refusal is a core::ConfigError naming the flag or variable and what is
// allowed; the caller exits 2 before anything runs.
//
// The split (shard_cells): the suite's cells in the runner's order, workload
// by workload (row-major: cell = workload * configurations + configuration).
// With at least as many workloads as shards, each shard takes a contiguous
// block of whole workloads (block sizes differ by at most one workload), so
// every configuration of a workload runs on one host, interleaved in one
// process: the ratios between configurations stay measured in one run, as
// DESIGN's "Measuring" asks. With more shards than workloads, contiguous
// blocks of cells (sizes differ by at most one cell); a workload cut by a
// block edge then has its configurations on two hosts. More shards than
// cells is refused. The split depends only on the cell list, so the same
// suite file and command line give the same cells on every host; blocks are
// balanced by count, not by time (a cell's time is not known before it runs).
//
// Threads: main thread, start-up only; no shared state.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorlab::bench {

constexpr int kMaxShards = 100000;

struct Shard {
  int index = 0;
  int count = 1;
  std::string source = "none";  // "--shard", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "none"
  std::string how;              // for stderr: "SLURM_ARRAY_TASK_ID=3 - SLURM_ARRAY_TASK_MIN=1, of SLURM_ARRAY_TASK_COUNT=3"
  nlohmann::json env = nlohmann::json::object();  // the scheduler variables read, verbatim
};

// What the command line said; empty: not given.
struct ShardFlags {
  std::string shard;   // --shard=I/N
  std::string shards;  // --shards=N
};

// Reads one environment variable; nullopt when unset. The program passes
// getenv; tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_env();

// Throws core::ConfigError (see the top of this file).
Shard resolve_shard(const ShardFlags& flags, const EnvLookup& env);

// The cells (row-major indices, ascending) shard `shard` runs out of
// workloads x configs. Throws core::ConfigError when there are more shards
// than cells. split_kind() says which rule applied: "workloads" or "cells".
std::vector<std::size_t> shard_cells(std::size_t workloads, std::size_t configs, const Shard& shard);
std::string_view split_kind(std::size_t workloads, int shards);

// "sha256:" + 64 hex digits of `bytes`.
std::string sha256_text(std::string_view bytes);

// The CPUs this process may run on (sched_getaffinity), as "0-3,8"; what a
// scheduler's binding (srun --cpu-bind, the CPU Manager's cpuset) left it.
std::string allowed_cpus_text();

}  // namespace actorlab::bench
