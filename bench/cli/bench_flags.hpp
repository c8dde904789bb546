// bench_flags.hpp: the settings of `actorlab bench` (and echo, http, ablate),
// shared by the command line (CLI11, bench_cli.hpp) and the TOML config file
// (--config F). Two kinds:
//   - the knobs of the knob table (sched/knobs.hpp): every core::Config field
//     and alloc, kept as the text given, validated by the table when set;
//   - the bench-only settings declared below in kBenchSettings: workload,
//     repetitions, count, param, out.
// A key in the file has the flag's name without dashes (policy = "steal",
// threads = [1, 2], max-actors = 100000); a flag given on the command line
// wins over the file.
// Threads: main thread, start-up only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/cli/bench_command.hpp"
#include "core/config.hpp"

namespace actorlab::bench {

struct BenchFlags {
  std::vector<std::string> workloads = {"pingpong"};
  // Explicit knobs of the table, by name: the text as given (a list knob,
  // policy or threads, comma-separated). Each element already checked.
  std::map<std::string, std::string> knobs;
  int repetitions = 5;
  uint64_t count = 0;  // 0: each workload's default (only when not given: --count=0 is refused)
  std::map<std::string, std::string> params;  // workload extras, from --param KEY=VALUE
  std::string out_path;
  std::set<std::string> given;  // keys set explicitly, by flag or file
};

// A bench-only setting (not a Config knob): name, help, default for --help.
struct BenchSetting {
  const char* name;
  const char* help;
  const char* default_text;
};
// workload, repetitions, count, param, out.
const std::vector<BenchSetting>& bench_settings();

// Reads a TOML file (a regular file of at most 1 MiB) into flags, skipping
// keys already in flags.given. Throws core::ConfigError naming the file,
// line and key for a syntax error, an unknown key or a bad value.
void apply_config_file(const std::string& path, BenchFlags& flags);

// Sets one knob or bench setting from its text form; throws core::ConfigError
// naming the key and what is allowed (an empty value included).
void set_flag(BenchFlags& flags, const std::string& key, const std::string& value);

// Selects the process-wide allocator when --alloc was given; call before
// any engine exists. Throws core::ConfigError when mimalloc is not built in.
void apply_allocator(const BenchFlags& flags);

// Validates the workloads and expands policies x threads into labeled
// configurations: the preset, then every explicit knob in table order (each
// joins the label, alloc excepted), then the whole config validated
// (sched::validate_knobs).
std::vector<LabeledConfig> build_configs(const BenchFlags& flags);

// One labeled configuration: the preset `policy` with `threads` and the
// explicit knobs applied (list knobs excluded from `knobs`). Throws
// core::ConfigError for an invalid combination.
LabeledConfig make_labeled(const std::string& policy, int threads, const std::map<std::string, std::string>& knobs);

// Comma-separated items; an empty item is an error naming `key`.
std::vector<std::string> split_list(const std::string& text, const std::string& key);

}  // namespace actorlab::bench
