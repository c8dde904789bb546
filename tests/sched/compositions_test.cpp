// compositions_test.cpp: the scheduling parts combine as sched/select.hpp
// says. Targets: a composition the generated conformance list silently
// drops or duplicates (so invariants 1-6 would not run on it); an
// impossible combination accepted (e.g. steal under one global FIFO) or
// refused with a message that does not name the conflict; a preset named in
// a hand-built Config that make_engine ignores (policy = "skynet-classic"
// must mean the spinlocked mailbox and run queue); preset + part changed
// losing the change; the traits the invariant tests rely on.
// Threads: the test's main thread only (no engine is started).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sched/select.hpp"
#include "tests/test_support.hpp"

namespace {

using namespace testing_support;
namespace sched = actorlab::sched;

TEST(Compositions, GeneratedListHasEveryPresetAndEverySingleChange) {
  const auto all = all_compositions(/*all=*/true);
  std::set<std::string> names, keys;
  for (const auto& p : all) {
    EXPECT_TRUE(names.insert(p.label).second) << "duplicate name " << p.label;
    EXPECT_TRUE(keys.insert(parts_key(p.parts)).second) << "duplicate composition " << p.label;
    EXPECT_NO_THROW(sched::validate(p.parts)) << p.label;
  }
  for (const char* expected :
       {"skynet", "steal", "pinned", "skynet_classic", "skynet_lifo_on", "skynet_lifo_stealable",
        "skynet_placement_local", "skynet_batch_all", "skynet_batch_1", "skynet_idle_spin", "skynet_idle_park",
        "skynet_mailbox_spinring", "skynet_runqueue_spinlist", "steal_lifo_off", "steal_lifo_stealable",
        "steal_steal_off", "steal_steal_one", "steal_batch_all", "steal_idle_spin", "steal_idle_park",
        "steal_mailbox_spinring", "steal_runqueue_spinlist", "pinned_home_hash", "skynet_mailbox_segmented",
        "steal_mailbox_segmented", "steal_steal_patience_4000", "steal_local_push_front"})
    EXPECT_EQ(names.count(expected), 1u) << "missing composition " << expected;
  // Invalid single changes are not compositions: steal under global or home.
  EXPECT_EQ(names.count("skynet_steal_half"), 0u);
  EXPECT_EQ(names.count("steal_placement_global"), 0u);
  EXPECT_EQ(names.count("skynet_local_push_front"), 0u);  // one global FIFO: no worker queue to order
  // skynet with placement home is the pinned preset: kept once, as pinned.
  EXPECT_EQ(names.count("skynet_placement_home"), 0u);
  if (!kSanitizerBuild) {
    EXPECT_EQ(engine_params().size(), all.size()) << "the normal build runs every composition";
  }
}

// The message names the knob, the conflict, and the way out.
void expect_refused(const std::function<void(actorlab::core::Config&)>& tweak, std::vector<std::string> words) {
  actorlab::core::Config c;
  tweak(c);
  try {
    sched::validate(c);
    ADD_FAILURE() << "accepted";
  } catch (const actorlab::core::ConfigError& e) {
    for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what() << " / " << w;
  }
}

TEST(Compositions, ImpossibleCombinationsAreRefusedNamingTheConflict) {
  expect_refused([](auto& c) { sched::apply_preset("skynet", c); c.steal = "half"; },
                 {"steal: 'half'", "placement local", "placement global has one FIFO"});
  expect_refused([](auto& c) { sched::apply_preset("pinned", c); c.steal = "one"; },
                 {"steal: 'one'", "placement home binds"});
  expect_refused([](auto& c) { sched::apply_preset("pinned", c); c.lifo = "stealable"; },
                 {"lifo: 'stealable'", "placement home", "--lifo=on"});
  expect_refused([](auto& c) { c.home = "hash"; }, {"home: 'hash'", "placement home only", "placement is local"});
  expect_refused([](auto& c) { sched::apply_preset("skynet", c); c.home = "hash"; },
                 {"home: 'hash'", "placement home only", "placement is global"});
  expect_refused([](auto& c) { c.net = "worker"; c.idle = "spin"; }, {"net: 'worker'", "never parks", "--net=thread"});
  expect_refused([](auto& c) { sched::apply_preset("skynet", c); c.local_push = "front"; },
                 {"local-push: 'front'", "placement local", "placement is global", "--local-push=back"});
  expect_refused([](auto& c) { sched::apply_preset("pinned", c); c.local_push = "front"; },
                 {"local-push: 'front'", "placement is home"});
  expect_refused([](auto& c) { c.local_push = "middle"; }, {"local-push: unknown 'middle'", "back, front"});
  expect_refused([](auto& c) { c.lifo = "maybe"; }, {"lifo: unknown 'maybe'", "off, on, stealable"});
  expect_refused([](auto& c) { c.steal = "all"; }, {"steal: unknown 'all'", "off, one, half"});
  expect_refused([](auto& c) { c.idle = "sleep"; }, {"idle: unknown 'sleep'", "spin, park, spin-then-park"});
  expect_refused([](auto& c) { c.placement = "numa"; }, {"placement: unknown 'numa'", "global, local, home"});
  expect_refused([](auto& c) { c.policy = "fair"; }, {"policy: unknown 'fair'", "skynet", "skynet-classic"});
}

TEST(Compositions, PresetInAHandBuiltConfigIsApplied) {
  actorlab::core::Config c;
  c.policy = "skynet-classic";
  const auto r = sched::resolve(c);
  EXPECT_EQ(r.mailbox, actorlab::core::MailboxKind::kSpinRing);
  EXPECT_EQ(r.runqueue, "spinlist");
  c.policy = "steal";
  EXPECT_EQ(sched::resolve(c).placement, "local");
  EXPECT_EQ(sched::resolve(c).lifo, "on");
  auto engine = sched::make_engine(c);  // builds the steal composition
  EXPECT_NE(engine, nullptr);
}

TEST(Compositions, PresetPlusAPartIsThatPresetWithThePartChanged) {
  actorlab::core::Config c;
  ASSERT_TRUE(sched::apply_preset("steal", c));
  EXPECT_EQ(c.policy, "steal");
  c.lifo = "off";
  const auto r = sched::resolve(c);
  EXPECT_EQ(r.lifo, "off");
  EXPECT_EQ(r.placement, "local");
  EXPECT_EQ(r.steal, "half");
  // One preset after another leaves nothing of the first; the Config
  // defaults are the default preset's (steal) parts.
  ASSERT_TRUE(sched::apply_preset("skynet-classic", c));
  ASSERT_TRUE(sched::apply_preset(actorlab::core::Config{}.policy, c));
  EXPECT_EQ(parts_key(c), parts_key(actorlab::core::Config{}));
  EXPECT_FALSE(sched::apply_preset("no-such-preset", c));
}

TEST(Compositions, PresetExpansionsUseTheChoiceLists) {
  for (const auto& preset : sched::preset_table()) {
    for (const auto& [knob, value] : preset.knobs) {
      bool known = false;
      for (const auto& [part, choices] : part_choices())
        if (part == knob) known = std::find(choices.begin(), choices.end(), value) != choices.end();
      EXPECT_TRUE(known) << preset.name << ": " << knob << "=" << value;
    }
  }
}

TEST(Compositions, TraitsFollowTheParts) {
  auto traits = [](const char* preset, auto tweak) {
    actorlab::core::Config c;
    sched::apply_preset(preset, c);
    tweak(c);
    return sched::traits_of(c);
  };
  auto none = [](auto&) {};
  EXPECT_FALSE(traits("pinned", none).actors_migrate);
  EXPECT_TRUE(traits("pinned", none).actors_bound);
  EXPECT_FALSE(traits("steal", none).actors_bound);
  EXPECT_TRUE(traits("steal", none).actors_migrate);
  EXPECT_FALSE(traits("steal", [](auto& c) { c.steal = "off"; }).actors_migrate);
  EXPECT_TRUE(traits("skynet", none).actors_migrate);
  EXPECT_FALSE(traits("skynet", none).private_wait);
  EXPECT_TRUE(traits("steal", none).private_wait);  // lifo on
  EXPECT_FALSE(traits("steal", [](auto& c) { c.lifo = "stealable"; }).private_wait);
  EXPECT_TRUE(traits("steal", [](auto& c) { c.lifo = "off"; c.steal = "off"; }).private_wait);
  EXPECT_TRUE(traits("skynet", [](auto& c) { c.lifo = "on"; }).private_wait);
  EXPECT_FALSE(traits("skynet", [](auto& c) { c.idle = "spin"; }).parks);
}

}  // namespace
