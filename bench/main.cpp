// main.cpp: the `actorlab` program: `actorlab list`, `actorlab bench`,
// `actorlab suite` (bench/suite_command.hpp), and the network commands
// `echo`, `http`, `load` (bench/net_commands.hpp).
// Every flag is validated before anything runs; a wrong value names the
// valid ones. Exit codes: 0 ok, 1 a run failed its self-check (or had a
// spawn refused), 2 usage error, 3 a run stalled or was too slow (and none
// failed a check), 130 interrupted by Ctrl-C (the partial result set was
// written).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_cli.hpp"
#include "bench/bench_command.hpp"
#include "bench/bench_flags.hpp"
#include "bench/runner.hpp"
#include "bench/suite_command.hpp"
#include "bench/net_commands.hpp"
#include "bench/workload.hpp"
#include "core/alloc.hpp"
#include "perf/machine.hpp"
#include "sched/select.hpp"

namespace {

using actorlab::bench::add_knob;
using actorlab::bench::add_runtime_knobs;
using actorlab::bench::BenchFlags;

void print_list() {
  auto section = [](const char* title, const std::vector<actorlab::sched::Named>& list) {
    std::printf("%s:\n", title);
    for (const auto& n : list) std::printf("  %-16s %s\n", n.name.c_str(), n.description.c_str());
  };
  section("policies (--policy)", actorlab::sched::policies());
  section("presets (--policy)", actorlab::sched::presets());
  section("mailbox kinds (--mailbox)", actorlab::sched::mailbox_kinds());
  section("run-queue kinds (--runqueue, skynet policy)", actorlab::sched::run_queue_kinds());
  std::printf("workloads (--workload):\n");
  for (const auto& w : actorlab::bench::workloads()) {
    std::printf("  %-16s %s (default count %llu, unit: %s)\n", w.name.c_str(), w.description.c_str(),
                static_cast<unsigned long long>(w.default_count), w.unit.c_str());
    for (const auto& p : w.params)
      std::printf("  %-16s   %s = %s: %s\n", "", p.name.c_str(), p.default_value.c_str(), p.description.c_str());
  }
}

std::string default_out_path() {
  auto machine = actorlab::perf::read_machine_info();
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  return fmt::format("results/{}/bench-{}.json", machine.host_name, stamp);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"actorlab: a lock-free actor runtime and bench harness for comparing scheduling policies"};
  app.require_subcommand(1);
  app.add_subcommand("list", "list policies, presets, mailbox and run-queue kinds, and workloads");

  BenchFlags flags;
  std::string config_path;
  CLI::App* bench = app.add_subcommand("bench", "run workloads x configurations, print a table, write JSON");
  add_knob(*bench, flags, "workload", "workloads, comma-separated (see `actorlab list`)", "pingpong");
  add_runtime_knobs(*bench, flags);
  add_knob(*bench, flags, "repetitions", "runs of each cell, interleaved (1-1000)", "5");
  actorlab::bench::RunWatch watch;
  actorlab::bench::add_watch_flags(*bench, watch);  // --stall, --run-limit (bench/runner.hpp)
  add_knob(*bench, flags, "count", "operations per run (0: each workload's default)", "0");
  add_knob(*bench, flags, "param", "workload parameters KEY=VALUE, comma-separated (see `actorlab list`)", "");
  add_knob(*bench, flags, "out", "result JSON path", "results/<host>/bench-<time>.json");
  bench->add_option("--config", config_path,
                    "TOML file with the same keys (policy = [\"steal\", \"skynet\"], threads = 2, spin = 0 ...); "
                    "flags on the command line win");

  actorlab::bench::SuiteCli suite_cli;
  actorlab::bench::add_suite_command(app, suite_cli);
  actorlab::bench::NetCommands net_commands(app);  // echo, http, load

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const actorlab::core::ConfigError& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return 2;
  }

  if (app.got_subcommand("list")) {
    print_list();
    return 0;
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  if (app.got_subcommand("suite")) return actorlab::bench::run_suite_command(suite_cli, command_line);
  if (auto rc = net_commands.run(command_line)) return *rc;

  actorlab::bench::BenchOptions options;
  try {
    if (!config_path.empty()) actorlab::bench::apply_config_file(config_path, flags);
    options.configs = actorlab::bench::build_configs(flags);
    actorlab::bench::apply_allocator(flags);
  } catch (const actorlab::core::ConfigError& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return 2;
  }
  options.workloads = flags.workloads;
  options.repetitions = flags.repetitions;
  options.watch = watch;
  options.count = flags.count;
  options.params = flags.params;
  options.out_path = flags.out_path.empty() ? default_out_path() : flags.out_path;
  if (!config_path.empty()) options.command_line = "config " + config_path + ": ";
  for (int i = 0; i < argc; ++i) options.command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    return actorlab::bench::run_bench(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return 2;
  }
}
