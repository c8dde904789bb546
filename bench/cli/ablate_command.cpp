// ablate_command.cpp: see ablate_command.hpp.
#include "bench/cli/ablate_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "bench/cli/bench_flags.hpp"
#include "bench/cli/input_files.hpp"
#include "bench/runner/report_table.hpp"
#include "bench/runner/runner.hpp"
#include "perf/result_writer.hpp"
#include "sched/knobs.hpp"

namespace actorlab::bench {
namespace {

using Changes = std::vector<std::tuple<std::string, std::string, std::string>>;

std::string describe(const Changes& changes) {
  std::string out;
  for (const auto& [knob, from, to] : changes) out += (out.empty() ? "" : " + ") + fmt::format("{} {}->{}", knob, from, to);
  return out;
}

const char* kind_name(AblateStep::Kind kind) {
  switch (kind) {
    case AblateStep::Kind::kStart: return "start";
    case AblateStep::Kind::kWalk: return "walk";
    case AblateStep::Kind::kTarget: return "target";
    case AblateStep::Kind::kFlip: return "flip";
  }
  return "?";
}

// What one configuration measured on one workload: medians over its
// successful repetitions.
struct Measured {
  bool ok = false;
  int runs = 0;
  perf::Summary ns;
  std::map<std::string, double> metrics;  // steals/op, lifo hits/op, parks/op, mean batch
};

constexpr const char* kMetrics[] = {"steals/op", "lifo hits/op", "parks/op", "mean batch"};

Measured measure(const nlohmann::json& results, const std::string& name) {
  Measured m;
  std::vector<double> ns;
  std::map<std::string, std::vector<double>> metrics;
  for (const auto& b : results.value("benchmarks", nlohmann::json::array())) {
    if (b.value("name", "") != name || b.value("run_type", "") != "iteration") continue;
    ++m.runs;
    if (b.value("error_occurred", false)) continue;
    ns.push_back(b.value("real_time", 0.0));
    const double ops = std::max(1.0, b.value("iterations", 1.0));
    metrics["steals/op"].push_back(b.value("rt_steals", 0.0) / ops);
    metrics["lifo hits/op"].push_back(b.value("rt_lifo_hits", 0.0) / ops);
    metrics["parks/op"].push_back(b.value("rt_parks", 0.0) / ops);
    const double turns = b.value("rt_turns", 0.0);
    metrics["mean batch"].push_back(turns > 0 ? b.value("rt_messages", 0.0) / turns : 0.0);
  }
  if (ns.empty()) return m;
  m.ok = true;
  m.ns = perf::summarize(ns);
  for (auto& [k, v] : metrics) m.metrics[k] = perf::summarize(v).median;
  return m;
}

// The (at most two) metrics that moved most between a and b, as text.
std::string moved(const Measured& a, const Measured& b) {
  std::vector<std::pair<double, std::string>> scored;
  for (const char* key : kMetrics) {
    const double x = a.metrics.at(key), y = b.metrics.at(key);
    const double eps = 1e-4 + 1e-3 * std::max(x, y);
    const double score = std::fabs(std::log((y + eps) / (x + eps)));
    if (score > std::log(1.1)) scored.emplace_back(score, fmt::format("{} {:.3g}->{:.3g}", key, x, y));
  }
  std::sort(scored.begin(), scored.end(), [](const auto& l, const auto& r) { return l.first > r.first; });
  std::string out;
  for (std::size_t i = 0; i < scored.size() && i < 2; ++i) out += (out.empty() ? "" : ", ") + scored[i].second;
  return out.empty() ? "-" : out;
}

}  // namespace

const std::vector<std::string>& ablate_order() {
  static const std::vector<std::string> order = [] {
    std::vector<std::string> o = {"placement", "home",  "steal", "lifo",    "lifo-backoff", "batch",
                                  "idle",      "spin",  "grace", "mailbox", "runqueue"};
    for (const auto& k : sched::knobs())
      if (!k.list && k.scope != sched::KnobScope::kProcess && std::find(o.begin(), o.end(), k.name) == o.end())
        o.push_back(k.name);
    return o;
  }();
  return order;
}

AblatePlan plan_ablation(const std::string& from, const std::string& to, int threads,
                         const std::map<std::string, std::string>& base) {
  AblatePlan plan;
  plan.from = from;
  plan.to = to;
  const LabeledConfig start = make_labeled(from, threads, base);
  const LabeledConfig target = make_labeled(to, threads, base);
  auto value = [](const LabeledConfig& lc, const std::string& knob) { return sched::find_knob(knob)->get(lc.config); };
  std::vector<std::string> remaining;
  for (const auto& k : ablate_order())
    if (value(start, k) != value(target, k)) remaining.push_back(k);
  const std::vector<std::string> differing = remaining;

  plan.steps.push_back({AblateStep::Kind::kStart, {}, start});
  // The walk: at each step the first knob in order whose flip keeps the
  // configuration valid; else the first pair that is valid together.
  std::map<std::string, std::string> current = base;
  LabeledConfig previous = start;
  std::string last_error;
  auto try_flip = [&](const std::vector<std::string>& flip) -> bool {
    auto trial = current;
    for (const auto& k : flip) trial[k] = value(target, k);
    LabeledConfig lc;
    try {
      lc = make_labeled(from, threads, trial);
    } catch (const core::ConfigError& e) {
      last_error = e.what();
      return false;
    }
    Changes changes;
    for (const auto& k : flip) changes.emplace_back(k, value(previous, k), value(target, k));
    plan.steps.push_back({AblateStep::Kind::kWalk, std::move(changes), lc});
    current = std::move(trial);
    previous = lc;
    for (const auto& k : flip) remaining.erase(std::find(remaining.begin(), remaining.end(), k));
    return true;
  };
  while (!remaining.empty()) {
    bool moved_on = false;
    for (std::size_t i = 0; i < remaining.size() && !moved_on; ++i) moved_on = try_flip({remaining[i]});
    for (std::size_t i = 0; i < remaining.size() && !moved_on; ++i)
      for (std::size_t j = i + 1; j < remaining.size() && !moved_on; ++j)
        moved_on = try_flip({remaining[i], remaining[j]});
    if (!moved_on) {
      for (const auto& k : remaining)
        plan.skipped.emplace_back("walk: " + k + " -> " + value(target, k),
                                  "no order keeps every step valid (" + last_error + ")");
      break;
    }
  }
  plan.steps.push_back({AblateStep::Kind::kTarget, {}, target});
  // Each knob flipped alone from the start.
  for (const auto& k : differing) {
    auto trial = base;
    trial[k] = value(target, k);
    try {
      plan.steps.push_back({AblateStep::Kind::kFlip, {{k, value(start, k), value(target, k)}},
                            make_labeled(from, threads, trial)});
    } catch (const core::ConfigError& e) {
      plan.skipped.emplace_back("flip: " + k + " -> " + value(target, k), std::string("invalid alone: ") + e.what());
    }
  }
  return plan;
}

nlohmann::json to_json(const AblatePlan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : plan.steps) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& [knob, from, to] : s.changes) changes.push_back({{"knob", knob}, {"from", from}, {"to", to}});
    steps.push_back({{"kind", kind_name(s.kind)}, {"label", s.config.label}, {"changes", changes}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [what, why] : plan.skipped) skipped.push_back({{"step", what}, {"reason", why}});
  return {{"from", plan.from}, {"to", plan.to}, {"order", ablate_order()}, {"steps", steps}, {"skipped", skipped}};
}

