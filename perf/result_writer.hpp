// perf/result_writer.hpp: result sets in Google Benchmark's JSON schema (as
// emitted by `--benchmark_format=json` of GBench 1.7.1), so that
// google/benchmark's compare.py can diff two actorlab runs, plus summarize()
// for the table printer.
// Schema kept: "context" (date, host_name, executable, num_cpus, mhz_per_cpu,
// cpu_scaling_enabled, caches, load_avg, library_build_type, then our
// cpu_model, kernel, governor, commit and the caller's extra_context) and
// "benchmarks": per name, its repetitions (run_type "iteration") then, when it
// has >= 2 successful repetitions, the aggregates mean, median, stddev, cv.
// A run's annotations (non-numeric, e.g. an outlier flag) go into its
// iteration entry only.
// Names are an API: compare.py matches benchmarks by exact name.
// Threads: plain functions on caller-owned data; call after the run, never on
// a hot path (they allocate and may throw).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "perf/machine.hpp"

namespace actorlab::perf {

// One repetition of one benchmark. Times are per iteration, in ns.
struct RunRecord {
  std::string name;  // e.g. "ping_pong/policy:steal/threads:4"
  int repetition_index = 0;
  int repetitions = 1;
  uint64_t iterations = 0;  // e.g. messages processed
  double real_time_ns = 0.0;
  double cpu_time_ns = 0.0;
  std::map<std::string, double> counters;  // msgs_per_second, p50_ns, ...
  std::string error_message;  // non-empty: the run failed its self-check;
                              // written as error_occurred, left out of aggregates
  // Fields of this run only, any JSON (e.g. actorlab_verdict, actorlab_outlier
  // and the machine-hygiene sample taken after an outlier): written into the
  // run's entry beside the counters, never aggregated. Must be an object.
  nlohmann::json annotations = nlohmann::json::object();
};

struct ResultSet {
  std::optional<MachineInfo> machine;  // nullopt: read_machine_info() at write time
  std::string date;                    // empty: iso8601_now() at write time
  std::string executable;              // empty: executable_path()
  nlohmann::json extra_context = nlohmann::json::object();  // merged into "context",
                                                             // overriding same keys
  std::vector<RunRecord> runs;         // any order; repetitions may interleave
};

// Builds the document. Throws std::invalid_argument if extra_context or a
// run's annotations is not an object, or a counter or annotation is named
// like a schema field ("name", "real_time"...) or like a counter of its run.
[[nodiscard]] nlohmann::json to_json(const ResultSet& results);

// Writes to_json(results) to `path`: creates parent directories, writes a
// temporary file beside it and renames it over `path`, so readers never see a
// half-written file. Throws std::runtime_error naming the path on failure.
void write_result_file(const ResultSet& results, const std::string& path);

// The same for any text (e.g. a merged result set, bench/runner/result_merge.hpp).
void write_text_file_atomically(const std::string& text, const std::string& path);

// Spread of a sample. stddev is the sample (n-1) standard deviation, as
// GBench's aggregates use; 0 for fewer than two values. All zero when empty.
struct Summary {
  double median = 0.0;
  double mean = 0.0;
  double stddev = 0.0;
  double min = 0.0;
  double max = 0.0;
};

[[nodiscard]] Summary summarize(std::vector<double> values);

}  // namespace actorlab::perf
