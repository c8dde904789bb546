// counter_docs.hpp: what every runtime counter in a result means, declared
// once: the worker loop's and the scheduling parts' counters come straight
// from their X-macro tables (core/counters.hpp ACTORLAB_WORKER_COUNTERS,
// sched/part_counters.hpp ACTORLAB_PART_COUNTERS); the rest (stop, registry,
// timers, inboxes, net service) are declared in counter_docs.cpp beside the
// names RuntimeStats carries. `actorlab list counters` prints the table as
// Markdown: docs/counters.md is that output, and a test checks both that the
// page is current and that every counter a run reports is declared here.
// Threads: read-only data.
#pragma once

#include <string>
#include <vector>

namespace actorlab::bench {

struct CounterDoc {
  std::string name;   // as in RuntimeStats; a result field is "rt_" + name
  std::string group;  // the section of docs/counters.md
  std::string doc;
};

const std::vector<CounterDoc>& counter_docs();

// docs/counters.md's text.
std::string counters_markdown();

}  // namespace actorlab::bench
