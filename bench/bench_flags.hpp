// bench_flags.hpp: the knobs of `actorlab bench`, shared by the command line
// (CLI11, bench/main.cpp) and the TOML config file (--config F). A key in the
// file has the flag's name without dashes (policy = "steal", threads = [1, 2],
// max-actors = 100000); a flag given on the command line wins over the file.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_command.hpp"
#include "core/config.hpp"

namespace actorlab::bench {

struct BenchFlags {
  std::vector<std::string> workloads = {"pingpong"};
  std::vector<std::string> policies = {"skynet"};
  std::vector<int> threads = {2};
  std::string mailbox = "lockfree";
  std::string runqueue = "lockfree";
  std::string batch = "weights";
  std::string pin = "none";
  std::string alloc = "mimalloc";  // process-wide: one value per run (core/alloc.hpp)
  uint32_t spin = core::Config::kDefaultSpin;
  uint32_t grace_ns = core::Config::kDefaultGraceNs;
  uint32_t max_actors = core::Config{}.max_actors;
  std::string backend = "epoll";   // io backend: epoll | uring
  std::string net = "thread";      // who drives it: thread | worker
  uint64_t timer_tick_ns = core::Config{}.timer_tick_ns;
  int repetitions = 5;
  uint64_t count = 0;
  std::map<std::string, std::string> params;  // workload extras, from --param KEY=VALUE
  std::string out_path;
  std::set<std::string> given;  // keys set explicitly, by flag or file
};

// Reads a TOML file into flags, skipping keys already in flags.given.
// Throws core::ConfigError naming the file, line and key for a syntax error,
// an unknown key or a bad value.
void apply_config_file(const std::string& path, BenchFlags& flags);

// Sets one knob from its text form; throws core::ConfigError.
void set_flag(BenchFlags& flags, const std::string& key, const std::string& value);

// Selects the process-wide allocator when --alloc was given; call before
// any engine exists. Throws core::ConfigError when mimalloc is not built in.
void apply_allocator(const BenchFlags& flags);

// Validates the workloads and expands policies x threads into labeled
// configurations (explicit knobs override presets and join the label).
std::vector<LabeledConfig> build_configs(const BenchFlags& flags);

}  // namespace actorlab::bench
