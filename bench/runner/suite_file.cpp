// suite_file.cpp: see suite_file.hpp. Each value is checked where it stands
// (so its error names its line), then the tables are expanded and the
// combinations checked (an error there names the table's line).
#include "bench/runner/suite_file.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "bench/cli/bench_flags.hpp"
#include "bench/cli/input_files.hpp"
#include "sched/knobs.hpp"

namespace actorlab::bench {
namespace {

// The knobs a suite may set: every knob of the table (sched/knobs.hpp)
// except the process-wide alloc (a top-level key here).
const sched::Knob* suite_knob(std::string_view key) {
  const sched::Knob* k = sched::find_knob(key);
  return k != nullptr && k->scope != sched::KnobScope::kProcess ? k : nullptr;
}

std::string knob_list() { return sched::knob_names(false); }

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view key, const std::string& why) const {
    throw core::ConfigError(fmt::format("{}:{}: key '{}': {}", path_, where.begin.line, key, why));
  }

  // A string or a non-negative whole number, as the text a flag takes.
  std::string scalar(const toml::node& node, std::string_view key) const {
    if (const auto* s = node.as_string()) return s->get();
    if (const auto* i = node.as_integer()) {
      if (i->get() < 0) fail(node.source(), key, fmt::format("{} must not be negative", i->get()));
      return std::to_string(i->get());
    }
    fail(node.source(), key, fmt::format("expected a string or a whole number, got {}", type_name(node)));
  }

  // A knob's value: also a decimal number for a knob in seconds, a boolean
  // for a true/false knob.
  std::string knob_scalar(const toml::node& node, const sched::Knob& knob) const {
    if (const auto* d = node.as_floating_point(); d != nullptr && knob.kind == sched::KnobKind::kSeconds) {
      if (!std::isfinite(d->get())) fail(node.source(), knob.name, "not a finite number");
      return fmt::format("{}", d->get());
    }
    if (const auto* b = node.as_boolean(); b != nullptr && knob.kind == sched::KnobKind::kBool)
      return b->get() ? "true" : "false";
    return scalar(node, knob.name);
  }

  std::vector<std::string> scalars(const toml::node& node, const sched::Knob& knob) const {
    std::vector<std::string> out;
    if (const auto* array = node.as_array()) {
      if (array->empty()) fail(node.source(), knob.name, "empty array: give at least one value");
      for (const auto& item : *array) out.push_back(knob_scalar(item, knob));
      return out;
    }
    out.push_back(knob_scalar(node, knob));
    return out;
  }

  int64_t integer(const toml::node& node, std::string_view key, int64_t min, int64_t max) const {
    const auto* i = node.as_integer();
    if (i == nullptr) fail(node.source(), key, fmt::format("expected a whole number, got {}", type_name(node)));
    if (i->get() < min || i->get() > max)
      fail(node.source(), key, fmt::format("{} is out of range [{}, {}]", i->get(), min, max));
    return i->get();
  }

  std::string string(const toml::node& node, std::string_view key) const {
    const auto* s = node.as_string();
    if (s == nullptr) fail(node.source(), key, fmt::format("expected a string, got {}", type_name(node)));
    return s->get();
  }

  const toml::array& tables(const toml::node& node, std::string_view key) const {
    const auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables())
      fail(node.source(), key, fmt::format("expected [[{}]] tables", key));
    return *array;
  }

  static std::string type_name(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "a whole number";
      case toml::node_type::floating_point: return "a decimal number";
      case toml::node_type::boolean: return "a boolean";
      default: return "a date or time";
    }
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Axis {
  std::string key;
  std::vector<std::string> values;
};

