// tests/bench/knob_table_test.cpp: the knob table (sched/knobs.hpp) is the
// single source of every knob.
// Guards: a Config field with no knob (so no flag, suite key or name); a
// knob missing from --help, refused by suite files, dropped from the result
// name when given (as --max-actors once was) or absent from the JSON
// context; a bad value or an impossible combination accepted, or refused
// with a message that names neither the knob nor what is allowed (nan, inf,
// 1e300, empty, negative, past the range); a preset plus a flag that does
// not change the preset's part; an ablation walk with an invalid step or a
// step that changes something it does not list.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bench/cli/ablate_command.hpp"
#include "bench/cli/bench_cli.hpp"
#include "bench/cli/bench_flags.hpp"
#include "bench/runner/suite_file.hpp"
#include "sched/knobs.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {
namespace {

using sched::Knob;
using sched::KnobKind;

// A valid value different from the default, for each knob.
std::string sample(const Knob& k) {
  const std::string def = sched::default_text(k);
  switch (k.kind) {
    case KnobKind::kChoice:
      for (const auto& c : k.choices)
        if (c != def) return c;
      break;
    case KnobKind::kCount:
    case KnobKind::kNanos: return std::to_string(std::to_string(k.min) == def ? k.max : k.min);
    case KnobKind::kSeconds: return "1.5";
    case KnobKind::kBool: return def == "true" ? "false" : "true";
    case KnobKind::kText:
      if (k.name == "batch") return "8";
      if (k.name == "pin") return "cores";
      if (k.name == "uring-buffers") return "1024";
      break;
  }
  ADD_FAILURE() << "no sample value for knob " << k.name;
  return def;
}

// Values each knob must refuse.
std::vector<std::string> bad_values(const Knob& k) {
  std::vector<std::string> out = {"", " "};
  switch (k.kind) {
    case KnobKind::kChoice: out.insert(out.end(), {"nope", k.choices.front() + "x"}); break;
    case KnobKind::kCount:
    case KnobKind::kNanos:
      out.insert(out.end(), {"abc", "-1", "1.5", "nan", "inf", "1e300", std::to_string(k.max) + "0"});
      if (k.max < UINT64_MAX) out.push_back(std::to_string(k.max + 1));
      if (k.min > 0) out.push_back(std::to_string(k.min - 1));
      break;
    case KnobKind::kSeconds: out.insert(out.end(), {"nan", "inf", "-inf", "-1", "1e300", "abc", "86401"}); break;
    case KnobKind::kBool: out.insert(out.end(), {"yes", "2"}); break;
    case KnobKind::kText:
      if (k.name == "batch") out.insert(out.end(), {"0", "some", "-3"});
      if (k.name == "pin") out.insert(out.end(), {"everywhere", "99999"});
      if (k.name == "uring-buffers") out.insert(out.end(), {"1000", "65536", "0"});
      break;
  }
  return out;
}

TEST(KnobTable, EveryConfigFieldHasAKnobAndEveryKnobReachesTheContext) {
  const nlohmann::json defaults = core::Config{}.to_json();
  for (const auto& [key, value] : defaults.items()) {
    bool found = false;
    for (const auto& k : sched::knobs()) found = found || k.json_key == key;
    EXPECT_TRUE(found) << "Config::to_json key " << key << " has no knob";
  }
  for (const auto& k : sched::knobs()) {
    if (k.json_key.empty()) continue;  // alloc: process-wide, in actorlab_allocator
    ASSERT_TRUE(defaults.contains(k.json_key)) << k.name;
    core::Config c;
    sched::set_knob(c, k.name, sample(k));
    const nlohmann::json j = c.to_json();
    EXPECT_NE(j[k.json_key], defaults[k.json_key]) << k.name << " does not reach the context";
    const auto& v = j[k.json_key];
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (k.kind == KnobKind::kSeconds)
      EXPECT_EQ(sched::seconds_text(v.get<uint64_t>()), k.get(c)) << k.name;
    else
      EXPECT_EQ(text, k.get(c)) << k.name << ": the context holds another value than the knob";
  }
}

TEST(KnobTable, EveryKnobIsInHelpWithItsAllowedValues) {
  CLI::App app;
  BenchFlags flags;
  add_runtime_knobs(app, flags);
  const std::string help = app.help();
  for (const auto& k : sched::knobs()) {
    EXPECT_NE(help.find("--" + k.name), std::string::npos) << k.name;
    EXPECT_NE(help.find(sched::allowed_text(k)), std::string::npos) << k.name << ": range/choices not in --help";
  }
}

TEST(KnobTable, GivenKnobJoinsTheNameAndTheSuiteAcceptsIt) {
  for (const auto& k : sched::knobs()) {
    if (k.scope == sched::KnobScope::kProcess) continue;
    const std::string value = sample(k);
    BenchFlags flags;
    set_flag(flags, k.name, value);
    std::vector<LabeledConfig> configs;
    try {
      configs = build_configs(flags);
    } catch (const core::ConfigError& e) {
      // An impossible combination with the default preset: the message names the knob.
      EXPECT_NE(std::string(e.what()).find(k.name), std::string::npos) << e.what();
      continue;
    }
    ASSERT_EQ(configs.size(), 1u) << k.name;
    const std::string part = k.list ? k.name + ":" + value : "/" + k.name + ":" + value;
    EXPECT_NE(configs[0].label.find(part), std::string::npos) << k.name << ": " << configs[0].label;
    EXPECT_EQ(k.get(configs[0].config), value) << k.name;

    std::string toml_value = value;
    if (k.kind != KnobKind::kSeconds && k.kind != KnobKind::kBool &&
        (k.kind == KnobKind::kChoice || k.kind == KnobKind::kText))
      toml_value = "\"" + value + "\"";
    const std::string text = "[matrix]\n" + k.name + " = " + toml_value + "\n[[workload]]\nname = \"pingpong\"\n";
    try {
      const Suite suite = parse_suite(text, "knob.toml");
      ASSERT_EQ(suite.configs.size(), 1u);
      EXPECT_NE(suite.configs[0].label.find(part), std::string::npos) << k.name << ": " << suite.configs[0].label;
    } catch (const core::ConfigError& e) {
      ADD_FAILURE() << k.name << ": suite refused " << text << ": " << e.what();
    }
  }
}

// core::Config::validate guards direct users of Config (tests, examples);
// the table is what users meet, so core must accept the table's whole range.
TEST(KnobTable, CoreAcceptsTheTablesWholeRange) {
  for (const auto& k : sched::knobs()) {
    if (k.kind != KnobKind::kCount && k.kind != KnobKind::kNanos && k.kind != KnobKind::kSeconds) continue;
    for (const uint64_t v : {k.min, k.max}) {
      const std::string text = k.kind == KnobKind::kSeconds ? sched::seconds_text(v) : std::to_string(v);
      core::Config c;
      sched::set_knob(c, k.name, text);
      EXPECT_NO_THROW(sched::validate_knobs(c)) << k.name << "=" << text;
    }
  }
}

TEST(KnobTable, MaxActorsJoinsTheName) {
  BenchFlags flags;
  set_flag(flags, "max-actors", "100000");
  EXPECT_EQ(build_configs(flags).at(0).label, "policy:steal/threads:2/max-actors:100000");
}

TEST(KnobTable, BadValuesAreRefusedNamingTheKnobAndWhatIsAllowed) {
  for (const auto& k : sched::knobs()) {
    for (const auto& bad : bad_values(k)) {
      BenchFlags flags;
      try {
        set_flag(flags, k.name, bad);
        ADD_FAILURE() << k.name << "='" << bad << "' accepted";
      } catch (const core::ConfigError& e) {
        const std::string m = e.what();
        EXPECT_EQ(m.rfind(k.name + ":", 0), 0u) << m;
        EXPECT_TRUE(m.find("valid") != std::string::npos || m.find("use ") != std::string::npos ||
                    m.find("range") != std::string::npos)
            << k.name << "='" << bad << "': " << m;
      }
    }
  }
}

TEST(KnobTable, CountZeroIsRefusedLikeInSuites) {
  BenchFlags flags;
  EXPECT_THROW(set_flag(flags, "count", "0"), core::ConfigError);
  EXPECT_THROW(set_flag(flags, "workload", ""), core::ConfigError);
  EXPECT_THROW(set_flag(flags, "workload", "pingpong,"), core::ConfigError);
  EXPECT_THROW(set_flag(flags, "policy", "skynet,,steal"), core::ConfigError);
}

TEST(KnobTable, ImpossibleCombinationNamesTheConflict) {
  BenchFlags flags;
  // Stealing needs per-worker queues: skynet's one global FIFO has none.
  set_flag(flags, "policy", "skynet");
  set_flag(flags, "steal", "half");
  try {
    (void)build_configs(flags);
    FAIL() << "steal=half with placement=global accepted";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("steal"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("placement"), std::string::npos) << e.what();
  }
}

TEST(KnobTable, PresetPlusFlagChangesThatPart) {
  BenchFlags flags;
  set_flag(flags, "policy", "steal,skynet-classic");
  set_flag(flags, "mailbox", "spinring");
  const auto configs = build_configs(flags);
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].label, "policy:steal/threads:2/mailbox:spinring");
  EXPECT_EQ(configs[0].config.mailbox, core::MailboxKind::kSpinRing);
  // The preset's expansion reached the parts; a flag given changes only its own.
  for (const auto& [knob, value] : sched::preset_table()[1].knobs) {
    if (sched::preset_table()[1].name != "steal" || knob == "mailbox") continue;
    EXPECT_EQ(sched::find_knob(knob)->get(configs[0].config), value) << knob;
  }
}

