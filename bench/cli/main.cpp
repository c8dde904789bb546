// main.cpp: the `actorlab` program: `actorlab list`, `actorlab bench`,
// `actorlab ablate` (bench/cli/ablate_command.hpp), `actorlab suite`
// (bench/cli/suite_command.hpp), `actorlab merge` (bench/cli/merge_command.hpp: the
// shards of a suite joined), and the network commands `echo`, `http`,
// `load` (bench/cli/net_commands.hpp).
// Every flag is validated before anything runs (the knob table,
// sched/knobs.hpp, for every Config knob); a wrong value names the flag and
// the valid ones, and `--flag=` with nothing after the '=' is refused here
// (CLI11 would take the next argument as its value). Exit codes: 0 ok, 1 a
// run failed its self-check (or had a spawn refused), 2 bad input (nothing ran, no file written),
// 3 a run stalled or was too slow (and none failed a check), 130
// interrupted by Ctrl-C (the partial result set was written).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cli/ablate_command.hpp"
#include "bench/cli/bench_cli.hpp"
#include "bench/cli/bench_command.hpp"
#include "bench/cli/bench_flags.hpp"
#include "bench/cli/counter_docs.hpp"
#include "bench/cli/merge_command.hpp"
#include "bench/cli/net_commands.hpp"
#include "bench/cli/report_command.hpp"
#include "bench/runner/runner.hpp"
#include "bench/cli/suite_command.hpp"
#include "bench/workloads/workload.hpp"
#include "core/alloc.hpp"
#include "perf/machine.hpp"
#include "sched/knobs.hpp"
#include "sched/select.hpp"

namespace {

namespace bench = actorlab::bench;
namespace sched = actorlab::sched;
using actorlab::core::ConfigError;

void print_list() {
  auto section = [](const char* title, const std::vector<sched::Named>& list) {
    std::printf("%s:\n", title);
    for (const auto& n : list) std::printf("  %-16s %s\n", n.name.c_str(), n.description.c_str());
  };
  struct Part {
    const char* knob;
    const char* question;
    const std::vector<sched::Named>& (*choices)();
  };
  const Part parts[] = {
      {"placement", "where does a newly runnable actor go?", sched::placement_choices},
      {"home", "which worker is an actor's home (placement=home)?", sched::home_choices},
      {"lifo", "does the actor just messaged run next on this worker?", sched::lifo_choices},
      {"local-push", "does a newly runnable actor join the back of its worker's queue or the front?",
       sched::local_push_choices},
      {"steal", "what does an idle worker take from a victim?", sched::steal_choices},
      {"idle", "how does an idle worker wait, and who wakes whom?", sched::idle_choices},
  };
  std::printf("parts (a policy is a composition of these; flag --KNOB, suite key KNOB):\n");
  for (const auto& p : parts) {
    std::printf("  --%s: %s\n", p.knob, p.question);
    for (const auto& n : p.choices())
      std::printf("      %-16s %s\n", n.name.c_str(), n.description.c_str());
  }
  std::printf("  --batch: how many messages per turn?\n      weights | all | N (default %s)\n",
              sched::default_text(*sched::find_knob("batch")).c_str());
  std::printf("  --mailbox, --runqueue: which data structures carry it? (kinds below)\n");
  std::printf("presets (--policy; a preset plus flags is the preset with those parts changed):\n");
  for (const auto& p : sched::preset_table()) {
    std::printf("  %-16s %s\n", p.name.c_str(), p.description.c_str());
    std::string expansion;
    for (const auto& [knob, value] : p.knobs) expansion += (expansion.empty() ? "" : " ") + fmt::format("--{}={}", knob, value);
    std::printf("  %-16s   = %s\n", "", expansion.c_str());
  }
  section("mailbox kinds (--mailbox)", sched::mailbox_kinds());
  section("run-queue kinds (--runqueue)", sched::run_queue_kinds());
  section("network backends (--backend)", sched::backend_choices());
  section("network drivers (--net)", sched::driver_choices());
  std::printf("workloads (--workload):\n");
  for (const auto& w : bench::workloads()) {
    std::printf("  %-16s %s (default count %llu, unit: %s)\n", w.name.c_str(), w.description.c_str(),
                static_cast<unsigned long long>(w.default_count), w.unit.c_str());
    for (const auto& p : w.params)
      std::printf("  %-16s   %s = %s: %s\n", "", p.name.c_str(), p.default_value.c_str(), p.description.c_str());
  }
  std::printf("every knob, its default and what it takes: `actorlab bench --help`\n");
  std::printf("every runtime counter of a result: `actorlab list counters`\n");
}

std::string default_out_path(const char* command) {
  auto machine = actorlab::perf::read_machine_info();
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  return fmt::format("results/{}/{}-{}.json", machine.host_name, command, stamp);
}

// "--name=" with an empty value: CLI11 would read the next argument as the
// value ("cannot listen on --duration=1:0"). Returns the flag, or empty.
std::string empty_value_flag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 3 && arg.substr(0, 2) == "--" && arg.back() == '=' && arg.find('=') == arg.size() - 1)
      return std::string(arg.substr(0, arg.size() - 1));
  }
  return {};
}

