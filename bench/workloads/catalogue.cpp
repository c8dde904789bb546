// catalogue.cpp: workloads(), the list the CLI, suites and `actorlab list`
// read, built once on first use (a function-local static: thread-safe
// initialisation, read-only after). Each entry comes from its workload's
// file (catalogue.hpp). Every workload message goes through send_or_drop
// (workload_support.hpp) so the test-only fault hook can lose one and the
// self-check must notice.
#include <vector>

#include "bench/workloads/catalogue.hpp"
#include "bench/workloads/workload.hpp"

namespace actorlab::bench {

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> list = {
      pingpong_workload(), flood_workload(), skynet_workload(),  ring_workload(),  fanout_workload(),
      chameneos_workload(), big_workload(),   skewed_workload(), timers_workload(), echo_workload(),
  };
  return list;
}

}  // namespace actorlab::bench
