// result_merge.hpp: joins result sets (the shards of one suite, run on many
// hosts: bench/runner/shard.hpp) into one, for `actorlab merge` (merge_command.hpp).
//
// Refuses (core::ConfigError, the caller exits 2), naming the files:
//   - a file that is not a result set (not JSON; no "context" object or
//     "benchmarks" array; an entry without a name or run_type);
//   - files of different suite files (context.actorlab_suite_hash), built
//     from different commits (context.commit), or splitting different cell
//     lists (actorlab_shard.plan_hash: the same file run with other knob
//     overrides), unless allow_mixed;
//   - always: a cell (benchmark run_name) found in two files, e.g. a shard
//     given twice: naming the cell, the files and how many cells collide.
// Keeps every benchmark entry as it was, and adds to each, unless it already
// has them (a merged set merged again):
//   actorlab_machine  {host_name, cpu_model, num_cpus, kernel, governor,
//                      mhz_per_cpu, kind}: the machine its file ran on;
//                      kind = "CPU MODEL, N CPUs", what makes two hosts alike
//   actorlab_origin   {file, shard ("I/N" or null), commit, date}
// Entries are grouped by cell in the order of the files (shards of one plan
// are ordered by shard index first, so the merge of a whole suite lists its
// cells as the unsharded run does), and family_index /
// per_family_instance_index are numbered again over the whole set as the
// writer numbers them (perf/result_writer.cpp), so compare.py's sort holds.
// The context is the first file's, with: date (of the merge), host_name and
// the machine fields (cpu_model, num_cpus, ...) kept when every cell ran on
// one kind of machine (host_name "several: a, b" when the hosts differ;
// cpu_model "mixed: ..." and num_cpus 0 when the kinds differ); the run
// counts (actorlab_runs_done, _planned, _total, actorlab_outliers) and
// actorlab_elapsed_s (machine seconds, what scripts/estimate divides) summed;
// actorlab_partial if any file is partial; actorlab_warnings prefixed with
// their host; configurations and workloads united; actorlab_command the
// merge's; and
//   actorlab_machines        [{kind, cpu_model, num_cpus, hosts, cells}]
//   actorlab_mixed_machines  true when cells ran on more than one kind
//   actorlab_merge           {inputs: each file's suite, hash, commit, host,
//                             machine, shard, cells, command; shard_count,
//                             shards_present, shards_missing, complete,
//                             plan_hash, allow_mixed, mixed}
// warnings (for stderr): mixed kinds of machine, missing shards, what
// allow_mixed let through.
// Threads: main thread; no shared state.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace actorlab::bench {

using OrderedJson = nlohmann::ordered_json;

struct ResultInput {
  std::string path;
  OrderedJson doc;
};

struct MergeOptions {
  bool allow_mixed = false;
  std::string command_line;  // the merged context's actorlab_command
  std::string date;          // the merged context's date
};

struct MergeOutcome {
  OrderedJson doc;
  std::vector<std::string> warnings;
  std::size_t cells = 0;
  std::size_t entries = 0;
  std::size_t machine_kinds = 0;
};

// Parses and checks one file's text; throws core::ConfigError "PATH: why".
ResultInput parse_result_text(std::string_view text, const std::string& path);

// Throws core::ConfigError (see the top of this file).
MergeOutcome merge_result_sets(std::vector<ResultInput> inputs, const MergeOptions& options);

}  // namespace actorlab::bench
