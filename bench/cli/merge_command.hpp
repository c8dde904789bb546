// merge_command.hpp: `actorlab merge A.json B.json ... --out=M.json`: one
// result set from the shards of a suite run on many hosts (docs/cluster.md;
// the rules are bench/runner/result_merge.hpp's). Reads every file before it
// writes, so --out may name one of them. Exit 0 merged (warnings, e.g.
// mixed kinds of machine or missing shards, on stderr), 2 a bad or refused
// input or a bad --out (the message names the file and why; nothing is
// written), 1 the merged set could not be written. Threads: main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace actorlab::bench {

struct MergeCli {
  std::vector<std::string> files;
  std::string out_path;
  bool allow_mixed = false;
};

CLI::App* add_merge_command(CLI::App& app, MergeCli& cli);
int run_merge_command(const MergeCli& cli, const std::string& command_line);

}  // namespace actorlab::bench
