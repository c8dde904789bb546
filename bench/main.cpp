// main.cpp: the `actorlab` program: `actorlab list`, `actorlab bench`.
// Every flag is validated before anything runs; a wrong value names the
// valid ones. Exit codes: 0 ok, 1 a run failed its self-check, 2 usage error.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_command.hpp"
#include "bench/workload.hpp"
#include "perf/machine.hpp"
#include "sched/select.hpp"

namespace {

using actorlab::core::Config;
using actorlab::core::ConfigError;

void print_list() {
  auto section = [](const char* title, const std::vector<actorlab::sched::Named>& list) {
    std::printf("%s:\n", title);
    for (const auto& n : list) std::printf("  %-16s %s\n", n.name.c_str(), n.description.c_str());
  };
  section("policies", actorlab::sched::policies());
  section("presets", actorlab::sched::presets());
  section("mailbox kinds (--mailbox)", actorlab::sched::mailbox_kinds());
  section("run-queue kinds (--runqueue)", actorlab::sched::run_queue_kinds());
  std::printf("workloads:\n");
  for (const auto& w : actorlab::bench::workloads())
    std::printf("  %-16s %s (default count %llu %ss)\n", w.name.c_str(), w.description.c_str(),
                static_cast<unsigned long long>(w.default_count), w.unit.c_str());
}

std::string default_out_path() {
  auto machine = actorlab::perf::read_machine_info();
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  return fmt::format("results/{}/bench-{}.json", machine.host_name, stamp);
}

// Builds one labeled config per (policy, threads), then applies explicit knobs.
std::vector<actorlab::bench::LabeledConfig> build_configs(
    const std::vector<std::string>& policies, const std::vector<int>& threads, CLI::App& bench,
    const std::string& mailbox, const std::string& runqueue, const std::string& batch, uint32_t spin,
    uint32_t grace_ns, uint32_t max_actors) {
  std::vector<actorlab::bench::LabeledConfig> out;
  for (const auto& policy : policies) {
    for (int n : threads) {
      actorlab::bench::LabeledConfig lc;
      lc.policy_name = policy;
      Config& c = lc.config;
      if (!actorlab::sched::apply_preset(policy, c)) c.policy = policy;
      c.threads = n;
      lc.label = fmt::format("policy:{}/threads:{}", policy, n);
      if (bench.count("--mailbox")) {
        c.mailbox = actorlab::core::parse_mailbox_kind(mailbox);
        lc.label += "/mailbox:" + mailbox;
      }
      if (bench.count("--runqueue")) {
        c.runqueue = runqueue;
        lc.label += "/runqueue:" + runqueue;
      }
      if (bench.count("--batch")) {
        c.batch = actorlab::core::BatchKnob::parse(batch);
        lc.label += "/batch:" + batch;
      }
      if (bench.count("--grace")) {
        c.grace_ns = grace_ns;
        lc.label += fmt::format("/grace:{}", grace_ns);
      }
      if (bench.count("--spin")) {
        c.spin = spin;
        lc.label += fmt::format("/spin:{}", spin);
      }
      c.max_actors = max_actors;
      actorlab::sched::validate(c);
      out.push_back(std::move(lc));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"actorlab: a lock-free actor runtime and bench harness for comparing scheduling policies"};
  app.require_subcommand(1);
  app.add_subcommand("list", "list policies, presets, mailbox and run-queue kinds, and workloads");

  CLI::App* bench = app.add_subcommand("bench", "run workloads x configurations, print a table, write JSON");
  std::vector<std::string> workloads = {"pingpong"};
  std::vector<std::string> policies = {"skynet"};
  std::vector<int> threads = {2};
  std::string mailbox = "lockfree", runqueue = "lockfree", batch = "weights", out_path;
  uint32_t spin = Config::kDefaultSpin;
  uint32_t grace_ns = Config::kDefaultGraceNs;
  uint32_t max_actors = Config{}.max_actors;
  int repetitions = 5;
  uint64_t count = 0;
  bench->add_option("--workload", workloads, "workloads, comma-separated (see `actorlab list`)")
      ->delimiter(',')->capture_default_str();
  bench->add_option("--policy", policies, "policies or presets, comma-separated")
      ->delimiter(',')->capture_default_str();
  bench->add_option("--threads", threads, "worker threads, comma-separated (1-256)")
      ->delimiter(',')->capture_default_str();
  bench->add_option("--mailbox", mailbox, "mailbox kind: lockfree | spinring (default: the policy's)");
  bench->add_option("--runqueue", runqueue, "run-queue kind: lockfree | spinlist (default: the policy's)");
  bench->add_option("--batch", batch, "messages per turn: weights (skynet's table) | all | N")
      ->capture_default_str();
  bench->add_option("--spin", spin, "empty polls before an idle worker parks")->capture_default_str();
  bench->add_option("--grace", grace_ns,
                    "ns a searching worker leaves a lone queued actor to the worker that queued it")
      ->capture_default_str();
  bench->add_option("--max-actors", max_actors, "registry capacity (1-2097152)")->capture_default_str();
  bench->add_option("--repetitions", repetitions, "runs of each cell, interleaved")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  bench->add_option("--count", count, "operations per run (0: each workload's default)")
      ->capture_default_str();
  bench->add_option("--out", out_path, "result JSON path (default results/<host>/bench-<time>.json)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (app.got_subcommand("list")) {
    print_list();
    return 0;
  }

  actorlab::bench::BenchOptions options;
  try {
    for (const auto& w : workloads) {
      if (actorlab::bench::find_workload(w) == nullptr) {
        std::string names;
        for (const auto& known : actorlab::bench::workloads()) names += (names.empty() ? "" : ", ") + known.name;
        throw ConfigError(fmt::format("workload: unknown '{}'; valid: {}", w, names));
      }
    }
    options.configs = build_configs(policies, threads, *bench, mailbox, runqueue, batch, spin, grace_ns, max_actors);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return 2;
  }
  options.workloads = workloads;
  options.repetitions = repetitions;
  options.count = count;
  options.out_path = out_path.empty() ? default_out_path() : out_path;
  for (int i = 0; i < argc; ++i) options.command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    return actorlab::bench::run_bench(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actorlab bench: %s\n", e.what());
    return 2;
  }
}
