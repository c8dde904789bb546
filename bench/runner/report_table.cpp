// report_table.cpp: see report_table.hpp.
#include "bench/runner/report_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "perf/result_writer.hpp"

namespace actorlab::bench {

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

std::vector<std::size_t> find_outliers(const std::vector<double>& values, double factor) {
  std::vector<std::size_t> out;
  if (values.size() < 3) return out;
  const double median = perf::summarize(values).median;
  if (!(median > 0)) return out;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] > median * factor || values[i] < median / factor) out.push_back(i);
  return out;
}

void print_table(const std::vector<CellStats>& cells) {
  std::printf("\n%-44s %5s %12s %16s %12s %10s %10s %9s %8s %4s\n", "benchmark", "ok", "median/op",
              "spread (min-max)", "throughput", "p50", "p99", "rss MiB", "vs base", "out");
  std::map<std::string, const CellStats*> baseline;
  for (const auto& c : cells) {
    auto& b = baseline[c.group];
    if (b == nullptr || (c.policy_name == "skynet-classic" && b->policy_name != "skynet-classic")) b = &c;
  }
  for (const auto& c : cells) {
    const int ok = c.runs - c.failures;
    if (c.ns_per_op.empty()) {
      std::printf("%-44s %2d/%-2d  %s\n", c.name.c_str(), ok, c.runs,
                  c.runs == 0 ? "not run" : c.stalls == c.runs ? "all runs stalled or too slow" : "all runs failed");
      continue;
    }
    auto t = perf::summarize(c.ns_per_op);
    auto rate = perf::summarize(c.ops_per_s);
    std::string p50 = c.p50.empty() ? "-" : human_ns(perf::summarize(c.p50).median);
    std::string p99 = c.p99.empty() ? "-" : human_ns(perf::summarize(c.p99).median);
    const CellStats* base = baseline[c.group];
    std::string ratio = "-";
    if (base != nullptr && !base->ns_per_op.empty())
      ratio = fmt::format("{:.2f}x", perf::summarize(base->ns_per_op).median / t.median);
    const std::string out = c.outliers.empty() ? "-" : std::to_string(c.outliers.size());
    std::printf("%-44s %2d/%-2d %12s %16s %12s %10s %10s %9.1f %8s %4s\n", c.name.c_str(), ok, c.runs,
                human_ns(t.median).c_str(), fmt::format("{}-{}", human_ns(t.min), human_ns(t.max)).c_str(),
                human_rate(rate.median).c_str(), p50.c_str(), p99.c_str(), perf::summarize(c.rss_mib).max,
                ratio.c_str(), out.c_str());
  }
  std::printf("(median/op: wall time per operation in the workload's unit, see `actorlab list`; "
              "vs base: baseline median / this median, >1 is faster; out: outlier runs, below)\n");
  bool any = false;
  for (const auto& c : cells) {
    for (const auto& o : c.outliers) {
      if (!any)
        std::printf("outliers: runs more than %.0fx off their cell's median (the spread includes them); "
                    "the machine right after each:\n",
                    kOutlierFactor);
      any = true;
      std::printf("  %s rep %d: %.1fx the median; %s\n", c.name.c_str(), o.repetition + 1, o.ratio,
                  o.machine.c_str());
    }
  }
}

}  // namespace actorlab::bench
