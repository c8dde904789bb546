// report_table.hpp: the table `actorlab bench` and `actorlab suite` print
// after their runs: per cell the median time per operation, the spread,
// throughput, latency p50/p99, peak RSS and the ratio to the baseline
// configuration of the same workload. Main thread only.
#pragma once

#include <string>
#include <vector>

namespace actorlab::bench {

// What the table shows of one cell (workload x configuration).
struct CellStats {
  std::string name;         // the benchmark name, "workload[/param:v]/policy:p/threads:n[...]"
  std::string group;        // the planned workload (baseline is chosen per group)
  std::string policy_name;  // as written (a policy or a preset)
  std::vector<double> ns_per_op, ops_per_s, p50, p99, rss_mib;  // one per successful run
  int runs = 0;      // measured runs (warm-up excluded)
  int failures = 0;  // runs that failed their self-check
};

// Baseline per group: the skynet-classic configuration if present, else the first.
void print_table(const std::vector<CellStats>& cells);

std::string human_ns(double ns);
std::string human_rate(double per_second);

}  // namespace actorlab::bench
