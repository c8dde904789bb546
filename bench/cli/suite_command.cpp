// suite_command.cpp: see suite_command.hpp.
#include "bench/cli/suite_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <vector>

#include "bench/cli/bench_cli.hpp"
#include "bench/cli/input_files.hpp"
#include "bench/runner/runner.hpp"
#include "bench/runner/shard.hpp"
#include "bench/runner/suite_file.hpp"
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

std::string default_out_path(const std::string& suite_name, const Shard& shard) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  const std::string part = shard.count > 1 ? fmt::format("-shard-{}-of-{}", shard.index, shard.count) : "";
  return fmt::format("results/{}/suite-{}-{}{}.json", perf::read_machine_info().host_name, suite_name, stamp, part);
}

// Every cell's benchmark name, in the runner's order (row-major).
std::vector<std::string> cell_names(const Suite& suite) {
  std::vector<std::string> names;
  for (const auto& pw : suite.workloads)
    for (const auto& lc : suite.configs) names.push_back(pw.name + "/" + lc.label);
  return names;
}

// The context's actorlab_shard block.
nlohmann::json shard_context(const Shard& shard, const std::vector<std::string>& names, std::size_t workloads,
                             std::size_t cells) {
  std::string joined;
  for (const auto& n : names) joined += n + "\n";
  return {{"index", shard.index},
          {"count", shard.count},
          {"source", shard.source},
          {"how", shard.how},
          {"env", shard.env},
          {"split", split_kind(workloads, shard.count)},
          {"cells", cells},
          {"plan_cells", names.size()},
          {"plan_hash", sha256_text(joined)},
          {"cpus_allowed", allowed_cpus_text()}};
}

// "16 of 40 cells: workloads skynet .. chameneos" for stderr.
std::string describe_cells(const Suite& suite, const std::vector<std::size_t>& cells, int shards) {
  const std::size_t configs = suite.configs.size(), total = suite.workloads.size() * configs;
  std::string out = fmt::format("{} of {} cells", cells.size(), total);
  if (cells.empty() || cells.size() == total) return out;
  const auto& first = suite.workloads[cells.front() / configs].name;
  const auto& last = suite.workloads[cells.back() / configs].name;
  if (split_kind(suite.workloads.size(), shards) == "workloads")
    return out + fmt::format(", every configuration of workload{} {}{}", first == last ? "" : "s", first,
                             first == last ? "" : " .. " + last);
  return out + fmt::format(" of {} (more shards than workloads: a workload's configurations may run on two hosts)",
                           first == last ? first : first + " .. " + last);
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
  suite->add_option("--repetitions", cli.repetitions, "override the file's repetitions")
      ->check(whole_number(1, 1000))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  suite->add_option("--warmup", cli.warmup, "override the file's warm-up runs per cell")
      ->check(whole_number(0, 100))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  suite->add_option("--shard", cli.shard.shard,
                    "run the I-th of N disjoint parts of the cells (0 <= I < N <= 100000); default: from "
                    "SLURM_ARRAY_TASK_ID/_COUNT/_MIN or JOB_COMPLETION_INDEX with --shards, else the whole suite "
                    "(docs/cluster.md)")
      ->type_name("I/N")
      ->group("Sharding");
  suite->add_option("--shards", cli.shard.shards,
                    "the shard count N beside JOB_COMPLETION_INDEX (a Kubernetes Indexed Job: its completions)")
      ->type_name("N")
      ->group("Sharding");
  suite->add_flag("--list-cells", cli.list_cells, "print the cells this run (shard) would run, one a line, and exit")
      ->group("Sharding");
  add_runtime_knobs(*suite, cli.overrides);
  add_watch_flags(*suite, cli.watch);  // --stall, --run-limit (bench/runner/runner.hpp)
  add_trace_flags(*suite, cli.trace);  // --trace, --trace-events
  return suite;
}

int run_suite_command(const SuiteCli& cli, const std::string& command_line) {
  Suite suite;
  std::string suite_hash;
  Shard shard;
  std::vector<std::size_t> cells;
  try {
    const std::string text = read_input_file(cli.file, "suite file");
    suite_hash = sha256_text(text);
    suite = parse_suite(text, cli.file);
    apply_overrides(cli.overrides, suite);
    shard = resolve_shard(cli.shard, process_env());
    cells = shard_cells(suite.workloads.size(), suite.configs.size(), shard);
    if (!suite.alloc.empty()) {
      const auto kind = suite.alloc == "system" ? core::AllocatorKind::kSystem : core::AllocatorKind::kMimalloc;
      if (!core::select_allocator(kind))
        throw core::ConfigError(cli.file + ": key 'alloc': mimalloc is not in this build (-Dallocator=system)");
    }
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  const std::vector<std::string> names = cell_names(suite);
  const nlohmann::json shard_block = shard_context(shard, names, suite.workloads.size(), cells.size());
  std::fprintf(stderr, "%s: shard %d/%d (%s): %s\n", kProgram, shard.index, shard.count, shard.how.c_str(),
               describe_cells(suite, cells, shard.count).c_str());
  if (cli.list_cells) {
    for (std::size_t cell : cells) std::printf("%s\n", names[cell].c_str());
    return kExitOk;
  }
  RunPlan plan;
  plan.out_path = cli.out_path.empty() ? default_out_path(suite.name, shard) : cli.out_path;
  try {
    check_mailbox_limit(suite.workloads, suite.configs);
    check_output_path(plan.out_path, "--out");  // before the first run, so no result is lost to a bad path
    check_trace_options(cli.trace);
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  plan.workloads = std::move(suite.workloads);
  plan.configs = std::move(suite.configs);
  plan.repetitions = cli.repetitions > 0 ? cli.repetitions : suite.repetitions;
  plan.warmup = cli.warmup >= 0 ? cli.warmup : suite.warmup;
  plan.watch = cli.watch;
  plan.trace = cli.trace;
  plan.command_line = command_line;
  plan.program = kProgram;
  plan.extra_context = {{"actorlab_suite", suite.name},
                        {"actorlab_suite_file", suite.path},
                        {"actorlab_suite_hash", suite_hash},
                        {"actorlab_suite_description", suite.description},
                        {"actorlab_shard", shard_block}};
  std::fprintf(stderr, "%s: %s: %zu workloads x %zu configurations (%zu cells here), %d warm-up + %d repetitions = %zu runs\n",
               kProgram, suite.name.c_str(), plan.workloads.size(), plan.configs.size(), cells.size(), plan.warmup,
               plan.repetitions, cells.size() * static_cast<std::size_t>(plan.warmup + plan.repetitions));
  if (shard.count > 1) plan.cells = cells;
  try {
    return run_plan(plan);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
}

}  // namespace actorlab::bench
