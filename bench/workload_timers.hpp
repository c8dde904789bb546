// workload_timers.hpp: the `timers` workload (many actors with short
// timeouts), in bench/workload_timers.cpp; registered in bench/workloads.cpp.
#pragma once

#include <vector>

#include "bench/workload.hpp"

namespace actorlab::bench {

// Params: `actors` (default 1000) and `delay-us` (default 1000); count = timeouts in total.
WorkloadResult run_timers(const core::Config& config, const WorkloadParams& params);
const std::vector<ParamSpec>& timers_params();
// Checks count >= 1 and the params' ranges before any run (the actors bound
// against --max-actors is checked by the run itself).
void check_timers(const WorkloadParams& params);

}  // namespace actorlab::bench
