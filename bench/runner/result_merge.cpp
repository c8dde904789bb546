// result_merge.cpp: see result_merge.hpp.
#include "bench/runner/result_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/config.hpp"

namespace actorlab::bench {
namespace {

using core::ConfigError;

struct ShardRef {
  int index = 0;
  int count = 1;
};

// What one file brings, read from its context.
struct Info {
  std::string path;
  OrderedJson suite_hash;  // null when absent (not a suite run)
  OrderedJson commit;
  OrderedJson plan_hash;
  std::vector<ShardRef> shards;  // its own shard, or the shards a merged file holds
  OrderedJson machine;           // for entries without an actorlab_machine
  OrderedJson inputs;            // its actorlab_merge.inputs, or itself as one
  std::vector<std::string> cells;  // run_names, first appearance order
};

std::string text_of(const OrderedJson& value) {
  if (value.is_null()) return "none";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string kind_of(const OrderedJson& machine) {
  return fmt::format("{}, {} CPUs", text_of(machine.value("cpu_model", OrderedJson())),
                     text_of(machine.value("num_cpus", OrderedJson())));
}

std::string cell_of(const OrderedJson& entry) {
  if (auto it = entry.find("run_name"); it != entry.end() && it->is_string()) return it->get<std::string>();
  return entry["name"].get<std::string>();
}

std::optional<ShardRef> shard_ref(const OrderedJson& block) {
  if (!block.is_object()) return std::nullopt;
  const auto index = block.find("index"), count = block.find("count");
  if (index == block.end() || count == block.end() || !index->is_number_integer() || !count->is_number_integer())
    return std::nullopt;
  return ShardRef{index->get<int>(), count->get<int>()};
}

std::string shard_text(const std::vector<ShardRef>& shards) {
  if (shards.empty()) return "no shard";
  std::string out;
  for (const auto& s : shards) out += fmt::format("{}{}/{}", out.empty() ? "" : ", ", s.index, s.count);
  return "shard " + out;
}

Info read_info(const ResultInput& in) {
  const OrderedJson& ctx = in.doc["context"];
  Info info;
  info.path = in.path;
  info.suite_hash = ctx.value("actorlab_suite_hash", OrderedJson());
  info.commit = ctx.value("commit", OrderedJson());
  info.machine = OrderedJson::object();
  for (const char* key : {"host_name", "cpu_model", "num_cpus", "kernel", "governor", "mhz_per_cpu"})
    info.machine[key] = ctx.value(key, OrderedJson());
  info.machine["kind"] = kind_of(info.machine);
  const OrderedJson shard = ctx.value("actorlab_shard", OrderedJson());
  const OrderedJson merge = ctx.value("actorlab_merge", OrderedJson());
  if (merge.is_object()) {  // a merged set, merged again
    info.plan_hash = merge.value("plan_hash", OrderedJson());
    info.inputs = merge.value("inputs", OrderedJson::array());
    for (const auto& input : info.inputs)
      if (auto ref = shard_ref(input.value("shard", OrderedJson()))) info.shards.push_back(*ref);
  } else {
    info.plan_hash = shard.is_object() ? shard.value("plan_hash", OrderedJson()) : OrderedJson();
    if (auto ref = shard_ref(shard)) info.shards.push_back(*ref);
    OrderedJson self = {{"file", in.path},
                        {"suite", ctx.value("actorlab_suite", OrderedJson())},
                        {"suite_hash", info.suite_hash},
                        {"commit", info.commit},
                        {"date", ctx.value("date", OrderedJson())},
                        {"machine", info.machine},
                        {"shard", shard.is_object() ? OrderedJson({{"index", shard.value("index", 0)},
                                                                   {"count", shard.value("count", 1)},
                                                                   {"source", shard.value("source", "")}})
                                                    : OrderedJson()},
                        {"cpus_allowed", shard.is_object() ? shard.value("cpus_allowed", OrderedJson()) : OrderedJson()},
                        {"partial", ctx.value("actorlab_partial", false)},
                        {"elapsed_s", ctx.value("actorlab_elapsed_s", OrderedJson())},
                        {"command", ctx.value("actorlab_command", OrderedJson())}};
    info.inputs = OrderedJson::array({self});
  }
  std::set<std::string> seen;
  for (const auto& entry : in.doc["benchmarks"])
    if (std::string cell = cell_of(entry); seen.insert(cell).second) info.cells.push_back(std::move(cell));
  return info;
}

// Unless allow_mixed: the first file whose `field` differs from the first's.
void check_same(const std::vector<Info>& infos, OrderedJson Info::*field, const char* what, const char* hint,
                bool allow_mixed, std::vector<std::string>& warnings, OrderedJson& mixed, const char* key) {
  for (const auto& info : infos) {
    if (info.*field == infos.front().*field) continue;
    const std::string message =
        fmt::format("{} and {} {}: {} vs {}", infos.front().path, info.path, what, text_of(infos.front().*field),
                    text_of(info.*field));
    if (!allow_mixed) throw ConfigError(fmt::format("{}; {}, or give --allow-mixed", message, hint));
    warnings.push_back(message + " (merged anyway: --allow-mixed)");
    mixed[key] = true;
    return;
  }
  mixed[key] = false;
}

void check_duplicates(const std::vector<Info>& infos) {
  std::map<std::string, std::size_t> owner;  // cell -> index of the first file holding it
  for (std::size_t i = 0; i < infos.size(); ++i) {
    std::size_t clashes = 0;
    const std::string* first = nullptr;
    std::size_t other = 0;
    for (const auto& cell : infos[i].cells) {
      auto [it, fresh] = owner.emplace(cell, i);
      if (fresh) continue;
      if (clashes++ == 0) first = &it->first, other = it->second;
    }
    if (clashes == 0) continue;
    throw ConfigError(fmt::format(
        "cell {} is in both {} ({}) and {} ({}){}; a cell must come from one file: was a shard given twice, or "
        "the same cells run twice?",
        *first, infos[other].path, shard_text(infos[other].shards), infos[i].path, shard_text(infos[i].shards),
        clashes > 1 ? fmt::format(", and {} more cells are in both", clashes - 1) : ""));
  }
}

// Adds a count or a time to the context's; whole numbers stay whole.
void add_number(OrderedJson& ctx, const char* key, const OrderedJson& value) {
  if (!value.is_number()) return;
  if (!ctx.contains(key) || !ctx[key].is_number()) {
    ctx[key] = value;
  } else if (ctx[key].is_number_integer() && value.is_number_integer()) {
    ctx[key] = ctx[key].get<long long>() + value.get<long long>();
  } else {
    ctx[key] = ctx[key].get<double>() + value.get<double>();
  }
}

// Unites the arrays of objects at `key`, by their field `id`.
void unite(OrderedJson& ctx, const OrderedJson& other, const char* key, const char* id) {
  const auto it = other.find(key);
  if (it == other.end() || !it->is_array()) return;
  if (!ctx.contains(key) || !ctx[key].is_array()) ctx[key] = OrderedJson::array();
  for (const auto& item : *it) {
    const OrderedJson name = item.is_object() ? item.value(id, OrderedJson()) : item;
    const bool present = std::any_of(ctx[key].begin(), ctx[key].end(), [&](const OrderedJson& have) {
      return (have.is_object() ? have.value(id, OrderedJson()) : have) == name;
    });
    if (!present) ctx[key].push_back(item);
  }
}

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

ResultInput parse_result_text(std::string_view text, const std::string& path) {
  ResultInput in;
  in.path = path;
  try {
    in.doc = OrderedJson::parse(text);
  } catch (const OrderedJson::parse_error& e) {
    std::string why = e.what();
    if (auto cut = why.find("] "); cut != std::string::npos) why = why.substr(cut + 2);
    throw ConfigError(fmt::format("{}: not JSON: {}", path, why));
  }
  const char* what = "not an actorlab result set (Google Benchmark's schema)";
  if (!in.doc.is_object()) throw ConfigError(fmt::format("{}: {}: the top level is not an object", path, what));
  if (!in.doc.contains("context") || !in.doc["context"].is_object())
    throw ConfigError(fmt::format("{}: {}: no \"context\" object", path, what));
  if (!in.doc.contains("benchmarks") || !in.doc["benchmarks"].is_array())
    throw ConfigError(fmt::format("{}: {}: no \"benchmarks\" array", path, what));
  std::size_t n = 0;
  for (const auto& entry : in.doc["benchmarks"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("run_type") ||
        !entry["run_type"].is_string())
      throw ConfigError(fmt::format("{}: {}: benchmark entry {} has no \"name\" or \"run_type\" string", path, what, n));
    ++n;
  }
  return in;
}

MergeOutcome merge_result_sets(std::vector<ResultInput> inputs, const MergeOptions& options) {
  if (inputs.empty()) throw ConfigError("no result files: give at least one");
  std::vector<Info> infos;
  for (const auto& in : inputs) infos.push_back(read_info(in));
  MergeOutcome out;
  OrderedJson mixed = OrderedJson::object();
  check_same(infos, &Info::suite_hash, "are of different suite files (actorlab_suite_hash)",
             "merge the shards of one suite file", options.allow_mixed, out.warnings, mixed, "suites");
  check_same(infos, &Info::commit, "were built from different commits", "merge results of one build",
             options.allow_mixed, out.warnings, mixed, "commits");
  check_same(infos, &Info::plan_hash, "split different cell lists (actorlab_shard.plan_hash: other knob overrides?)",
             "run every shard with the same suite command line", options.allow_mixed, out.warnings, mixed, "plans");
  check_duplicates(infos);

  // Shards of one plan: every file is one or more shards of the same count.
  std::optional<int> count;
  bool sharded = true;
  for (const auto& info : infos) {
    if (info.shards.empty()) sharded = false;
    for (const auto& s : info.shards) {
      if (count && *count != s.count) sharded = false;
      count = s.count;
    }
  }
  std::vector<std::size_t> order(inputs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::set<int> present;
  if (sharded) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      auto lowest = [&](std::size_t i) {
        int m = *count;
        for (const auto& s : infos[i].shards) m = std::min(m, s.index);
        return m;
      };
      return lowest(a) < lowest(b);
    });
    for (const auto& info : infos)
      for (const auto& s : info.shards) present.insert(s.index);
  }

