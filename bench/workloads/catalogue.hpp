// catalogue.hpp: every workload the harness knows, one entry function per
// workload file (bench/workloads/<name>.cpp defines <name>_workload()).
// workloads() in catalogue.cpp lists them in this order; adding a workload
// is one file, one line here and one line there. A workload defined outside
// bench/ (examples/own_workload.cpp) runs through the runner's API instead.
#pragma once

#include "bench/workloads/workload.hpp"

namespace actorlab::bench {

Workload pingpong_workload();   // pingpong.cpp
Workload flood_workload();      // flood.cpp
Workload skynet_workload();     // skynet.cpp
Workload ring_workload();       // ring.cpp
Workload fanout_workload();     // fanout.cpp
Workload chameneos_workload();  // chameneos.cpp
Workload big_workload();        // big.cpp
Workload skewed_workload();     // skewed.cpp
Workload timers_workload();     // timers.cpp
Workload echo_workload();       // echo.cpp

}  // namespace actorlab::bench