std::string joined(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

// Fills the bench-only settings of options from flags.
void take_settings(const bench::BenchFlags& flags, bench::BenchOptions& options, const char* command) {
  options.workloads = flags.workloads;
  options.repetitions = flags.repetitions;
  options.count = flags.count;
  options.params = flags.params;
  options.out_path = flags.given.count("out") ? flags.out_path : default_out_path(command);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"actorlab: a lock-free actor runtime and bench harness for comparing scheduling policies"};
  app.require_subcommand(1);
  CLI::App* list_cmd =
      app.add_subcommand("list", "list the scheduling parts, presets with their expansions, kinds and workloads");
  std::string list_what;
  list_cmd
      ->add_option("what", list_what,
                   "`counters`: every runtime counter of a result and what it counts, as Markdown (docs/counters.md)")
      ->check(CLI::IsMember({"counters"}));

  bench::BenchFlags flags;
  std::string config_path;
  CLI::App* bench_cmd = app.add_subcommand("bench", "run workloads x configurations, print a table, write JSON");
  bench::add_bench_setting(*bench_cmd, flags, "workload");
  bench::add_runtime_knobs(*bench_cmd, flags);
  bench::RunWatch watch;
  bench::add_watch_flags(*bench_cmd, watch);  // --stall, --run-limit (bench/runner/runner.hpp)
  bench::TraceOptions trace;
  bench::add_trace_flags(*bench_cmd, trace);  // --trace, --trace-events (bench/cli/trace_flags.hpp)
  for (const char* s : {"repetitions", "count", "param", "out"}) bench::add_bench_setting(*bench_cmd, flags, s);
  bench_cmd->add_option("--config", config_path,
                        "TOML file with the same keys (policy = [\"steal\", \"skynet\"], threads = 2, spin = 0 ...); "
                        "flags on the command line win");

  bench::BenchFlags ablate_flags;
  std::string from, to;
  CLI::App* ablate = app.add_subcommand(
      "ablate", "walk from one preset to another one part at a time, run every step interleaved, and print what "
                "each step contributes (median, spread, ratio, counters)");
  ablate->add_option("--from", from, "the preset to start from (see `actorlab list`)")->required();
  ablate->add_option("--to", to, "the preset to walk to")->required();
  bench::add_bench_setting(*ablate, ablate_flags, "workload");
  bench::add_runtime_knobs(*ablate, ablate_flags);
  for (const char* s : {"repetitions", "count", "param", "out"}) bench::add_bench_setting(*ablate, ablate_flags, s);
  bench::TraceOptions ablate_trace;
  bench::add_trace_flags(*ablate, ablate_trace);

  bench::SuiteCli suite_cli;
  bench::add_suite_command(app, suite_cli);
  bench::MergeCli merge_cli;
  bench::add_merge_command(app, merge_cli);
  bench::ReportCli report_cli;
  bench::add_report_command(app, report_cli);
  bench::NetCommands net_commands(app);  // echo, http, load

  if (const std::string flag = empty_value_flag(argc, argv); !flag.empty()) {
    std::fprintf(stderr, "actorlab: %s: empty value; give %s=VALUE (see --help)\n", flag.c_str(), flag.c_str());
    return bench::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return bench::exit_status(app, e);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "actorlab: %s\n", e.what());
    return bench::kExitUsage;
  }

  if (app.got_subcommand("list")) {
    if (list_what == "counters")
      std::fputs(bench::counters_markdown().c_str(), stdout);
    else
      print_list();
    return 0;
  }
  const std::string command_line = joined(argc, argv);
  if (app.got_subcommand("suite")) return bench::run_suite_command(suite_cli, command_line);
  if (app.got_subcommand("merge")) return bench::run_merge_command(merge_cli, command_line);
  if (app.got_subcommand("report")) return bench::run_report_command(report_cli);
  if (auto rc = net_commands.run(command_line)) return *rc;

  if (ablate->parsed()) {
    bench::AblateOptions options;
    try {
      for (const std::string* end : {&from, &to}) {
        actorlab::core::Config scratch;
        sched::set_knob(scratch, "policy", *end);  // a preset: the knob table's policy choices
      }
      if (ablate_flags.given.count("policy"))
        throw ConfigError("policy: ablate walks between --from and --to; give the presets there");
      options.from = from;
      options.to = to;
      options.base = ablate_flags.knobs;
      options.base.erase("threads");
      options.base.erase("alloc");
      if (auto it = ablate_flags.knobs.find("threads"); it != ablate_flags.knobs.end()) {
        const auto list = bench::split_list(it->second, "threads");
        if (list.size() != 1) throw ConfigError("threads: ablate takes one thread count");
        options.threads = std::stoi(list.front());
      }
      bench::apply_allocator(ablate_flags);
      take_settings(ablate_flags, options.bench, "ablate");
      options.bench.command_line = command_line;
      options.bench.trace = ablate_trace;
      return bench::run_ablate(options);
    } catch (const ConfigError& e) {
      std::fprintf(stderr, "actorlab ablate: %s\n", e.what());
      return bench::kExitUsage;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "actorlab ablate: %s\n", e.what());
      return bench::kExitFailed;
    }
  }

  bench::BenchOptions options;
  options.watch = watch;
  options.trace = trace;
  try {
    if (!config_path.empty()) bench::apply_config_file(config_path, flags);
    options.configs = bench::build_configs(flags);
    bench::apply_allocator(flags);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return bench::kExitUsage;
  }
  take_settings(flags, options, "bench");
  if (!config_path.empty()) options.command_line = "config " + config_path + ": ";
  options.command_line += command_line;
  try {
    return bench::run_bench(options);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return bench::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return bench::kExitFailed;
  }
}
