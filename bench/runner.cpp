// runner.cpp: see runner.hpp.
#include "bench/runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "bench/interrupt.hpp"
#include "bench/machine_hygiene.hpp"
#include "bench/report_table.hpp"
#include "core/alloc.hpp"
#include "perf/clock.hpp"
#include "perf/histogram.hpp"
#include "perf/machine.hpp"
#include "perf/result_writer.hpp"

namespace actorlab::bench {
namespace {

struct Cell {
  const PlannedWorkload* planned;
  const LabeledConfig* config;
  CellStats stats;
  double last_run_s = -1.0;  // wall seconds of the last run (warm-up included), for the ETA
};

perf::RunRecord to_record(const Cell& cell, int rep, int reps, const WorkloadResult& r) {
  perf::RunRecord rec;
  rec.name = cell.stats.name;
  rec.repetition_index = rep;
  rec.repetitions = reps;
  rec.iterations = r.operations > 0 ? r.operations : 1;
  const double ops = static_cast<double>(rec.iterations);
  rec.real_time_ns = static_cast<double>(r.wall_ns) / ops;
  rec.cpu_time_ns = static_cast<double>(r.cpu_ns) / ops;
  if (!r.ok) rec.error_message = r.error;
  const double wall_s = static_cast<double>(r.wall_ns) * 1e-9;
  if (wall_s > 0) {
    rec.counters["ops_per_second"] = ops / wall_s;
    auto it = r.counters.find("messages");
    if (it != r.counters.end()) rec.counters["msgs_per_second"] = it->second / wall_s;
  }
  rec.counters["wall_ms"] = static_cast<double>(r.wall_ns) * 1e-6;
  rec.counters["peak_rss_mib"] = static_cast<double>(r.peak_rss_bytes) / (1024.0 * 1024.0);
  if (r.latency) {
    for (const auto& [k, v] : perf::latency_counters(*r.latency)) rec.counters["latency_" + k] = v;
    rec.counters["latency_p9999_ns"] = static_cast<double>(r.latency->percentile(99.99));
  }
  for (const auto& [k, v] : r.counters) rec.counters["rt_" + k] = v;
  for (const auto& [k, v] : r.extras) rec.counters[k] = v;
  return rec;
}

void record_success(CellStats& s, const WorkloadResult& r) {
  const double ns = static_cast<double>(r.wall_ns) / static_cast<double>(r.operations);
  s.ns_per_op.push_back(ns);
  s.ops_per_s.push_back(1e9 / ns);
  if (r.latency) {
    s.p50.push_back(static_cast<double>(r.latency->percentile(50)));
    s.p99.push_back(static_cast<double>(r.latency->percentile(99)));
  }
  s.rss_mib.push_back(static_cast<double>(r.peak_rss_bytes) / (1024.0 * 1024.0));
}

std::string human_duration(double s) {
  if (s < 0) return "?";
  const auto total = static_cast<long long>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

// Remaining time: each cell's last run time (cells not run yet: the mean of
// those that have run) times the runs it has left.
double eta_seconds(const std::vector<Cell>& cells, std::size_t next_cell, int passes_left) {
  double known = 0;
  int known_n = 0;
  for (const auto& c : cells)
    if (c.last_run_s >= 0) known += c.last_run_s, ++known_n;
  if (known_n == 0) return -1;
  const double mean = known / known_n;
  double eta = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const double each = cells[i].last_run_s >= 0 ? cells[i].last_run_s : mean;
    const int runs = passes_left + (i >= next_cell ? 1 : 0);
    eta += each * runs;
  }
  return eta;
}

nlohmann::json plan_context(const RunPlan& plan) {
  nlohmann::json configs = nlohmann::json::array();
  for (const auto& lc : plan.configs) {
    auto j = lc.config.to_json();
    j["label"] = lc.label;
    j["policy_name"] = lc.policy_name;
    configs.push_back(j);
  }
  nlohmann::json workloads = nlohmann::json::array();
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& pw : plan.workloads) {
    workloads.push_back({{"name", pw.name},
                         {"workload", pw.workload->name},
                         {"unit", pw.workload->unit},
                         {"latency", pw.workload->latency_metric},
                         {"count", pw.params.count},
                         {"params", pw.params.values}});
    counts[pw.name] = pw.params.count;
  }
  return {{"actorlab_configs", configs},
          {"actorlab_workloads", workloads},
          {"actorlab_workload_counts", counts},
          {"actorlab_repetitions", plan.repetitions},
          {"actorlab_warmup", plan.warmup},
          {"actorlab_order", "interleaved per repetition"},
          {"actorlab_allocator", core::to_string(core::current_allocator())},
          {"actorlab_command", plan.command_line}};
}

}  // namespace

