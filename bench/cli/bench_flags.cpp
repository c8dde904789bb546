// bench_flags.cpp: knob parsing shared by flags and the TOML config file.
// Runtime knobs go through the knob table (sched/knobs.hpp); this file adds
// only the bench-only settings and the expansion into configurations.
#include "bench/cli/bench_flags.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <cmath>

#include "bench/cli/input_files.hpp"
#include "bench/workloads/workload.hpp"
#include "core/alloc.hpp"
#include "sched/knobs.hpp"

namespace actorlab::bench {
namespace {

// A TOML value in the text form the flag takes (arrays joined by commas).
std::string flag_text(const toml::node& node, const std::string& key) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<int64_t>()) {
    if (*i < 0) throw core::ConfigError(fmt::format("{}: {} must not be negative", key, *i));
    return std::to_string(*i);
  }
  if (auto d = node.value_exact<double>()) {
    if (!std::isfinite(*d)) throw core::ConfigError(fmt::format("{}: {} is not a finite number", key, *d));
    return fmt::format("{}", *d);
  }
  if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
  if (const auto* array = node.as_array()) {
    if (array->empty()) throw core::ConfigError(fmt::format("{}: empty array: give at least one value", key));
    std::string out;
    for (const auto& item : *array) out += (out.empty() ? "" : ",") + flag_text(item, key);
    return out;
  }
  throw core::ConfigError(fmt::format("{}: expected a string, a number, a boolean or an array of them", key));
}

std::string setting_names() {
  std::string out;
  for (const auto& s : bench_settings()) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

}  // namespace

const std::vector<BenchSetting>& bench_settings() {
  static const std::vector<BenchSetting> list = {
      {"workload", "workloads, comma-separated (see `actorlab list`)", "pingpong"},
      {"repetitions", "runs of each cell, interleaved (1-1000)", "5"},
      {"count", "operations per run, >= 1 (default: each workload's own, `actorlab list`)", ""},
      {"param", "workload parameters KEY=VALUE, comma-separated (see `actorlab list`)", ""},
      {"out", "result JSON path (its directory is created; checked before the first run)",
       "results/<host>/<command>-<time>.json"},
  };
  return list;
}

std::vector<std::string> split_list(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (out.back().empty())
      throw core::ConfigError(fmt::format("{}: empty item in '{}'; give comma-separated values", key, text));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void set_flag(BenchFlags& f, const std::string& key, const std::string& value) {
  if (const sched::Knob* knob = sched::find_knob(key)) {
    core::Config scratch;
    if (knob->list) {
      if (value.empty()) sched::set_knob(scratch, key, value);  // throws: empty value
      for (const auto& item : split_list(value, key)) sched::set_knob(scratch, key, item);
    } else {
      sched::set_knob(scratch, key, value);
    }
    f.knobs[key] = value;
    f.given.insert(key);
    return;
  }
  if (value.empty() && key != "param")
    throw core::ConfigError(fmt::format("{}: empty value", key));
  if (key == "workload") {
    f.workloads = split_list(value, key);
    for (const auto& w : f.workloads) {
      if (find_workload(w) != nullptr) continue;
      std::string names;
      for (const auto& known : workloads()) names += (names.empty() ? "" : ", ") + known.name;
      throw core::ConfigError(fmt::format("workload: unknown '{}'; valid: {}", w, names));
    }
  } else if (key == "repetitions") {
    f.repetitions = static_cast<int>(core::parse_unsigned(value, 1, 1000, key));
  } else if (key == "count") {
    f.count = core::parse_unsigned(value, 1, UINT64_MAX, key);  // 0 is refused, as in suite files
  } else if (key == "out") {
    f.out_path = value;
  } else if (key == "param") {
    if (value.empty()) throw core::ConfigError("param: empty value; give KEY=VALUE");
    for (const auto& item : split_list(value, key)) {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
        throw core::ConfigError(fmt::format("param: '{}' is not KEY=VALUE", item));
      f.params[item.substr(0, eq)] = item.substr(eq + 1);
    }
  } else {
    throw core::ConfigError(
        fmt::format("unknown key '{}'; valid: {}, {}", key, setting_names(), sched::knob_names()));
  }
  f.given.insert(key);
}

void apply_config_file(const std::string& path, BenchFlags& flags) {
  const std::string text = read_input_file(path, "--config");
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw core::ConfigError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                                        e.description()));
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (flags.given.count(name)) continue;  // the command line wins
    try {
      set_flag(flags, name, flag_text(node, name));
    } catch (const core::ConfigError& e) {
      throw core::ConfigError(fmt::format("{}:{}: key '{}': {}", path, node.source().begin.line, name, e.what()));
    }
  }
}

void apply_allocator(const BenchFlags& flags) {
  auto it = flags.knobs.find("alloc");
  if (it == flags.knobs.end()) return;
  const auto kind = it->second == "system" ? core::AllocatorKind::kSystem : core::AllocatorKind::kMimalloc;
  // Before any engine exists: memory must be freed by the allocator that gave it.
  if (!core::select_allocator(kind))
    throw core::ConfigError("alloc: mimalloc is not in this build (configured with -Dallocator=system)");
}

LabeledConfig make_labeled(const std::string& policy, int threads, const std::map<std::string, std::string>& knobs) {
  LabeledConfig lc;
  lc.policy_name = policy;
  core::Config& c = lc.config;
  sched::apply_policy(c, policy);
  c.threads = threads;
  lc.label = fmt::format("policy:{}/threads:{}", policy, threads);
  for (const auto& knob : sched::knobs()) {  // table order: the order names are built in
    if (knob.list || knob.scope == sched::KnobScope::kProcess) continue;
    auto it = knobs.find(knob.name);
    if (it == knobs.end()) continue;
    knob.set(c, it->second);
    lc.label += "/" + knob.name + ":" + it->second;
    lc.knobs[knob.name] = it->second;
  }
  sched::validate_knobs(c);
  return lc;
}

std::vector<LabeledConfig> build_configs(const BenchFlags& f) {
  auto list_of = [&f](const std::string& key, const std::string& fallback) {
    auto it = f.knobs.find(key);
    return split_list(it == f.knobs.end() ? fallback : it->second, key);
  };
  const core::Config defaults;
  std::vector<LabeledConfig> out;
  for (const auto& policy : list_of("policy", defaults.policy)) {
    for (const auto& t : list_of("threads", std::to_string(defaults.threads))) {
      const int n = static_cast<int>(core::parse_unsigned(t, 1, core::Config::kMaxThreads, "threads"));
      out.push_back(make_labeled(policy, n, f.knobs));
    }
  }
  return out;
}

}  // namespace actorlab::bench
