// test_support.hpp: shared helpers for the invariant and stress tests.
//
// - EngineParam / engine_params(): every policy x mailbox x run-queue
//   combination the tests run against, with readable gtest names
//   (skynet_lockfree_spinlist, steal_spinring). A new policy is one line in
//   policy_table().
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
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
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
  std::string policy;
  core::MailboxKind mailbox;
  std::string runqueue;       // empty: the policy keeps its own queues
  bool actors_migrate = true;  // an actor may run on different workers over time
  bool lifo_slot = false;      // an actor messaged during a turn waits for that turn to end

  std::string name() const {
    return policy + "_" + core::to_string(mailbox) + (runqueue.empty() ? "" : "_" + runqueue);
  }
  core::Config config(int threads = 2) const {
    core::Config c;
    c.threads = threads;
    c.policy = policy;
    c.mailbox = mailbox;
    if (!runqueue.empty()) c.runqueue = runqueue;
    return c;
  }
};

// One line per policy: its name, the run-queue kinds it accepts (none: it
// keeps its own queues), whether actors move between workers, and whether it
// keeps a non-stealable LIFO slot (policy_steal.hpp: the actor messaged last
// runs after the current turn on the same worker, even if others are idle).
struct PolicyRow {
  const char* policy;
  std::vector<const char*> runqueues;
  bool actors_migrate;
  bool lifo_slot;
};
inline const std::vector<PolicyRow>& policy_table() {
  static const std::vector<PolicyRow> table = {
      {"skynet", {"lockfree", "spinlist"}, true, false},
      {"steal", {}, true, true},
      {"pinned", {}, false, false},
  };
  return table;
}

inline std::vector<EngineParam> engine_params() {
  std::vector<EngineParam> out;
  for (const auto& row : policy_table()) {
    for (core::MailboxKind mb : {core::MailboxKind::kLockfree, core::MailboxKind::kSpinRing}) {
      if (row.runqueues.empty()) out.push_back({row.policy, mb, "", row.actors_migrate, row.lifo_slot});
      for (const char* rq : row.runqueues) out.push_back({row.policy, mb, rq, row.actors_migrate, row.lifo_slot});
    }
  }
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
// them. Take the baseline after baseline_thread_count()'s warm-up: TSan starts
// a background thread when the process creates its first thread.
inline std::size_t process_thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

inline std::size_t baseline_thread_count() {
  std::thread([] {}).join();
  return process_thread_count();
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
