// trace_flags.cpp: see trace_flags.hpp.
#include "bench/cli/trace_flags.hpp"

#include <fmt/format.h>

#include "bench/cli/bench_cli.hpp"
#include "bench/cli/input_files.hpp"
#include "core/config.hpp"

namespace actorlab::bench {

void add_trace_flags(CLI::App& app, TraceOptions& trace) {
  app.add_option("--trace", trace.path,
                 "write a per-thread scheduler event trace (Chrome trace JSON: Perfetto, chrome://tracing) to FILE; "
                 "several runs: one process per run in the one file (docs/trace.md)")
      ->type_name("FILE")
      ->group("Trace");
  app.add_option_function<uint32_t>(
         "--trace-events",
         [&trace](uint32_t n) {
           trace.events = n;
           trace.events_given = true;
         },
         fmt::format("events kept per thread (a ring: the oldest are dropped and counted); default {}",
                     core::TraceSession::kDefaultEvents))
      ->check(whole_number(core::TraceSession::kMinEvents, core::TraceSession::kMaxEvents))
      ->type_name("N")
      ->group("Trace");
}

void check_trace_options(const TraceOptions& trace) {
  if (trace.path.empty()) {
    if (trace.events_given) throw core::ConfigError("--trace-events: needs --trace=FILE");
    return;
  }
  check_output_path(trace.path, "--trace");
}

}  // namespace actorlab::bench
