// suite_command.cpp: see suite_command.hpp.
#include "bench/suite_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <set>

#include "bench/bench_cli.hpp"
#include "bench/input_files.hpp"
#include "bench/runner.hpp"
#include "bench/suite_file.hpp"
#include "core/alloc.hpp"
#include "perf/machine.hpp"

namespace actorlab::bench {
namespace {

constexpr const char* kProgram = "actorlab suite";

// The command line's knobs over every configuration of the file; throws
// core::ConfigError for a refused or impossible override.
void apply_overrides(const BenchFlags& overrides, Suite& suite) {
  if (overrides.knobs.empty()) return;
  if (overrides.knobs.count("policy"))
    throw core::ConfigError("policy: a suite's policies are its [matrix] and [[config]] tables; edit the file");
  int threads = 0;
  if (auto it = overrides.knobs.find("threads"); it != overrides.knobs.end()) {
    const auto list = split_list(it->second, "threads");
    if (list.size() != 1) throw core::ConfigError("threads: a suite override takes one thread count");
    threads = static_cast<int>(core::parse_unsigned(list.front(), 1, core::Config::kMaxThreads, "threads"));
  }
  if (auto it = overrides.knobs.find("alloc"); it != overrides.knobs.end()) suite.alloc = it->second;
  std::set<std::string> labels;
  for (auto& lc : suite.configs) {
    auto knobs = lc.knobs;
    for (const auto& [k, v] : overrides.knobs)
      if (k != "threads" && k != "alloc") knobs[k] = v;
    lc = make_labeled(lc.policy_name, threads > 0 ? threads : lc.config.threads, knobs);
    if (!labels.insert(lc.label).second)
      throw core::ConfigError(fmt::format(
          "the command line's knobs make two configurations of the file one ({}); drop the override", lc.label));
  }
}

std::string default_out_path(const std::string& suite_name) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  return fmt::format("results/{}/suite-{}-{}.json", perf::read_machine_info().host_name, suite_name, stamp);
}

}  // namespace

CLI::App* add_suite_command(CLI::App& app, SuiteCli& cli) {
  CLI::App* suite = app.add_subcommand(
      "suite", "run a suite file (bench/suites/*.toml): its matrix interleaved per repetition, one result set");
  suite->add_option("FILE", cli.file, "suite file (TOML; format in README.md, Suites)")->required();
  // A later flag wins, so scripts/bench can pass its own then the user's ("$@").
  suite->add_option("--out", cli.out_path, "result JSON path")
      ->default_str("results/<host>/suite-<name>-<time>.json")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  suite->add_option("--repetitions", cli.repetitions, "override the file's repetitions (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  suite->add_option("--warmup", cli.warmup, "override the file's warm-up runs per cell (0-100)")
      ->check(CLI::Range(0, 100))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_runtime_knobs(*suite, cli.overrides);
  add_watch_flags(*suite, cli.watch);  // --stall, --run-limit (bench/runner.hpp)
  return suite;
}

int run_suite_command(const SuiteCli& cli, const std::string& command_line) {
  Suite suite;
  try {
    suite = load_suite(cli.file);
    apply_overrides(cli.overrides, suite);
    if (!suite.alloc.empty()) {
      const auto kind = suite.alloc == "system" ? core::AllocatorKind::kSystem : core::AllocatorKind::kMimalloc;
      if (!core::select_allocator(kind))
        throw core::ConfigError(cli.file + ": key 'alloc': mimalloc is not in this build (-Dallocator=system)");
    }
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  RunPlan plan;
  plan.out_path = cli.out_path.empty() ? default_out_path(suite.name) : cli.out_path;
  try {
    check_output_path(plan.out_path, "--out");  // before the first run, so no result is lost to a bad path
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  plan.workloads = std::move(suite.workloads);
  plan.configs = std::move(suite.configs);
  plan.repetitions = cli.repetitions > 0 ? cli.repetitions : suite.repetitions;
  plan.warmup = cli.warmup >= 0 ? cli.warmup : suite.warmup;
  plan.watch = cli.watch;
  plan.command_line = command_line;
  plan.program = kProgram;
  plan.extra_context = {{"actorlab_suite", suite.name},
                        {"actorlab_suite_file", suite.path},
                        {"actorlab_suite_description", suite.description}};
  std::fprintf(stderr, "%s: %s: %zu workloads x %zu configurations, %d warm-up + %d repetitions = %zu runs\n",
               kProgram, suite.name.c_str(), plan.workloads.size(), plan.configs.size(), plan.warmup,
               plan.repetitions,
               plan.workloads.size() * plan.configs.size() * static_cast<std::size_t>(plan.warmup + plan.repetitions));
  try {
    return run_plan(plan);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
}

}  // namespace actorlab::bench
