// suite_file.hpp: suite files (bench/suites/*.toml): which workloads, with
// which parameters, under which configurations, how many repetitions and
// warm-up runs. The format (documented in README.md "Suites" and at the top
// of each shipped suite):
//
//   name = "quick"               # optional; default: the file's stem
//   description = "..."          # optional
//   repetitions = 3              # measured runs per cell (1-1000), default 5
//   warmup = 1                   # discarded runs per cell first (0-100), default 0
//   alloc = "mimalloc"           # optional, process-wide (mimalloc | system)
//
//   [matrix]                     # every combination of these values
//   policy = ["skynet", "steal"] # any knob of the knob table (sched/knobs.hpp)
//   threads = [1, 2]             # but alloc; a knob in seconds takes a decimal,
//   batch = "weights"            # a true/false knob a boolean
//
//   [[config]]                   # more configurations, each a matrix of its own
//   policy = "skynet-classic"
//
//   [[workload]]                 # one row of the matrix each
//   name = "chameneos"           # see `actorlab list`
//   count = 200000               # optional; default: the workload's
//   creatures = 10               # the workload's own parameters
//
// A knob named in a table joins the configuration's label (and so the
// benchmark name); an explicit workload parameter joins the workload's part
// of the name ("chameneos/creatures:10/policy:skynet/threads:2").
// Every error is a core::ConfigError "FILE:LINE: key 'KEY': why". A file
// must be regular and at most 1 MiB (bench/cli/input_files.hpp).
// Threads: main thread; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/cli/bench_command.hpp"
#include "bench/runner/runner.hpp"

namespace actorlab::bench {

struct Suite {
  std::string path;
  std::string name;
  std::string description;
  int repetitions = 5;
  int warmup = 0;
  std::string alloc;  // empty: the build's default allocator
  std::vector<PlannedWorkload> workloads;
  std::vector<LabeledConfig> configs;
};

// Reads and validates a suite file; throws core::ConfigError.
Suite load_suite(const std::string& path);

// The same from text; `path` names it in errors.
Suite parse_suite(std::string_view text, const std::string& path);

}  // namespace actorlab::bench
