// bench_command.cpp: the matrix runner behind `actorlab bench`.
//
// Order: for each repetition, every workload x configuration once, so noise
// on this machine (other load, frequency changes) hits all configurations
// alike; ratios are between medians measured in the same process.
#include "bench/bench_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "bench/workload.hpp"
#include "core/alloc.hpp"
#include "perf/clock.hpp"
#include "perf/histogram.hpp"
#include "perf/machine.hpp"
#include "perf/result_writer.hpp"

namespace actorlab::bench {
namespace {

struct Cell {
  std::string name;
  const Workload* workload;
  const LabeledConfig* config;
  std::vector<double> ns_per_op, ops_per_s, p50, p99, rss_mib;
  int failures = 0;
};

std::string human_rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f} M/s", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.2f} k/s", per_second / 1e3);
  return fmt::format("{:.1f} /s", per_second);
}

std::string human_ns(double ns) {
  if (ns >= 1e9) return fmt::format("{:.2f} s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.2f} us", ns / 1e3);
  return fmt::format("{:.1f} ns", ns);
}

perf::RunRecord to_record(const Cell& cell, int rep, int reps, const WorkloadResult& r) {
  perf::RunRecord rec;
  rec.name = cell.name;
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
  if (r.latency)
    for (const auto& [k, v] : perf::latency_counters(*r.latency)) rec.counters["latency_" + k] = v;
  for (const auto& [k, v] : r.counters) rec.counters["rt_" + k] = v;
  for (const auto& [k, v] : r.extras) rec.counters[k] = v;
  return rec;
}

void print_table(const std::vector<Cell>& cells, int reps) {
  std::printf("\n%-44s %5s %12s %16s %12s %10s %10s %9s %8s\n", "benchmark", "ok", "median/op",
              "spread (min-max)", "throughput", "p50", "p99", "rss MiB", "vs base");
  // Baseline per workload: the skynet-classic configuration if present, else the first.
  std::map<std::string, const Cell*> baseline;
  for (const auto& c : cells) {
    auto& b = baseline[c.workload->name];
    if (b == nullptr || c.config->policy_name == "skynet-classic") b = &c;
  }
  for (const auto& c : cells) {
    const int ok = reps - c.failures;
    if (c.ns_per_op.empty()) {
      std::printf("%-44s %2d/%-2d  all runs failed\n", c.name.c_str(), ok, reps);
      continue;
    }
    auto t = perf::summarize(c.ns_per_op);
    auto rate = perf::summarize(c.ops_per_s);
    std::string p50 = c.p50.empty() ? "-" : human_ns(perf::summarize(c.p50).median);
    std::string p99 = c.p99.empty() ? "-" : human_ns(perf::summarize(c.p99).median);
    const Cell* base = baseline[c.workload->name];
    std::string ratio = "-";
    if (base != nullptr && !base->ns_per_op.empty())
      ratio = fmt::format("{:.2f}x", perf::summarize(base->ns_per_op).median / t.median);
    std::printf("%-44s %2d/%-2d %12s %16s %12s %10s %10s %9.1f %8s\n", c.name.c_str(), ok, reps,
                human_ns(t.median).c_str(),
                fmt::format("{}-{}", human_ns(t.min), human_ns(t.max)).c_str(),
                human_rate(rate.median).c_str(), p50.c_str(), p99.c_str(),
                perf::summarize(c.rss_mib).max, ratio.c_str());
  }
  std::printf("(median/op: wall time per %s; vs base: baseline median / this median, >1 is faster)\n",
              "operation (round trip, message, leaf)");
}

}  // namespace

int run_bench(const BenchOptions& options) {
  std::vector<Cell> cells;
  for (const auto& wname : options.workloads) {
    const Workload* w = find_workload(wname);
    for (const auto& lc : options.configs)
      cells.push_back(Cell{w->name + "/" + lc.label, w, &lc, {}, {}, {}, {}, {}, 0});
  }
  perf::ResultSet results;
  results.machine = perf::read_machine_info();  // load average before the runs
  nlohmann::json configs = nlohmann::json::array();
  for (const auto& lc : options.configs) {
    auto j = lc.config.to_json();
    j["label"] = lc.label;
    j["policy_name"] = lc.policy_name;
    configs.push_back(j);
  }
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& c : cells)
    counts[c.workload->name] = options.count ? options.count : c.workload->default_count;
  results.extra_context = {{"actorlab_configs", configs},
                           {"actorlab_workload_counts", counts},
                           {"actorlab_repetitions", options.repetitions},
                           {"actorlab_order", "interleaved per repetition"},
                           {"actorlab_allocator", core::to_string(core::current_allocator())},
                           {"actorlab_command", options.command_line}};

  const std::size_t total = cells.size() * static_cast<std::size_t>(options.repetitions);
  std::size_t done = 0;
  perf::Stopwatch clock;
  for (int rep = 0; rep < options.repetitions; ++rep) {
    for (auto& cell : cells) {
      const uint64_t count = options.count ? options.count : cell.workload->default_count;
      std::fprintf(stderr, "[%zu/%zu] %s rep %d ...", done + 1, total, cell.name.c_str(), rep + 1);
      std::fflush(stderr);
      WorkloadParams params;
      params.count = count;
      WorkloadResult r = cell.workload->run(cell.config->config, params);
      ++done;
      const double eta = clock.elapsed_s() / static_cast<double>(done) * static_cast<double>(total - done);
      if (r.ok) {
        const double ns = static_cast<double>(r.wall_ns) / static_cast<double>(r.operations);
        std::fprintf(stderr, " %s/op (eta %.0f s)\n", human_ns(ns).c_str(), eta);
        cell.ns_per_op.push_back(ns);
        cell.ops_per_s.push_back(1e9 / ns);
        if (r.latency) {
          cell.p50.push_back(static_cast<double>(r.latency->percentile(50)));
          cell.p99.push_back(static_cast<double>(r.latency->percentile(99)));
        }
        cell.rss_mib.push_back(static_cast<double>(r.peak_rss_bytes) / (1024.0 * 1024.0));
      } else {
        ++cell.failures;
        std::fprintf(stderr, " FAILED: %s\n", r.error.c_str());
      }
      results.runs.push_back(to_record(cell, rep, options.repetitions, r));
    }
  }
  print_table(cells, options.repetitions);
  int failures = 0;
  for (const auto& c : cells) failures += c.failures;
  if (!options.out_path.empty()) {
    perf::write_result_file(results, options.out_path);
    std::printf("wrote %s\n", options.out_path.c_str());
  }
  if (failures > 0) std::fprintf(stderr, "actorlab bench: %d run(s) failed their self-check\n", failures);
  return failures > 0 ? 1 : 0;
}

}  // namespace actorlab::bench