std::string planned_name(const Workload& workload, const WorkloadParams& params) {
  std::string name = workload.name;
  for (const auto& [key, value] : params.values) name += "/" + key + ":" + value;
  return name;
}

int run_plan(const RunPlan& plan) {
  std::vector<Cell> cells;
  for (const auto& pw : plan.workloads) {
    for (const auto& lc : plan.configs) {
      Cell cell{&pw, &lc, {}, -1.0};
      cell.stats.name = pw.name + "/" + lc.label;
      cell.stats.group = pw.name;
      cell.stats.policy_name = lc.policy_name;
      cells.push_back(std::move(cell));
    }
  }
  perf::ResultSet results;
  results.machine = perf::read_machine_info();  // load average before the runs
  const auto warnings = hygiene_warnings(*results.machine);
  for (const auto& w : warnings) std::fprintf(stderr, "%s: warning: %s\n", plan.program.c_str(), w.c_str());
  results.extra_context = plan_context(plan);
  for (const auto& [k, v] : plan.extra_context.items()) results.extra_context[k] = v;
  results.extra_context["actorlab_warnings"] = warnings;

  InterruptScope interrupt_scope;
  const int passes = plan.warmup + plan.repetitions;
  const std::size_t total = cells.size() * static_cast<std::size_t>(passes);
  std::size_t done = 0;
  std::size_t measured = 0;
  int failures = 0;
  bool interrupted = false;
  for (int pass = 0; pass < passes && !interrupted; ++pass) {
    const bool warmup = pass < plan.warmup;
    const int rep = pass - plan.warmup;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (InterruptScope::interrupted()) {
        interrupted = true;
        break;
      }
      Cell& cell = cells[i];
      const std::string what = warmup ? fmt::format("warm-up {}/{}", pass + 1, plan.warmup)
                                      : fmt::format("rep {}/{}", rep + 1, plan.repetitions);
      std::fprintf(stderr, "[%zu/%zu] %s %s (eta %s) ...", done + 1, total, cell.stats.name.c_str(), what.c_str(),
                   human_duration(eta_seconds(cells, i, passes - pass - 1)).c_str());
      std::fflush(stderr);
      perf::Stopwatch clock;
      WorkloadResult r = cell.planned->workload->run(cell.config->config, cell.planned->params);
      cell.last_run_s = clock.elapsed_s();
      ++done;
      if (!r.ok && r.error == "interrupted") {
        std::fprintf(stderr, " interrupted (not recorded)\n");
        interrupted = true;
        break;
      }
      if (r.ok) {
        std::fprintf(stderr, " %s/op\n", human_ns(static_cast<double>(r.wall_ns) / static_cast<double>(r.operations)).c_str());
      } else {
        ++failures;
        std::fprintf(stderr, " FAILED: %s\n", r.error.c_str());
      }
      if (warmup) continue;
      ++cell.stats.runs;
      ++measured;
      if (r.ok) record_success(cell.stats, r);
      else ++cell.stats.failures;
      results.runs.push_back(to_record(cell, rep, plan.repetitions, r));
    }
  }
  interrupted = interrupted || InterruptScope::interrupted();
  results.extra_context["actorlab_partial"] = interrupted;
  results.extra_context["actorlab_runs_done"] = measured;
  results.extra_context["actorlab_runs_planned"] = cells.size() * static_cast<std::size_t>(plan.repetitions);

  std::vector<CellStats> stats;
  for (const auto& c : cells) stats.push_back(c.stats);
  print_table(stats);
  if (!plan.out_path.empty()) {
    perf::write_result_file(results, plan.out_path);
    std::printf("wrote %s%s\n", plan.out_path.c_str(), interrupted ? " (partial: interrupted)" : "");
  }
  if (failures > 0)
    std::fprintf(stderr, "%s: %d run(s) failed their self-check\n", plan.program.c_str(), failures);
  if (interrupted) {
    std::fprintf(stderr, "%s: interrupted after %zu of %zu measured runs; the result set is marked partial\n",
                 plan.program.c_str(), measured, cells.size() * static_cast<std::size_t>(plan.repetitions));
    return kExitInterrupted;
  }
  return failures > 0 ? kExitFailed : kExitOk;
}

}  // namespace actorlab::bench
