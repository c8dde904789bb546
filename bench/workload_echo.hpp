// bench/workload_echo.hpp: the `echo` bench workload (see workload_echo.cpp).
#pragma once

#include "bench/workload.hpp"

namespace actorlab::bench {

// The catalogue entry: registered in workloads() (workloads.cpp).
Workload echo_workload();

}  // namespace actorlab::bench
