// trace_flags.hpp: --trace=FILE and --trace-events=N, the scheduler trace
// (core/trace.hpp) of `bench`, `suite`, `ablate`, `echo` and `http`.
// bench, suite and ablate trace every measured run (not the warm-up runs)
// into one file, one process per run; echo and http trace their one run.
// Off (no --trace) nothing is allocated and no ring exists.
// Threads: main thread, start-up and between runs.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "core/trace.hpp"

namespace actorlab::bench {

struct TraceOptions {
  std::string path;  // empty: no trace
  uint32_t events = core::TraceSession::kDefaultEvents;  // per thread's ring
  bool events_given = false;
};

// Declares both flags on `app` (group "Trace").
void add_trace_flags(CLI::App& app, TraceOptions& trace);

// Before anything runs: throws core::ConfigError naming the flag when the
// file cannot be written, or when --trace-events came without --trace.
void check_trace_options(const TraceOptions& trace);

}  // namespace actorlab::bench