void print_attribution(const AblatePlan& plan, const std::vector<std::string>& workload_names,
                       const nlohmann::json& results, std::FILE* out) {
  for (const auto& w : workload_names) {
    std::fprintf(out, "\nablate %s: %s -> %s\n", w.c_str(), plan.from.c_str(), plan.to.c_str());
    std::fprintf(out, "  %-6s %-40s %11s %18s %8s  %s\n", "step", "change", "median/op", "spread (min-max)", "ratio",
                 "counters that moved most");
    Measured start, previous;
    bool in_flips = false;
    int index = 0;
    for (const auto& s : plan.steps) {
      const Measured m = measure(results, w + "/" + s.config.label);
      std::string step, change;
      const Measured* against = &previous;
      switch (s.kind) {
        case AblateStep::Kind::kStart:
          step = "start";
          change = s.config.label;
          break;
        case AblateStep::Kind::kWalk:
          step = std::to_string(++index);
          change = describe(s.changes);
          break;
        case AblateStep::Kind::kTarget:
          step = "target";
          change = s.config.label;
          against = &start;
          break;
        case AblateStep::Kind::kFlip:
          if (!in_flips) std::fprintf(out, "  each knob alone from the start:\n");
          in_flips = true;
          step = "alone";
          change = describe(s.changes);
          against = &start;
          break;
      }
      if (!m.ok) {
        std::fprintf(out, "  %-6s %-40s %11s  (%d runs, none passed)\n", step.c_str(), change.c_str(), "-", m.runs);
        if (s.kind == AblateStep::Kind::kStart) start = m;
        if (s.kind == AblateStep::Kind::kStart || s.kind == AblateStep::Kind::kWalk) previous = m;
        continue;
      }
      std::string ratio = "1.00x", counters = "-";
      if (s.kind != AblateStep::Kind::kStart && against->ok) {
        ratio = fmt::format("{:.2f}x", against->ns.median / m.ns.median);
        counters = moved(*against, m);
      } else if (s.kind != AblateStep::Kind::kStart) {
        ratio = "-";
      }
      std::fprintf(out, "  %-6s %-40s %11s %18s %8s  %s\n", step.c_str(), change.c_str(), human_ns(m.ns.median).c_str(),
                   fmt::format("{}-{}", human_ns(m.ns.min), human_ns(m.ns.max)).c_str(), ratio.c_str(),
                   counters.c_str());
      if (s.kind == AblateStep::Kind::kStart) start = m;
      if (s.kind == AblateStep::Kind::kStart || s.kind == AblateStep::Kind::kWalk) previous = m;
    }
  }
  for (const auto& [what, why] : plan.skipped) std::fprintf(out, "skipped %s: %s\n", what.c_str(), why.c_str());
  std::fprintf(out,
               "(ratio: the previous step's median / this one's, >1 is faster; the walk's ratios multiply to "
               "start/last step; target and 'alone' rows are against the start)\n");
}

