// bench_command.cpp: `actorlab bench`: turns the flags' workloads and count
// into a RunPlan for the shared runner (bench/runner.hpp).
#include "bench/bench_command.hpp"

#include "bench/runner.hpp"
#include "bench/workload.hpp"

namespace actorlab::bench {

int run_bench(const BenchOptions& options) {
  RunPlan plan;
  plan.workloads.reserve(options.workloads.size());
  for (const auto& name : options.workloads) {
    PlannedWorkload pw;
    pw.workload = find_workload(name);
    if (pw.workload == nullptr) throw core::ConfigError("workload: unknown '" + name + "'");
    pw.params.count = options.count ? options.count : pw.workload->default_count;
    validate_params(*pw.workload, pw.params);
    pw.name = planned_name(*pw.workload, pw.params);
    plan.workloads.push_back(std::move(pw));
  }
  plan.configs = options.configs;
  plan.repetitions = options.repetitions;
  plan.out_path = options.out_path;
  plan.command_line = options.command_line;
  return run_plan(plan);
}

}  // namespace actorlab::bench
