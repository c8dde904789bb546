// runner.cpp: see runner.hpp.
#include "bench/runner/runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "bench/cli/input_files.hpp"
#include "bench/cli/interrupt.hpp"
#include "bench/runner/machine_hygiene.hpp"
#include "bench/runner/report_table.hpp"
#include "core/alloc.hpp"
#include "core/config.hpp"
#include "core/trace.hpp"
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
  // Per successful measured run, beside stats.ns_per_op: its record in the
  // result set and the machine right after it.
  std::vector<std::size_t> records;
  std::vector<HygieneSample> machine;
};

bool is_stall(Verdict v) { return v == Verdict::kStalled || v == Verdict::kTooSlow; }

// Flags each cell's outliers in its stats and in the result records.
std::size_t flag_outliers(std::vector<Cell>& cells, perf::ResultSet& results) {
  std::size_t flagged = 0;
  for (auto& cell : cells) {
    const auto& values = cell.stats.ns_per_op;
    const auto outliers = find_outliers(values);
    if (outliers.empty()) continue;
    const double median = perf::summarize(values).median;
    for (std::size_t i : outliers) {
      perf::RunRecord& rec = results.runs[cell.records[i]];
      const double ratio = values[i] / median;
      rec.annotations["actorlab_outlier"] = true;
      rec.annotations["actorlab_outlier_ratio"] = ratio;
      rec.annotations["actorlab_hygiene"] = to_json(cell.machine[i]);
      cell.stats.outliers.push_back({rec.repetition_index, ratio, describe(cell.machine[i])});
      ++flagged;
    }
  }
  return flagged;
}

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
  rec.annotations["actorlab_verdict"] = to_string(r.verdict);
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
          {"actorlab_stall_s", std::chrono::duration<double>(plan.watch.stall).count()},
          {"actorlab_run_limit_s", std::chrono::duration<double>(plan.watch.run_limit).count()},
          {"actorlab_outlier_factor", kOutlierFactor},
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

void set_watch_flag(RunWatch& watch, const std::string& flag, const std::string& text) {
  const bool stall = flag == "stall";
  const double min = stall ? 0.1 : 1.0, max = stall ? 3600.0 : 86400.0;
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  // !(a <= v && v <= b) also refuses nan; stod refuses "" and accepts "inf", caught here.
  if (text.empty() || used != text.size() || !(min <= value && value <= max))
    throw core::ConfigError(fmt::format("--{}: '{}' is not allowed; give seconds, a number from {} to {}", flag,
                                        text, min, max));
  const auto ms = std::chrono::milliseconds(static_cast<int64_t>(value * 1000.0 + 0.5));
  (stall ? watch.stall : watch.run_limit) = ms;
}

