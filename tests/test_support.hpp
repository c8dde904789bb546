// test_support.hpp: shared helpers for the invariant and stress tests.
//
// - EngineParam / engine_params(): the compositions of scheduling parts the
//   conformance tests run against, generated from sched/'s preset table and
//   choice lists: every preset, plus every valid single-part change of the
//   `skynet` and `steal` presets (and pinned's --home; steal's
//   --steal-patience at 4 us), deduplicated, with readable gtest names
//   (skynet, steal_lifo_stealable, skynet_runqueue_spinlist).
//   Sanitizer builds run a sample (see sanitizer_sample()); set
//   ACTORLAB_TEST_COMPOSITIONS=all to run every one there too.
// - make_test_engine(): an engine for one parameter (2 workers by default).
// - scale(n): n times the meson option stress_scale, in percent (sanitizer
//   builds lower it), never below 1.
// - wait_until(): polls a predicate with a deadline, so a lost message fails
//   the test with a message instead of hanging it.
// Threads: the helpers run on the test's main thread; Tally may be bumped
// from any thread.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/actor.hpp"
#include "core/config.hpp"
#include "core/engine.hpp"
#include "core/message.hpp"
#include "sched/select.hpp"

#ifndef ACTORLAB_STRESS_SCALE
#define ACTORLAB_STRESS_SCALE 100
#endif

namespace testing_support {

namespace core = actorlab::core;

inline constexpr uint64_t kStressScalePercent = ACTORLAB_STRESS_SCALE;

// n scaled by the build's stress_scale percent; at least 1.
inline constexpr uint64_t scale(uint64_t n) {
  const uint64_t scaled = n * kStressScalePercent / 100;
  return scaled == 0 ? 1 : scaled;
}

// Generous: the slowest sanitizer build finishes each test's work in seconds;
// this is only the point where "a message was lost" becomes the verdict.
inline constexpr std::chrono::seconds kGenerousTimeout{60};

struct EngineParam {
  std::string label;     // gtest name: preset[_part_value]
  core::Config parts;    // the composition (policy + part fields), resolved
  // Traits declared on the parts' types (sched::traits_of).
  bool actors_bound = false;   // an actor runs only on its home worker
  bool actors_migrate = true;  // busy actors move between workers under load
  bool private_wait = false;   // an actor messaged during a turn may wait for that turn to end
  bool parks = true;           // idle workers park (not idle spin)

