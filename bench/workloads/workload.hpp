// workload.hpp: a bench scenario that runs on a fresh engine and checks its
// own result (a lost or duplicated message fails the run).
//
// How a run ends (WorkloadResult::verdict): it passed; it failed its
// self-check; its set-up was refused (a spawn or send the workload needs was
// refused: reported at once, not after a time-out); it stalled (no message
// was dispatched for RunWatch::stall: a lost message or a stuck worker); it
// was too slow (still making progress when RunWatch::run_limit ran out); or
// it was interrupted (Ctrl-C). The harness watches progress, not time, so a
// slow run that keeps moving is never reported as lost.
//
// A workload reports `operations` (round trips, messages, actors: its unit)
// and the wall time measured by its own actors from the first to the last
// operation, so engine start-up and shutdown are not counted. Latency
// workloads also fill a histogram. Threads: run() is called on the main
// thread; the actors it spawns write the shared Probe only before they call
// signal_done(), whose mutex orders those writes before wait_done() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "perf/histogram.hpp"

namespace actorlab::core {
class TraceSession;  // core/trace.hpp
}  // namespace actorlab::core

namespace actorlab::bench {

enum class Verdict {
  kPassed,
  kFailed,       // the self-check failed (a lost, duplicated or altered message)
  kRefused,      // set-up refused: a spawn or send the workload needs (e.g. --max-actors too small)
  kStalled,      // no progress for RunWatch::stall
  kTooSlow,      // still progressing when RunWatch::run_limit ran out
  kInterrupted,  // Ctrl-C
};

// "passed", "failed", "refused", "stalled", "too slow", "interrupted".
const char* to_string(Verdict v) noexcept;

// How long the harness lets one run go: a stall window (fail when no message
// was dispatched for this long) and an overall limit (fail as too slow).
// Set by the runner from --stall / --run-limit; the defaults are the flags'.
struct RunWatch {
  // 10 s: far above any pause of a healthy run (the slowest workload step,
  // a skynet spawn wave or an echo connect, takes well under a second).
  std::chrono::milliseconds stall{10'000};
  // 600 s: a cut for runs that move but would never finish in useful time
  // (a livelock, or a machine so loaded that the figure means nothing).
  std::chrono::milliseconds run_limit{600'000};
  // --trace: the run's tracks go here (run_on_engine attaches it before
  // start); nullptr: not traced. Owned by the runner, outlives the run.
  core::TraceSession* trace = nullptr;
};

struct WorkloadResult {
  bool ok = false;            // verdict == kPassed
  Verdict verdict = Verdict::kFailed;
  std::string error;          // why the run did not pass
  uint64_t operations = 0;    // in `unit`
  uint64_t wall_ns = 0;       // first to last operation
  uint64_t cpu_ns = 0;        // process CPU time over the run (all threads)
  uint64_t peak_rss_bytes = 0;
  std::optional<perf::LatencyHistogram> latency;
  std::map<std::string, double> counters;  // runtime counters (RuntimeStats)
  std::map<std::string, double> extras;    // the workload's own figures
};

// A workload's parameters for one run: the count (in the workload's unit)
// and named extras (e.g. echo's connections and size), as text from a flag
// or a suite file. The getters throw core::ConfigError naming the key.
struct WorkloadParams {
  uint64_t count = 0;
  std::map<std::string, std::string> values;
  RunWatch watch;  // not a workload parameter: the harness's limits, for run_on_engine

  uint64_t get_u64(const std::string& key, uint64_t fallback, uint64_t min, uint64_t max) const;
  std::string get_text(const std::string& key, const std::string& fallback) const;
};

// A named extra parameter a workload accepts (suites reject any other).
struct ParamSpec {
  std::string name;
  std::string description;
  std::string default_value;
};

struct Workload {
  std::string name;
  std::string description;
  std::string unit;            // what one operation is
  std::string latency_metric;  // what the histogram measures, empty if none
  uint64_t default_count;
  std::function<WorkloadResult(const core::Config&, const WorkloadParams&)> run;
  std::vector<ParamSpec> params = {};  // extras beyond the count
  // Validates a run's count and extras before anything runs (suite files,
  // flags); throws core::ConfigError naming the key. Empty: any count goes.
  std::function<void(const WorkloadParams&)> check = {};
  // Whether its actors resend a message refused with kFull (--mailbox-limit).
  // A workload that does not would lose the message, so the runner refuses
  // a limit for it before anything runs (check_mailbox_limit in runner.cpp).
  bool resends_when_full = false;
};

// Throws core::ConfigError unless every extra in `params` is one `workload`
// declares (the message lists the valid ones), then runs workload.check.
void validate_params(const Workload& workload, const WorkloadParams& params);

const std::vector<Workload>& workloads();
const Workload* find_workload(const std::string& name);

}  // namespace actorlab::bench