  // Entries, annotated, in file order; then grouped by cell and renumbered.
  std::vector<std::string> cell_order;
  std::map<std::string, std::vector<OrderedJson>> by_cell;
  struct Kind {
    OrderedJson cpu_model, num_cpus;
    std::set<std::string> hosts;
    std::set<std::string> cells;
  };
  std::map<std::string, Kind> kinds;
  std::vector<std::string> kind_order;
  for (std::size_t i : order) {
    const Info& info = infos[i];
    for (auto& entry : inputs[i].doc["benchmarks"]) {
      if (!entry.contains("actorlab_machine") || !entry["actorlab_machine"].is_object())
        entry["actorlab_machine"] = info.machine;
      if (!entry.contains("actorlab_origin")) {
        const auto& self = info.inputs.front();
        const OrderedJson shard = self.value("shard", OrderedJson());
        entry["actorlab_origin"] = {
            {"file", info.path},
            {"shard", shard.is_object() ? OrderedJson(fmt::format("{}/{}", shard.value("index", 0),
                                                                  shard.value("count", 1)))
                                        : OrderedJson()},
            {"commit", info.commit},
            {"date", self.value("date", OrderedJson())}};
      }
      const OrderedJson& machine = entry["actorlab_machine"];
      const std::string kind = machine.value("kind", kind_of(machine));
      auto [k, fresh] = kinds.try_emplace(kind);
      if (fresh) {
        kind_order.push_back(kind);
        k->second.cpu_model = machine.value("cpu_model", OrderedJson());
        k->second.num_cpus = machine.value("num_cpus", OrderedJson());
      }
      k->second.hosts.insert(text_of(machine.value("host_name", OrderedJson())));
      const std::string cell = cell_of(entry);
      k->second.cells.insert(cell);
      auto [slot, first] = by_cell.try_emplace(cell);
      if (first) cell_order.push_back(cell);
      slot->second.push_back(std::move(entry));
      ++out.entries;
    }
  }
  std::map<std::string, std::pair<int, int>> families;  // family -> (index, instances so far)
  std::vector<std::pair<int, std::string>> slots;
  for (const auto& cell : cell_order) {
    auto [it, fresh] = families.try_emplace(cell.substr(0, cell.find('/')), static_cast<int>(families.size()), 0);
    slots.emplace_back(it->second.first, cell);
    for (auto& entry : by_cell[cell]) {
      entry["family_index"] = it->second.first;
      entry["per_family_instance_index"] = it->second.second;
    }
    ++it->second.second;
  }
  std::stable_sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  OrderedJson benchmarks = OrderedJson::array();
  for (const auto& [family, cell] : slots)
    for (auto& entry : by_cell[cell]) benchmarks.push_back(std::move(entry));
  out.cells = cell_order.size();
  out.machine_kinds = kinds.size();

