// bench_flags.cpp: knob parsing shared by flags and the TOML config file.
#include "bench/bench_flags.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include "bench/workload.hpp"
#include "core/alloc.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

uint32_t to_u32(const std::string& v, const std::string& key) {
  return static_cast<uint32_t>(core::parse_unsigned(v, 0, UINT32_MAX, key));
}

// A TOML value in the text form the flag takes (arrays joined by commas).
std::string flag_text(const toml::node& node, const std::string& key) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto i = node.value<int64_t>()) {
    if (*i < 0) throw core::ConfigError(fmt::format("{}: {} must not be negative", key, *i));
    return std::to_string(*i);
  }
  if (const auto* array = node.as_array()) {
    std::string out;
    for (const auto& item : *array) out += (out.empty() ? "" : ",") + flag_text(item, key);
    return out;
  }
  throw core::ConfigError(fmt::format("{}: expected a string, a whole number or an array of them", key));
}

}  // namespace

void set_flag(BenchFlags& f, const std::string& key, const std::string& value) {
  if (key == "workload") f.workloads = split(value);
  else if (key == "policy") f.policies = split(value);
  else if (key == "threads") {
    f.threads.clear();
    for (const auto& t : split(value))
      f.threads.push_back(static_cast<int>(core::parse_unsigned(t, 1, core::Config::kMaxThreads, "threads")));
  } else if (key == "mailbox") f.mailbox = value;
  else if (key == "runqueue") f.runqueue = value;
  else if (key == "batch") f.batch = value;
  else if (key == "pin") f.pin = value;
  else if (key == "alloc") {
    if (value != "mimalloc" && value != "system")
      throw core::ConfigError(fmt::format("alloc: unknown '{}'; valid: mimalloc, system (one per run)", value));
    f.alloc = value;
  }
  else if (key == "spin") f.spin = to_u32(value, key);
  else if (key == "grace") f.grace_ns = to_u32(value, key);
  else if (key == "max-actors") f.max_actors = to_u32(value, key);
  else if (key == "backend") {
    if (value != "epoll" && value != "uring")
      throw core::ConfigError(fmt::format("backend: unknown '{}'; valid: epoll, uring", value));
    f.backend = value;
  } else if (key == "net") {
    if (value != "thread" && value != "worker")
      throw core::ConfigError(fmt::format("net: unknown '{}'; valid: thread, worker", value));
    f.net = value;
  } else if (key == "timer-tick") f.timer_tick_ns = core::parse_unsigned(value, 1000, 1'000'000'000, "timer-tick (ns)");
  else if (key == "repetitions") f.repetitions = static_cast<int>(core::parse_unsigned(value, 1, 1000, key));
  else if (key == "count") f.count = core::parse_unsigned(value, 0, UINT64_MAX, key);
  else if (key == "out") f.out_path = value;
  else if (key == "param") {
    for (const auto& item : split(value)) {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
        throw core::ConfigError(fmt::format("param: '{}' is not KEY=VALUE", item));
      f.params[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  else
    throw core::ConfigError(fmt::format(
        "unknown key '{}'; valid: workload, policy, threads, mailbox, runqueue, batch, pin, alloc, spin, grace, "
        "max-actors, backend, net, timer-tick, repetitions, count, param, out",
        key));
  f.given.insert(key);
}

void apply_config_file(const std::string& path, BenchFlags& flags) {
  toml::table table;
  try {
    table = toml::parse_file(path);
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
  if (!flags.given.count("alloc")) return;
  const auto kind = flags.alloc == "system" ? core::AllocatorKind::kSystem : core::AllocatorKind::kMimalloc;
  // Before any engine exists: memory must be freed by the allocator that gave it.
  if (!core::select_allocator(kind))
    throw core::ConfigError("alloc: mimalloc is not in this build (configured with -Dallocator=system)");
}

std::vector<LabeledConfig> build_configs(const BenchFlags& f) {
  for (const auto& w : f.workloads) {
    if (find_workload(w) == nullptr) {
      std::string names;
      for (const auto& known : workloads()) names += (names.empty() ? "" : ", ") + known.name;
      throw core::ConfigError(fmt::format("workload: unknown '{}'; valid: {}", w, names));
    }
  }
  std::vector<LabeledConfig> out;
  for (const auto& policy : f.policies) {
    for (int n : f.threads) {
      LabeledConfig lc;
      lc.policy_name = policy;
      core::Config& c = lc.config;
      if (!sched::apply_preset(policy, c)) c.policy = policy;
      c.threads = n;
      c.max_actors = f.max_actors;
      lc.label = fmt::format("policy:{}/threads:{}", policy, n);
      if (f.given.count("mailbox")) {
        c.mailbox = core::parse_mailbox_kind(f.mailbox);
        lc.label += "/mailbox:" + f.mailbox;
      }
      if (f.given.count("runqueue")) {
        c.runqueue = f.runqueue;
        lc.label += "/runqueue:" + f.runqueue;
      }
      if (f.given.count("batch")) {
        c.batch = core::BatchKnob::parse(f.batch);
        lc.label += "/batch:" + f.batch;
      }
      if (f.given.count("grace")) {
        c.grace_ns = f.grace_ns;
        lc.label += fmt::format("/grace:{}", f.grace_ns);
      }
      if (f.given.count("pin")) {
        c.pin = f.pin;
        lc.label += "/pin:" + f.pin;
      }
      if (f.given.count("backend")) {
        c.backend = f.backend;
        lc.label += "/backend:" + f.backend;
      }
      if (f.given.count("net")) {
        c.net = f.net;
        lc.label += "/net:" + f.net;
      }
      if (f.given.count("timer-tick")) {
        c.timer_tick_ns = f.timer_tick_ns;
        lc.label += fmt::format("/timer-tick:{}", f.timer_tick_ns);
      }
      if (f.given.count("spin")) {
        c.spin = f.spin;
        lc.label += fmt::format("/spin:{}", f.spin);
      }
      sched::validate(c);
      out.push_back(std::move(lc));
    }
  }
  return out;
}

}  // namespace actorlab::bench