void add_watch_flags(CLI::App& app, RunWatch& watch) {
  for (const char* flag : {"stall", "run-limit"}) {
    const bool stall = std::string(flag) == "stall";
    app.add_option(
           std::string("--") + flag,
           [&watch, flag](const CLI::results_t& values) {
             // No value (`--stall=` or `--stall` last) reaches here as "": refused.
             set_watch_flag(watch, flag, values.empty() ? std::string() : values.back());
             return true;
           },
           stall ? "seconds without a dispatched message before a run fails as stalled (0.1-3600; default 10)"
                 : "seconds before a run that still makes progress fails as too slow (1-86400; default 600)")
        // At most one value, so that an empty one is refused instead of taking the
        // next argument; no default text, which CLI11 would pass for a missing value.
        ->expected(0, 1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // a later flag wins (scripts/bench "$@")
        ->type_name("S");
  }
}

void check_mailbox_limit(const std::vector<PlannedWorkload>& workloads, const std::vector<LabeledConfig>& configs) {
  for (const auto& pw : workloads)
    for (const auto& lc : configs)
      if (lc.config.mailbox_limit > 0 && !pw.workload->resends_when_full)
        throw core::ConfigError(fmt::format(
            "mailbox-limit: {} is not allowed with workload {}: its actors do not resend a message refused as "
            "full, so a limit would lose one; a limit applies to flood only (give 0 for the others)",
            lc.config.mailbox_limit, pw.workload->name));
}

int run_plan(const RunPlan& plan) {
  check_mailbox_limit(plan.workloads, plan.configs);
  std::vector<Cell> cells;
  std::size_t next_chosen = 0, index = 0;
  for (const auto& pw : plan.workloads) {
    for (const auto& lc : plan.configs) {
      if (plan.cells) {
        const bool chosen = next_chosen < plan.cells->size() && (*plan.cells)[next_chosen] == index;
        ++index;
        if (!chosen) continue;
        ++next_chosen;
      }
      Cell cell{&pw, &lc, {}, -1.0, {}, {}};
      cell.stats.name = pw.name + "/" + lc.label;
      cell.stats.group = pw.name;
      cell.stats.policy_name = lc.policy_name;
      cells.push_back(std::move(cell));
    }
  }
  check_trace_options(plan.trace);  // before any run: a bad path is a usage error
  std::optional<core::TraceFile> trace_file;
  if (!plan.trace.path.empty()) trace_file.emplace(plan.trace.path);
  uint64_t trace_dropped = 0;
  perf::ResultSet results;
  results.machine = perf::read_machine_info();  // load average before the runs
  const auto warnings = hygiene_warnings(*results.machine);
  for (const auto& w : warnings) std::fprintf(stderr, "%s: warning: %s\n", plan.program.c_str(), w.c_str());
  results.extra_context = plan_context(plan);
  for (const auto& [k, v] : plan.extra_context.items()) results.extra_context[k] = v;
  results.extra_context["actorlab_warnings"] = warnings;

  InterruptScope interrupt_scope;
  perf::Stopwatch plan_clock;  // actorlab_elapsed_s: scripts/estimate's basis next time
  const int passes = plan.warmup + plan.repetitions;
  const std::size_t total = cells.size() * static_cast<std::size_t>(passes);
  std::size_t done = 0;
  std::size_t measured = 0;
  int failures = 0;  // failed a check or refused
  int stalls = 0;    // stalled or too slow
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
      WorkloadParams params = cell.planned->params;
      params.watch = plan.watch;
      std::optional<core::TraceSession> trace;
      if (trace_file && !warmup) params.watch.trace = &trace.emplace(plan.trace.events);
      perf::Stopwatch clock;
      WorkloadResult r = cell.planned->workload->run(cell.config->config, params);
      cell.last_run_s = clock.elapsed_s();
      if (trace) {
        trace_file->add_run(*trace, fmt::format("{} rep {}", cell.stats.name, rep + 1));
        trace_dropped += trace->dropped();
      }
      ++done;
      if (r.verdict == Verdict::kInterrupted) {
        std::fprintf(stderr, " interrupted (not recorded)\n");
        interrupted = true;
        break;
      }
      if (r.ok) {
        std::fprintf(stderr, " %s/op\n", human_ns(static_cast<double>(r.wall_ns) / static_cast<double>(r.operations)).c_str());
      } else {
        ++(is_stall(r.verdict) ? stalls : failures);
        std::fprintf(stderr, " FAILED: %s\n", r.error.c_str());
      }
      if (warmup) continue;
      ++cell.stats.runs;
      ++measured;
      if (r.ok) {
        record_success(cell.stats, r);
        cell.records.push_back(results.runs.size());
        cell.machine.push_back(take_hygiene_sample());
      } else {
        ++cell.stats.failures;
        if (is_stall(r.verdict)) ++cell.stats.stalls;
      }
      results.runs.push_back(to_record(cell, rep, plan.repetitions, r));
      if (trace) results.runs.back().annotations["actorlab_trace_pid"] = trace_file->runs();
    }
  }
  interrupted = interrupted || InterruptScope::interrupted();
  results.extra_context["actorlab_partial"] = interrupted;
  results.extra_context["actorlab_runs_done"] = measured;
  results.extra_context["actorlab_runs_planned"] = cells.size() * static_cast<std::size_t>(plan.repetitions);
  results.extra_context["actorlab_outliers"] = flag_outliers(cells, results);
  results.extra_context["actorlab_elapsed_s"] = plan_clock.elapsed_s();
  results.extra_context["actorlab_runs_total"] = done;  // warm-up runs included
  if (trace_file) {
    trace_file->close();
    results.extra_context["actorlab_trace"] = {{"file", plan.trace.path},
                                               {"events_per_thread", plan.trace.events},
                                               {"runs", trace_file->runs()},
                                               {"dropped", trace_dropped}};
    std::fprintf(stderr, "%s: wrote trace %s (%d runs, one process each)%s\n", plan.program.c_str(),
                 plan.trace.path.c_str(), trace_file->runs(),
                 trace_dropped ? fmt::format("; {} older events dropped (raise --trace-events)", trace_dropped).c_str()
                               : "");
  }

  std::vector<CellStats> stats;
  for (const auto& c : cells) stats.push_back(c.stats);
  print_table(stats);
  if (!plan.out_path.empty()) {
    perf::write_result_file(results, plan.out_path);
    std::printf("wrote %s%s\n", plan.out_path.c_str(), interrupted ? " (partial: interrupted)" : "");
  }
  if (failures > 0)
    std::fprintf(stderr, "%s: %d run(s) failed their self-check or had a spawn refused\n", plan.program.c_str(),
                 failures);
  if (stalls > 0)
    std::fprintf(stderr, "%s: %d run(s) stalled (no progress for %.1f s, --stall) or were too slow (--run-limit)\n",
                 plan.program.c_str(), stalls, std::chrono::duration<double>(plan.watch.stall).count());
  if (interrupted) {
    std::fprintf(stderr, "%s: interrupted after %zu of %zu measured runs; the result set is marked partial\n",
                 plan.program.c_str(), measured, cells.size() * static_cast<std::size_t>(plan.repetitions));
    return kExitInterrupted;
  }
  if (failures > 0) return kExitFailed;
  return stalls > 0 ? kExitStalled : kExitOk;
}

}  // namespace actorlab::bench