  // The context.
  OrderedJson ctx = inputs[order.front()].doc["context"];
  ctx.erase("actorlab_shard");
  ctx.erase("actorlab_merge");
  ctx["date"] = options.date;
  std::set<std::string> hosts;
  for (const auto& [kind, k] : kinds) hosts.insert(k.hosts.begin(), k.hosts.end());
  if (hosts.size() > 1) ctx["host_name"] = "several: " + joined(hosts);
  if (kinds.size() > 1) {
    ctx["cpu_model"] = "mixed: " + joined(std::set<std::string>(kind_order.begin(), kind_order.end()));
    ctx["num_cpus"] = 0;
  }
  if (mixed.value("commits", false)) ctx["commit"] = "mixed (see actorlab_origin per entry)";
  bool partial = false;
  OrderedJson warnings = OrderedJson::array(), merged_inputs = OrderedJson::array();
  for (const char* key : {"actorlab_runs_done", "actorlab_runs_planned", "actorlab_runs_total", "actorlab_outliers",
                          "actorlab_elapsed_s"})
    ctx.erase(key);
  for (std::size_t i : order) {
    const OrderedJson& other = inputs[i].doc["context"];
    for (const char* key : {"actorlab_runs_done", "actorlab_runs_planned", "actorlab_runs_total", "actorlab_outliers",
                            "actorlab_elapsed_s"})
      add_number(ctx, key, other.value(key, OrderedJson()));
    partial = partial || other.value("actorlab_partial", false);
    const std::string host = text_of(other.value("host_name", OrderedJson()));
    for (const auto& w : other.value("actorlab_warnings", OrderedJson::array()))
      warnings.push_back(infos[i].inputs.size() == 1 && !other.contains("actorlab_merge")
                             ? OrderedJson(host + ": " + text_of(w))
                             : w);
    unite(ctx, other, "actorlab_configs", "label");
    unite(ctx, other, "actorlab_workloads", "name");
    if (auto counts = other.find("actorlab_workload_counts"); counts != other.end() && counts->is_object())
      for (const auto& [name, value] : counts->items()) ctx["actorlab_workload_counts"][name] = value;
    for (const auto& input : infos[i].inputs) merged_inputs.push_back(input);
  }
  ctx["actorlab_partial"] = partial;
  ctx["actorlab_warnings"] = warnings;
  ctx["actorlab_command"] = options.command_line;
  OrderedJson machines = OrderedJson::array();
  for (const auto& kind : kind_order) {
    const Kind& k = kinds[kind];
    machines.push_back({{"kind", kind},
                        {"cpu_model", k.cpu_model},
                        {"num_cpus", k.num_cpus},
                        {"hosts", k.hosts},
                        {"cells", k.cells.size()}});
  }
  ctx["actorlab_machines"] = machines;
  ctx["actorlab_mixed_machines"] = kinds.size() > 1;
  if (kinds.size() > 1) {
    std::string list;
    for (const auto& m : machines)
      list += fmt::format("{}{} ({} cells on {})", list.empty() ? "" : "; ", m["kind"].get<std::string>(),
                          m["cells"].get<std::size_t>(), joined(m["hosts"].get<std::set<std::string>>()));
    out.warnings.push_back(fmt::format("cells ran on {} kinds of machine: {}; compare cells of one kind only "
                                       "(each entry's actorlab_machine says which)",
                                       kinds.size(), list));
  }
  OrderedJson missing = OrderedJson::array();
  if (sharded)
    for (int s = 0; s < *count; ++s)
      if (!present.count(s)) missing.push_back(s);
  if (!missing.empty()) {
    std::string list;
    for (const auto& s : missing) list += fmt::format("{}{}/{}", list.empty() ? "" : ", ", s.get<int>(), *count);
    out.warnings.push_back(fmt::format("shard{} {} missing: the merged set holds {} of the suite's {} shards",
                                       missing.size() > 1 ? "s" : "", list, present.size(), *count));
  }
  ctx["actorlab_merge"] = {{"inputs", merged_inputs},
                           {"shard_count", sharded ? OrderedJson(*count) : OrderedJson()},
                           {"shards_present", sharded ? OrderedJson(present) : OrderedJson::array()},
                           {"shards_missing", missing},
                           {"complete", sharded && missing.empty()},
                           {"plan_hash", infos[order.front()].plan_hash},
                           {"allow_mixed", options.allow_mixed},
                           {"mixed", mixed}};
  out.doc = OrderedJson::object();
  out.doc["context"] = std::move(ctx);
  out.doc["benchmarks"] = std::move(benchmarks);
  return out;
}

}  // namespace actorlab::bench
