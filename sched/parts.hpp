// parts.hpp: the per-turn scheduling parts as runtime values, parsed once
// from core::Config (DESIGN "Policies are compositions of parts"). The
// placement and the run-queue kind are template parameters (chosen in
// sched/select.cpp, since the hot path needs them inline); lifo,
// local-push, steal, idle, batch and home are read from a Parts value once
// per turn or per spawn, so one template instance serves all their
// combinations.
// Parsing throws core::ConfigError naming the knob and its valid values
// (start-up only). Which combinations are valid: sched::validate.
// Threads: built on the main thread before the workers start; read-only after.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/config.hpp"

namespace actorlab::sched {

enum class LifoMode : uint8_t { kOff, kOn, kStealable };
enum class StealMode : uint8_t { kOff, kOne, kHalf };
enum class IdleMode : uint8_t { kSpin, kPark, kSpinThenPark };
enum class HomeRule : uint8_t { kSpawner, kHash };
enum class LocalPush : uint8_t { kBack, kFront };

LifoMode parse_lifo(std::string_view text);    // off | on | stealable
StealMode parse_steal(std::string_view text);  // off | one | half
IdleMode parse_idle(std::string_view text);    // spin | park | spin-then-park
HomeRule parse_home(std::string_view text);    // spawner | hash
LocalPush parse_local_push(std::string_view text);  // back | front

// How an idle worker waits (sched/idle.hpp).
struct IdleParams {
  IdleMode mode = IdleMode::kSpinThenPark;
  uint32_t spin = core::Config::kDefaultSpin;  // polls per pass (kPark: none)
  uint32_t grace_ns = core::Config::kDefaultGraceNs;
  uint32_t driver_polls = 0;  // --search-polls: io driver polls per search (kDriverPollFirst, doubling)
};

struct Parts {
  LifoMode lifo = LifoMode::kOff;
  LocalPush local_push = LocalPush::kBack;
  uint64_t lifo_backoff_ns = 3000;
  StealMode steal = StealMode::kOff;
  uint64_t steal_patience_ns = 0;  // sched/steal.hpp, StealPatience
  HomeRule home = HomeRule::kSpawner;
  core::BatchKnob batch;
  IdleParams idle;

  static Parts from(const core::Config& config);  // throws core::ConfigError
};

}  // namespace actorlab::sched
