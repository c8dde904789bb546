// report_table.hpp: the table `actorlab bench` and `actorlab suite` print
// after their runs: per cell the median time per operation, the spread,
// throughput, latency p50/p99, peak RSS and the ratio to the baseline
// configuration of the same workload, then the outliers: runs that finished
// far outside their cell's spread (more than kOutlierFactor times the cell's
// median time per operation, or less than its inverse), each with what the
// machine was doing when it ended. Main thread only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace actorlab::bench {

// A run 5x slower (or faster) than its cell's median is not noise of the
// runtime: something else took the machine (or the run skipped its work).
constexpr double kOutlierFactor = 5.0;

// Indices of the values outside [median / factor, median * factor]. None
// for fewer than three values (with two, the median is their mean and
// neither can be 5x off it; which one is "right" is unknowable anyway).
std::vector<std::size_t> find_outliers(const std::vector<double>& values, double factor = kOutlierFactor);

// One run flagged by find_outliers.
struct OutlierRun {
  int repetition = 0;   // 0-based, as in the JSON's repetition_index
  double ratio = 0.0;   // this run's time per operation / the cell's median
  std::string machine;  // describe(HygieneSample) right after the run
};

// What the table shows of one cell (workload x configuration).
struct CellStats {
  std::string name;         // the benchmark name, "workload[/param:v]/policy:p/threads:n[...]"
  std::string group;        // the planned workload (baseline is chosen per group)
  std::string policy_name;  // as written (a policy or a preset)
  std::vector<double> ns_per_op, ops_per_s, p50, p99, rss_mib;  // one per successful run
  int runs = 0;      // measured runs (warm-up excluded)
  int failures = 0;  // runs that did not pass (self-check, refused, stalled, too slow)
  int stalls = 0;    // of those, runs that stalled or were too slow
  std::vector<OutlierRun> outliers;
};

// Baseline per group: the skynet-classic configuration if present, else the first.
void print_table(const std::vector<CellStats>& cells);

std::string human_ns(double ns);
std::string human_rate(double per_second);

}  // namespace actorlab::bench
