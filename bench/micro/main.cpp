// main.cpp: entry point of actorlab_micro, the Google Benchmark
// microbenchmarks of actorlab's queues (see README.md here). Registers every
// benchmark under an explicit name (compare.py matches names, so they are an
// API), adds the build and machine to the JSON context, and parses the one
// flag of our own, --pin, before Google Benchmark sees the rest.
//
// Threads: the main thread only; the benchmarks spawn their own threads.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "bench/micro/micro_support.hpp"
#include "core/affinity.hpp"
#include "core/alloc.hpp"
#include "perf/machine.hpp"

namespace actorlab::bench::micro {
void register_mailbox_benchmarks(const MicroOptions& options);
void register_run_queue_benchmarks(const MicroOptions& options);
void register_steal_queue_benchmarks(const MicroOptions& options);
}  // namespace actorlab::bench::micro

namespace {

constexpr const char* kPinHelp =
    "actorlab_micro flags:\n"
    "  --pin=none|cores|LIST  pin benchmark roles to CPUs (default: none). Role 0 is the\n"
    "                         benchmark thread (consumer or owner), role i the i-th thread it\n"
    "                         spawns; with cores/LIST role r runs on the r-th CPU, modulo.\n\n";

// Removes --pin=SPEC from argv (Google Benchmark rejects unknown flags).
std::string take_pin_flag(int& argc, char** argv) {
  std::string spec = "none";
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--pin=", 6) == 0)
      spec = argv[i] + 6;
    else
      argv[out++] = argv[i];
  }
  argc = out;
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  namespace micro = actorlab::bench::micro;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0) std::fputs(kPinHelp, stdout);

  micro::MicroOptions options;
  options.pin_spec = take_pin_flag(argc, argv);
  try {
    options.cpus = actorlab::core::resolve_pin(options.pin_spec, 1 + micro::kMaxProducers);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actorlab_micro: --pin=%s: %s\n", options.pin_spec.c_str(), e.what());
    return 2;
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const auto machine = actorlab::perf::read_machine_info();
  benchmark::AddCustomContext("actorlab_commit", machine.commit);
  benchmark::AddCustomContext("allocator", actorlab::core::to_string(actorlab::core::current_allocator()));
  benchmark::AddCustomContext("cpu_governor", machine.governor);
  benchmark::AddCustomContext("pin", options.pin_spec);

  micro::register_mailbox_benchmarks(options);
  micro::register_run_queue_benchmarks(options);
  micro::register_steal_queue_benchmarks(options);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