  std::string name() const { return label; }
  core::Config config(int threads = 2) const {
    core::Config c = parts;
    c.threads = threads;
    return c;
  }
};

inline std::string gtest_safe(std::string s) {
  for (char& ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) ch = '_';
  return s;
}

// The part fields of a config, to find duplicate compositions.
inline std::string parts_key(const core::Config& c) {
  return c.placement + "/" + c.home + "/" + c.lifo + "/" + std::to_string(c.lifo_backoff_ns) + "/" + c.local_push +
         "/" + c.steal + "/" + std::to_string(c.steal_patience_ns) + "/" + c.idle + "/" + c.batch.to_string() + "/" + core::to_string(c.mailbox) + "/" + c.runqueue;
}

// Every part and its choices, from sched/'s lists (batch: its three rules,
// with N = 1, the smallest turn).
inline std::vector<std::pair<std::string, std::vector<std::string>>> part_choices() {
  namespace sched = actorlab::sched;
  auto names = [](const std::vector<sched::Named>& list) {
    std::vector<std::string> out;
    for (const auto& n : list) out.push_back(n.name);
    return out;
  };
  return {
      {"placement", names(sched::placement_choices())}, {"home", names(sched::home_choices())},
      {"lifo", names(sched::lifo_choices())},           {"steal", names(sched::steal_choices())},
      {"steal-patience", {"4000"}},  // a thief that waits out a busy victim's popping (4 us)
      {"local-push", names(sched::local_push_choices())},
      {"batch", {"weights", "all", "1"}},               {"idle", names(sched::idle_choices())},
      {"mailbox", names(sched::mailbox_kinds())},       {"runqueue", names(sched::run_queue_kinds())},
  };
}

inline void set_part(core::Config& c, const std::string& part, const std::string& value) {
  if (part == "placement") c.placement = value;
  else if (part == "home") c.home = value;
  else if (part == "lifo") c.lifo = value;
  else if (part == "steal") c.steal = value;
  else if (part == "steal-patience") c.steal_patience_ns = std::stoull(value);
  else if (part == "local-push") c.local_push = value;
  else if (part == "batch") c.batch = core::BatchKnob::parse(value);
  else if (part == "idle") c.idle = value;
  else if (part == "mailbox") c.mailbox = core::parse_mailbox_kind(value);
  else if (part == "runqueue") c.runqueue = value;
}

// The parts whose single changes the sanitizer builds run: the ones that
// choose a different code path in the placements (batch, idle and mailbox
// are runtime values or already covered by a preset: skynet-classic).
inline bool sanitizer_sample(const std::string& part) {
  return part == "placement" || part == "lifo" || part == "steal" || part == "home" || part == "runqueue";
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif

// Every composition (see the header); `all` ignores the sanitizer sample.
inline std::vector<EngineParam> all_compositions(bool all) {
  namespace sched = actorlab::sched;
  std::vector<EngineParam> out;
  std::vector<std::string> seen;
  auto add = [&](const std::string& label, const core::Config& c) {
    try {
      sched::validate(c);
    } catch (const core::ConfigError&) {
      return;  // not a composition (tests/sched/compositions_test.cpp checks the refusals)
    }
    const core::Config resolved = sched::resolve(c);
    const std::string key = parts_key(resolved);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
    seen.push_back(key);
    const sched::CompositionTraits t = sched::traits_of(resolved);
    out.push_back({gtest_safe(label), resolved, t.actors_bound, t.actors_migrate, t.private_wait, t.parks});
  };
  for (const auto& preset : sched::preset_table()) {
    core::Config c;
    sched::apply_preset(preset.name, c);
    add(preset.name, c);
  }
  for (const char* base : {"skynet", "steal", "pinned"}) {
    for (const auto& [part, choices] : part_choices()) {
      if (std::string(base) == "pinned" && part != "home") continue;  // pinned: its own part only
      if (part == "steal-patience" && std::string(base) != "steal") continue;  // steals only under steal
      if (!all && kSanitizerBuild && !sanitizer_sample(part)) continue;
      for (const auto& value : choices) {
        core::Config c;
        sched::apply_preset(base, c);
        set_part(c, part, value);
        add(std::string(base) + "_" + part + "_" + value, c);
      }
    }
  }
  return out;
}

// One preset's composition (for tests that need one engine, not the list).
inline EngineParam preset_param(const std::string& preset) {
  core::Config c;
  actorlab::sched::apply_preset(preset, c);
  const auto t = actorlab::sched::traits_of(c);
  return {gtest_safe(preset), c, t.actors_bound, t.actors_migrate, t.private_wait, t.parks};
}

inline std::vector<EngineParam> engine_params() {
  const char* env = std::getenv("ACTORLAB_TEST_COMPOSITIONS");
  return all_compositions(env != nullptr && std::string(env) == "all");
}

// The compositions whose idle workers park (tests that wait for parks).
inline std::vector<EngineParam> parking_engine_params() {
  std::vector<EngineParam> out;
  for (auto& p : engine_params())
    if (p.parks) out.push_back(std::move(p));
  return out;
}

// So that gtest prints "skynet_lockfree_spinlist", not the struct's bytes.
inline void PrintTo(const EngineParam& p, std::ostream* os) { *os << p.name(); }

inline std::string param_name(const ::testing::TestParamInfo<EngineParam>& info) {
  return info.param.name();
}

// The engine for one parameter; `tweak` may change any knob before it is built.
inline std::unique_ptr<core::Engine> make_test_engine(
    const EngineParam& p, int threads = 2, const std::function<void(core::Config&)>& tweak = {}) {
  core::Config c = p.config(threads);
  if (tweak) tweak(c);
  return actorlab::sched::make_engine(c);
}

// Polls pred every 200 us until it holds or timeout passes; returns pred().
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::nanoseconds timeout = kGenerousTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// Waits for Engine::wait_done with the generous timeout; fails the test with
// `what` on timeout. Returns the result (or -1 on timeout).
inline int64_t wait_done_or_fail(core::Engine& engine, const std::string& what) {
  auto r = engine.wait_done(kGenerousTimeout);
  if (!r) {
    ADD_FAILURE() << "timed out after " << kGenerousTimeout.count() << " s waiting for " << what
                  << " (a message was lost or a wake-up missed); stats: messages="
                  << engine.stats().get("messages") << " dead_letters=" << engine.stats().get("dead_letters");
    return -1;
  }
  return *r;
}

// A counter any thread may bump (relaxed: read after the engine stopped or
// with wait_until, which tolerates lag).
struct Tally {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n = 1) noexcept { value.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

// Threads of this process now (/proc/self/task), to check that stop() ends
// them. A joined std::thread can still be listed for a moment: join returns
// when the kernel clears the thread's tid, before the task leaves /proc. So
// checks after a join use thread_count_settled(), which waits (2 s at most)
// for the expected count; a thread really left running stays and fails it.
// Take the baseline with baseline_thread_count(): its warm-up thread makes
// TSan start its background thread first, and it waits until the count holds
// still (the warm-up thread has left /proc).
inline std::size_t process_thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

inline std::size_t thread_count_settled(std::size_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::size_t n = process_thread_count();
  while (n != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    n = process_thread_count();
  }
  return n;
}

inline std::size_t baseline_thread_count() {
  std::thread([] {}).join();
  // The count is the baseline once it holds for 10 readings 1 ms apart.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::size_t n = process_thread_count();
  for (int same = 0; same < 10 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::size_t now = process_thread_count();
    same = now == n ? same + 1 : 0;
    n = now;
  }
  return n;
}

// splitmix64: a checksum term that a lost, duplicated or corrupted value changes.
inline constexpr uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Detects overlapping on_message calls on one actor: enter() on entry, leave()
// on exit. An atomic exchange (not a plain bool) so that the check itself is
// race-free and sees a second thread even without a happens-before edge.
class ReentrancyGuard {
 public:
  // acq_rel: the check is about whether two threads are inside at once; the
  // acquire/release pair also orders the previous holder's writes before ours.
  void enter() noexcept {
    if (inside_.exchange(true, std::memory_order_acq_rel)) overlaps_.fetch_add(1, std::memory_order_relaxed);
    const auto me = std::this_thread::get_id();
    std::thread::id none{};
    if (!owner_.compare_exchange_strong(none, me, std::memory_order_acq_rel))
      two_threads_.fetch_add(1, std::memory_order_relaxed);
  }
  void leave() noexcept {
    auto me = std::this_thread::get_id();
    if (!owner_.compare_exchange_strong(me, std::thread::id{}, std::memory_order_acq_rel))
      two_threads_.fetch_add(1, std::memory_order_relaxed);
    inside_.store(false, std::memory_order_release);
  }
  uint64_t overlaps() const noexcept { return overlaps_.load(std::memory_order_relaxed); }
  uint64_t two_threads() const noexcept { return two_threads_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> inside_{false};
  std::atomic<std::thread::id> owner_{};
  std::atomic<uint64_t> overlaps_{0};
  std::atomic<uint64_t> two_threads_{0};
};

}  // namespace testing_support
