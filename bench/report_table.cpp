// report_table.cpp: see report_table.hpp.
#include "bench/report_table.hpp"

#include <fmt/format.h>

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

void print_table(const std::vector<CellStats>& cells) {
  std::printf("\n%-44s %5s %12s %16s %12s %10s %10s %9s %8s\n", "benchmark", "ok", "median/op",
              "spread (min-max)", "throughput", "p50", "p99", "rss MiB", "vs base");
  std::map<std::string, const CellStats*> baseline;
  for (const auto& c : cells) {
    auto& b = baseline[c.group];
    if (b == nullptr || (c.policy_name == "skynet-classic" && b->policy_name != "skynet-classic")) b = &c;
  }
  for (const auto& c : cells) {
    const int ok = c.runs - c.failures;
    if (c.ns_per_op.empty()) {
      std::printf("%-44s %2d/%-2d  %s\n", c.name.c_str(), ok, c.runs, c.runs ? "all runs failed" : "not run");
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
    std::printf("%-44s %2d/%-2d %12s %16s %12s %10s %10s %9.1f %8s\n", c.name.c_str(), ok, c.runs,
                human_ns(t.median).c_str(), fmt::format("{}-{}", human_ns(t.min), human_ns(t.max)).c_str(),
                human_rate(rate.median).c_str(), p50.c_str(), p99.c_str(), perf::summarize(c.rss_mib).max,
                ratio.c_str());
  }
  std::printf("(median/op: wall time per operation in the workload's unit, see `actorlab list`; "
              "vs base: baseline median / this median, >1 is faster)\n");
}

}  // namespace actorlab::bench
