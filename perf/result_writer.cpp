// perf/result_writer.cpp: GBench-compatible JSON for result sets. Field names
// and order follow GBench 1.7.1's JSONReporter; compare.py (gbench/report.py)
// needs name, run_type, aggregate_name, time_unit, real_time, cpu_time, and
// sorts by family_index, per_family_instance_index and repetition_index.
// Threads: caller's thread only; no shared state.
#include "perf/result_writer.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string_view>

#include <unistd.h>

namespace actorlab::perf {
namespace {

// Built ordered so the file lists fields in GBench's order; to_json()
// converts to nlohmann::json (alphabetical keys) for callers.
using json = nlohmann::ordered_json;

// Top-level fields of a benchmark entry; a counter may not reuse them.
constexpr std::array<std::string_view, 17> kReservedFields = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "aggregate_name", "aggregate_unit",
    "iterations", "real_time", "cpu_time", "time_unit", "error_occurred",
    "error_message", "label"};

#ifdef NDEBUG
constexpr const char* kBuildType = "release";
#else
constexpr const char* kBuildType = "debug";
#endif

json make_context(const ResultSet& results) {
  const MachineInfo machine = results.machine ? *results.machine : read_machine_info();
  json caches = json::array();
  for (const CacheInfo& cache : machine.caches) {
    caches.push_back({{"type", cache.type},
                      {"level", cache.level},
                      {"size", cache.size_bytes},
                      {"num_sharing", cache.num_sharing}});
  }
  json context = json::object();
  context["date"] = results.date.empty() ? iso8601_now() : results.date;
  context["host_name"] = machine.host_name;
  context["executable"] = results.executable.empty() ? executable_path() : results.executable;
  context["num_cpus"] = machine.num_cpus;
  context["mhz_per_cpu"] = machine.mhz_per_cpu;
  // GBench's meaning: a governor other than "performance" may scale the clock.
  context["cpu_scaling_enabled"] = machine.governor != "unknown" && machine.governor != "performance";
  context["caches"] = std::move(caches);
  context["load_avg"] = {machine.load_avg[0], machine.load_avg[1], machine.load_avg[2]};
  context["library_build_type"] = kBuildType;
  context["cpu_model"] = machine.cpu_model;
  context["kernel"] = machine.kernel;
  context["governor"] = machine.governor;
  context["commit"] = machine.commit;
  if (!results.extra_context.is_object()) {
    throw std::invalid_argument("result set: extra_context must be a JSON object");
  }
  for (const auto& [key, value] : results.extra_context.items()) context[key] = json(value);
  return context;
}

// Family = name up to the first '/', so "ping_pong/policy:steal/threads:4"
// and "ping_pong/policy:skynet/threads:4" are two instances of "ping_pong".
struct NameSlot {
  std::string name;
  int family_index = 0;
  int instance_index = 0;
};

std::vector<NameSlot> assign_families(const std::vector<RunRecord>& runs) {
  std::vector<NameSlot> slots;
  std::map<std::string, std::pair<int, int>> families;  // family -> (index, instances so far)
  std::set<std::string> seen;
  for (const RunRecord& run : runs) {
    if (!seen.insert(run.name).second) continue;
    const std::string family = run.name.substr(0, run.name.find('/'));
    auto [it, added] = families.try_emplace(family, static_cast<int>(families.size()), 0);
    slots.push_back({run.name, it->second.first, it->second.second++});
  }
  std::stable_sort(slots.begin(), slots.end(), [](const NameSlot& a, const NameSlot& b) {
    return a.family_index < b.family_index;
  });
  return slots;
}

json entry_head(const NameSlot& slot, const std::string& name, const char* run_type, int repetitions) {
  json entry = json::object();
  entry["name"] = name;
  entry["family_index"] = slot.family_index;
  entry["per_family_instance_index"] = slot.instance_index;
  entry["run_name"] = slot.name;
  entry["run_type"] = run_type;
  entry["repetitions"] = repetitions;
  return entry;
}

void check_counter_names(const RunRecord& run) {
  for (const auto& [key, value] : run.counters) {
    if (std::find(kReservedFields.begin(), kReservedFields.end(), key) != kReservedFields.end()) {
      throw std::invalid_argument("result set: counter '" + key + "' of '" + run.name +
                                  "' clashes with a schema field");
    }
  }
  if (!run.annotations.is_object())
    throw std::invalid_argument("result set: the annotations of '" + run.name + "' are not an object");
  for (const auto& [key, value] : run.annotations.items()) {
    if (std::find(kReservedFields.begin(), kReservedFields.end(), key) != kReservedFields.end() ||
        run.counters.count(key) != 0) {
      throw std::invalid_argument("result set: annotation '" + key + "' of '" + run.name +
                                  "' clashes with a schema field or a counter");
    }
  }
}

json iteration_entry(const NameSlot& slot, const RunRecord& run) {
  json entry = entry_head(slot, run.name, "iteration", run.repetitions);
  entry["repetition_index"] = run.repetition_index;
  entry["threads"] = 1;
  entry["iterations"] = run.iterations;
  entry["real_time"] = run.real_time_ns;
  entry["cpu_time"] = run.cpu_time_ns;
  entry["time_unit"] = "ns";
  if (!run.error_message.empty()) {
    entry["error_occurred"] = true;
    entry["error_message"] = run.error_message;
  }
  for (const auto& [key, value] : run.counters) entry[key] = value;
  for (const auto& [key, value] : run.annotations.items()) entry[key] = value;
  return entry;
}

struct Aggregate {
  const char* name;
  const char* unit;
  std::function<double(const Summary&)> pick;
};

double coefficient_of_variation(const Summary& s) {
  return s.mean == 0.0 ? 0.0 : s.stddev / s.mean;  // GBench: stddev / mean, a ratio
}

void append_aggregates(const NameSlot& slot, const std::vector<const RunRecord*>& ok, json& out) {
  const std::array<Aggregate, 4> aggregates = {{
      {"mean", "time", [](const Summary& s) { return s.mean; }},
      {"median", "time", [](const Summary& s) { return s.median; }},
      {"stddev", "time", [](const Summary& s) { return s.stddev; }},
      {"cv", "percentage", coefficient_of_variation},
  }};
  const auto summary_of = [&ok](const std::function<std::optional<double>(const RunRecord&)>& get) {
    std::vector<double> values;
    for (const RunRecord* run : ok) {
      if (auto value = get(*run)) values.push_back(*value);
    }
    return summarize(std::move(values));
  };
  const Summary real = summary_of([](const RunRecord& r) { return r.real_time_ns; });
  const Summary cpu = summary_of([](const RunRecord& r) { return r.cpu_time_ns; });
  std::map<std::string, Summary> counters;
  for (const RunRecord* run : ok) {
    for (const auto& [key, value] : run->counters) {
      if (counters.count(key) != 0) continue;
      counters[key] = summary_of([&key](const RunRecord& r) -> std::optional<double> {
        const auto it = r.counters.find(key);
        return it == r.counters.end() ? std::nullopt : std::optional<double>(it->second);
      });
    }
  }
  for (const Aggregate& aggregate : aggregates) {
    json entry = entry_head(slot, slot.name + "_" + aggregate.name, "aggregate",
                            ok.front()->repetitions);
    entry["threads"] = 1;
    entry["aggregate_name"] = aggregate.name;
    entry["aggregate_unit"] = aggregate.unit;
    entry["iterations"] = ok.size();  // GBench: the number of repetitions aggregated
    entry["real_time"] = aggregate.pick(real);
    entry["cpu_time"] = aggregate.pick(cpu);
    entry["time_unit"] = "ns";
    for (const auto& [key, summary] : counters) entry[key] = aggregate.pick(summary);
    out.push_back(std::move(entry));
  }
}

json build_document(const ResultSet& results) {
  json document = json::object();
  document["context"] = make_context(results);
  json benchmarks = json::array();
  for (const RunRecord& run : results.runs) check_counter_names(run);
  for (const NameSlot& slot : assign_families(results.runs)) {
    std::vector<const RunRecord*> ok;
    for (const RunRecord& run : results.runs) {
      if (run.name != slot.name) continue;
      benchmarks.push_back(iteration_entry(slot, run));
      if (run.error_message.empty()) ok.push_back(&run);
    }
    if (ok.size() >= 2) append_aggregates(slot, ok, benchmarks);
  }
  document["benchmarks"] = std::move(benchmarks);
  return document;
}

}  // namespace

nlohmann::json to_json(const ResultSet& results) {
  return nlohmann::json(build_document(results));
}

void write_result_file(const ResultSet& results, const std::string& path) {
  write_text_file_atomically(build_document(results).dump(2) + "\n", path);
}

void write_text_file_atomically(const std::string& text, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code error;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), error);
    if (error) {
      throw std::runtime_error("cannot create directory for result file " + path + ": " +
                               error.message());
    }
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);
      out.close();
      fs::remove(temp, error);
      throw std::runtime_error("cannot write result file " + path + ": " + reason);
    }
  }
  fs::rename(temp, target, error);
  if (error) {
    const std::string reason = error.message();
    fs::remove(temp, error);
    throw std::runtime_error("cannot rename temporary file onto result file " + path + ": " +
                             reason);
  }
}

Summary summarize(std::vector<double> values) {
  Summary summary;
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  summary.min = values.front();
  summary.max = values.back();
  summary.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
  summary.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  if (n >= 2) {
    double squares = 0.0;
    for (double value : values) squares += (value - summary.mean) * (value - summary.mean);
    summary.stddev = std::sqrt(squares / static_cast<double>(n - 1));
  }
  return summary;
}

}  // namespace actorlab::perf