int run_ablate(const AblateOptions& options) {
  const AblatePlan plan = plan_ablation(options.from, options.to, options.threads, options.base);
  RunPlan run;
  run.workloads = plan_workloads(options.bench);
  std::set<std::string> labels;
  for (const auto& s : plan.steps)
    if (labels.insert(s.config.label).second) run.configs.push_back(s.config);
  check_mailbox_limit(run.workloads, run.configs);
  check_output_path(options.bench.out_path, "--out");
  check_trace_options(options.bench.trace);
  run.trace = options.bench.trace;
  run.repetitions = options.bench.repetitions;
  run.out_path = options.bench.out_path;
  run.command_line = options.bench.command_line;
  run.program = "actorlab ablate";
  run.extra_context = {{"actorlab_ablate", to_json(plan)}};
  std::fprintf(stderr, "actorlab ablate: %s -> %s: %zu steps, %zu configurations x %zu workloads x %d repetitions\n",
               plan.from.c_str(), plan.to.c_str(), plan.steps.size(), run.configs.size(), run.workloads.size(),
               run.repetitions);
  const int rc = run_plan(run);
  if (rc == kExitInterrupted) return rc;
  nlohmann::json results;
  try {
    std::ifstream in(run.out_path);
    results = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actorlab ablate: cannot read back %s: %s\n", run.out_path.c_str(), e.what());
    return kExitFailed;
  }
  std::vector<std::string> names;
  for (const auto& pw : run.workloads) names.push_back(pw.name);
  print_attribution(plan, names, results, stdout);
  return rc;
}

}  // namespace actorlab::bench
