// bench_command.cpp: `actorlab bench`: turns the flags' workloads and count
// into a RunPlan for the shared runner (bench/runner/runner.hpp). A --param goes
// to every chosen workload that declares it.
#include "bench/cli/bench_command.hpp"

#include <set>

#include "bench/cli/input_files.hpp"
#include "bench/runner/runner.hpp"
#include "bench/workloads/workload.hpp"

namespace actorlab::bench {

std::vector<PlannedWorkload> plan_workloads(const BenchOptions& options) {
  std::vector<PlannedWorkload> out;
  out.reserve(options.workloads.size());
  std::set<std::string> used;
  for (const auto& name : options.workloads) {
    PlannedWorkload pw;
    pw.workload = find_workload(name);
    if (pw.workload == nullptr) throw core::ConfigError("workload: unknown '" + name + "'");
    pw.params.count = options.count ? options.count : pw.workload->default_count;
    for (const auto& spec : pw.workload->params) {
      auto it = options.params.find(spec.name);
      if (it == options.params.end()) continue;
      pw.params.values[spec.name] = it->second;
      used.insert(spec.name);
    }
    try {
      validate_params(*pw.workload, pw.params);
    } catch (const core::ConfigError& e) {
      throw core::ConfigError(std::string(e.what()) + " (workload " + name + ")");
    }
    pw.name = planned_name(*pw.workload, pw.params);
    out.push_back(std::move(pw));
  }
  for (const auto& [key, value] : options.params)
    if (!used.count(key))
      throw core::ConfigError("param: no chosen workload takes '" + key + "' (see `actorlab list`)");
  return out;
}

int run_bench(const BenchOptions& options) {
  RunPlan plan;
  plan.workloads = plan_workloads(options);
  check_mailbox_limit(plan.workloads, options.configs);
  check_output_path(options.out_path, "--out");
  check_trace_options(options.trace);
  plan.configs = options.configs;
  plan.repetitions = options.repetitions;
  plan.watch = options.watch;
  plan.trace = options.trace;
  plan.out_path = options.out_path;
  plan.command_line = options.command_line;
  return run_plan(plan);
}

}  // namespace actorlab::bench
