// merge_command.cpp: see merge_command.hpp.
#include "bench/cli/merge_command.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "bench/cli/input_files.hpp"
#include "bench/runner/result_merge.hpp"
#include "bench/runner/runner.hpp"
#include "core/config.hpp"
#include "perf/machine.hpp"
#include "perf/result_writer.hpp"

namespace actorlab::bench {
namespace {

constexpr const char* kProgram = "actorlab merge";
// A result set of the full suite is a few MiB; far more is not one.
constexpr std::size_t kMaxResultBytes = std::size_t{256} << 20;

}  // namespace

CLI::App* add_merge_command(CLI::App& app, MergeCli& cli) {
  CLI::App* merge = app.add_subcommand(
      "merge", "join result sets (the shards of a suite run on many hosts) into one: every entry kept with its "
               "machine; refuses other suites, commits and duplicate cells (docs/cluster.md)");
  merge->add_option("FILES", cli.files, "result sets (JSON) of `actorlab suite`, e.g. one per shard")->required();
  merge->add_option("--out", cli.out_path, "the merged result set's path")->required();
  merge->add_flag("--allow-mixed", cli.allow_mixed,
                  "merge files of different suite files, commits or cell lists anyway (each entry keeps its origin)");
  return merge;
}

int run_merge_command(const MergeCli& cli, const std::string& command_line) {
  MergeOutcome outcome;
  try {
    check_output_path(cli.out_path, "--out");
    std::vector<ResultInput> inputs;
    for (const auto& path : cli.files)
      inputs.push_back(parse_result_text(read_input_file(path, "result file", kMaxResultBytes, "a JSON file"), path));
    MergeOptions options;
    options.allow_mixed = cli.allow_mixed;
    options.command_line = command_line;
    options.date = perf::iso8601_now();
    outcome = merge_result_sets(std::move(inputs), options);
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  for (const auto& w : outcome.warnings) std::fprintf(stderr, "%s: warning: %s\n", kProgram, w.c_str());
  try {
    perf::write_text_file_atomically(outcome.doc.dump(2) + "\n", cli.out_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitFailed;
  }
  std::fprintf(stderr, "%s: %zu files, %zu cells, %zu entries, %zu kind%s of machine\n", kProgram, cli.files.size(),
               outcome.cells, outcome.entries, outcome.machine_kinds, outcome.machine_kinds == 1 ? "" : "s");
  std::printf("wrote %s\n", cli.out_path.c_str());
  return kExitOk;
}

}  // namespace actorlab::bench