// Reads a [matrix] or [[config]] table: every key a knob, every value valid alone.
std::vector<Axis> read_axes(const Reader& in, const toml::table& table) {
  std::vector<Axis> axes;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    if (key == "alloc") in.fail(node.source(), key, "alloc is process-wide: set it at the top level of the suite");
    if (key == "count" || key == "repetitions" || key == "workload")
      in.fail(node.source(), key, "not a knob: count goes in [[workload]], repetitions at the top level");
    const sched::Knob* knob = suite_knob(key);
    if (knob == nullptr) in.fail(node.source(), key, "unknown knob; valid: " + knob_list());
    Axis axis{key, in.scalars(node, *knob)};
    for (const auto& value : axis.values) {
      try {
        BenchFlags alone;
        set_flag(alone, key, value);  // the value alone; combinations are checked in expand()
      } catch (const core::ConfigError& e) {
        in.fail(node.source(), key, e.what());
      }
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

// Every combination of the axes; policy and threads expand in build_configs.
void expand(const Reader& in, const std::vector<Axis>& axes, const toml::table& table, std::string_view name,
            std::vector<LabeledConfig>& out, std::set<std::string>& labels) {
  BenchFlags base;
  std::vector<const Axis*> others;
  for (const auto& axis : axes) {
    if (axis.key == "policy" || axis.key == "threads") {
      std::string joined;
      for (const auto& v : axis.values) joined += (joined.empty() ? "" : ",") + v;
      set_flag(base, axis.key, joined);
    } else {
      others.push_back(&axis);
    }
  }
  std::vector<std::size_t> index(others.size(), 0);
  while (true) {
    BenchFlags flags = base;
    for (std::size_t i = 0; i < others.size(); ++i) set_flag(flags, others[i]->key, others[i]->values[index[i]]);
    std::vector<LabeledConfig> configs;
    try {
      configs = build_configs(flags);
    } catch (const core::ConfigError& e) {
      in.fail(table.source(), name, e.what());
    }
    for (auto& lc : configs) {
      if (!labels.insert(lc.label).second)
        in.fail(table.source(), name, fmt::format("configuration {} is listed twice", lc.label));
      out.push_back(std::move(lc));
    }
    // Odometer, last axis fastest.
    std::size_t i = others.size();
    while (i > 0 && ++index[i - 1] == others[i - 1]->values.size()) index[--i] = 0;
    if (i == 0) break;
  }
}

PlannedWorkload read_workload(const Reader& in, const toml::table& table) {
  const toml::node* name_node = table.get("name");
  if (name_node == nullptr) in.fail(table.source(), "name", "missing: every [[workload]] needs a name");
  const std::string name = in.string(*name_node, "name");
  PlannedWorkload pw;
  pw.workload = find_workload(name);
  if (pw.workload == nullptr) {
    std::string valid;
    for (const auto& w : workloads()) valid += (valid.empty() ? "" : ", ") + w.name;
    in.fail(name_node->source(), "name", fmt::format("unknown workload '{}'; valid: {}", name, valid));
  }
  pw.params.count = pw.workload->default_count;
  std::map<std::string, toml::source_region> where;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    where[key] = node.source();
    if (key == "name") continue;
    if (key == "count") {
      pw.params.count = static_cast<uint64_t>(in.integer(node, key, 1, INT64_MAX));
      continue;
    }
    const auto& specs = pw.workload->params;
    if (std::none_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.name == key; })) {
      std::string valid = "name, count";
      for (const auto& s : specs) valid += ", " + s.name;
      in.fail(node.source(), key, fmt::format("unknown parameter of workload {}; valid: {}", name, valid));
    }
    pw.params.values[key] = in.scalar(node, key);
  }
  try {
    validate_params(*pw.workload, pw.params);
  } catch (const core::ConfigError& e) {
    // The getters' messages start with the key; point at its line.
    const std::string what = e.what();
    for (const auto& [key, region] : where)
      if (what.rfind(key + ":", 0) == 0) in.fail(region, key, what);
    in.fail(table.source(), name, what);
  }
  pw.name = planned_name(*pw.workload, pw.params);
  return pw;
}

}  // namespace

Suite parse_suite(std::string_view text, const std::string& path) {
  const Reader in(path);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw core::ConfigError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                                        e.description()));
  }
  Suite suite;
  suite.path = path;
  suite.name = std::filesystem::path(path).stem().string();
  bool has_configs = false;
  std::set<std::string> labels, names;
  // toml++ keeps a table's keys sorted; read them in the documented order
  // so configurations come matrix first, then each [[config]].
  static constexpr std::array<const char*, 8> kTopKeys = {"name",   "description", "repetitions", "warmup",
                                                          "alloc",  "matrix",      "config",      "workload"};
  for (const auto& [k, node] : root) {
    const std::string key(k.str());
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end())
      in.fail(node.source(), key,
              "unknown key; valid: name, description, repetitions, warmup, alloc, [matrix], [[config]], [[workload]]");
  }
  for (const char* top_key : kTopKeys) {
    const toml::node* found = root.get(top_key);
    if (found == nullptr) continue;
    const toml::node& node = *found;
    const std::string key(top_key);
    if (key == "name") {
      suite.name = in.string(node, key);
    } else if (key == "description") {
      suite.description = in.string(node, key);
    } else if (key == "repetitions") {
      suite.repetitions = static_cast<int>(in.integer(node, key, 1, 1000));
    } else if (key == "warmup") {
      suite.warmup = static_cast<int>(in.integer(node, key, 0, 100));
    } else if (key == "alloc") {
      suite.alloc = in.string(node, key);
      if (suite.alloc != "mimalloc" && suite.alloc != "system")
        in.fail(node.source(), key, fmt::format("unknown '{}'; valid: mimalloc, system", suite.alloc));
    } else if (key == "matrix") {
      const auto* table = node.as_table();
      if (table == nullptr) in.fail(node.source(), key, "expected a [matrix] table");
      expand(in, read_axes(in, *table), *table, key, suite.configs, labels);
      has_configs = true;
    } else if (key == "config") {
      for (const auto& entry : in.tables(node, key)) {
        const auto& table = *entry.as_table();
        expand(in, read_axes(in, table), table, key, suite.configs, labels);
      }
      has_configs = true;
    } else {
      for (const auto& entry : in.tables(node, key)) {
        PlannedWorkload pw = read_workload(in, *entry.as_table());
        if (!names.insert(pw.name).second)
          in.fail(entry.source(), key, fmt::format("workload {} is listed twice (same parameters)", pw.name));
        suite.workloads.push_back(std::move(pw));
      }
    }
  }
  const toml::source_region top{{1, 1}, {1, 1}, nullptr};
  if (!has_configs) in.fail(top, "matrix", "missing: give a [matrix] table or [[config]] tables");
  if (suite.workloads.empty()) in.fail(top, "workload", "missing: give at least one [[workload]] table");
  return suite;
}

Suite load_suite(const std::string& path) {
  return parse_suite(read_input_file(path, "suite file"), path);
}

}  // namespace actorlab::bench