TEST(Ablate, WalkIsValidStepByStepAndCoversEveryDifference) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"skynet", "steal"}, {"skynet-classic", "steal"}, {"steal", "skynet-classic"}, {"pinned", "steal"}}) {
    const AblatePlan plan = plan_ablation(from, to, 2, {});
    ASSERT_GE(plan.steps.size(), 2u);
    EXPECT_EQ(plan.steps.front().kind, AblateStep::Kind::kStart);
    std::set<std::string> covered;
    const LabeledConfig* previous = &plan.steps.front().config;
    for (const auto& step : plan.steps) {
      EXPECT_NO_THROW(sched::validate_knobs(step.config.config)) << step.config.label;
      if (step.kind != AblateStep::Kind::kWalk) continue;
      std::set<std::string> listed;
      for (const auto& [knob, old_value, new_value] : step.changes) {
        listed.insert(knob);
        covered.insert(knob);
        EXPECT_EQ(sched::find_knob(knob)->get(previous->config), old_value) << step.config.label;
        EXPECT_EQ(sched::find_knob(knob)->get(step.config.config), new_value) << step.config.label;
      }
      for (const auto& k : sched::knobs()) {
        if (listed.count(k.name) || k.list || k.json_key.empty()) continue;
        EXPECT_EQ(k.get(previous->config), k.get(step.config.config))
            << step.config.label << " changes " << k.name << " without saying so";
      }
      previous = &step.config;
    }
    for (const auto& [what, why] : plan.skipped) {
      EXPECT_FALSE(why.empty()) << what;
      covered.insert(what);  // stated, with a reason
    }
    const LabeledConfig target = make_labeled(to, 2, {});
    for (const auto& name : ablate_order()) {
      const Knob& k = *sched::find_knob(name);
      if (k.get(plan.steps.front().config.config) == k.get(target.config)) continue;
      bool stated = covered.count(name) > 0;
      for (const auto& c : covered) stated = stated || c.rfind("walk: " + name + " ", 0) == 0;
      EXPECT_TRUE(stated) << from << " -> " << to << ": " << name << " differs but is neither walked nor skipped";
    }
  }
}

TEST(Ablate, SkynetToStealStartsWithPlacementAndFlipsEachPartAlone) {
  const AblatePlan plan = plan_ablation("skynet", "steal", 2, {{"spin", "0"}});
  ASSERT_GE(plan.steps.size(), 3u);
  const auto& first = plan.steps[1];
  ASSERT_EQ(first.kind, AblateStep::Kind::kWalk);
  EXPECT_EQ(std::get<0>(first.changes.front()), "placement");
  EXPECT_EQ(plan.steps.front().config.label, "policy:skynet/threads:2/spin:0");  // the base joins every step
  int flips = 0;
  for (const auto& s : plan.steps) flips += s.kind == AblateStep::Kind::kFlip;
  EXPECT_GE(flips + static_cast<int>(plan.skipped.size()), 3);  // placement, steal, lifo at least
  const auto j = to_json(plan);
  EXPECT_EQ(j["from"], "skynet");
  EXPECT_EQ(j["steps"].size(), plan.steps.size());
}

}  // namespace
}  // namespace actorlab::bench
