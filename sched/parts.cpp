// parts.cpp: parsing the per-turn parts from core::Config (sched/parts.hpp).
// Start-up only (throws core::ConfigError naming the knob and valid values).
#include "sched/parts.hpp"

#include <fmt/format.h>

#include <string>

namespace actorlab::sched {
namespace {

[[noreturn]] void unknown(std::string_view knob, std::string_view text, std::string_view valid) {
  throw core::ConfigError(fmt::format("{}: unknown '{}'; valid: {}", knob, text, valid));
}

}  // namespace

LifoMode parse_lifo(std::string_view text) {
  if (text == "off") return LifoMode::kOff;
  if (text == "on") return LifoMode::kOn;
  if (text == "stealable") return LifoMode::kStealable;
  unknown("lifo", text, "off, on, stealable");
}

StealMode parse_steal(std::string_view text) {
  if (text == "off") return StealMode::kOff;
  if (text == "one") return StealMode::kOne;
  if (text == "half") return StealMode::kHalf;
  unknown("steal", text, "off, one, half");
}

IdleMode parse_idle(std::string_view text) {
  if (text == "spin") return IdleMode::kSpin;
  if (text == "park") return IdleMode::kPark;
  if (text == "spin-then-park") return IdleMode::kSpinThenPark;
  unknown("idle", text, "spin, park, spin-then-park");
}

HomeRule parse_home(std::string_view text) {
  if (text == "spawner") return HomeRule::kSpawner;
  if (text == "hash") return HomeRule::kHash;
  unknown("home", text, "spawner, hash");
}

LocalPush parse_local_push(std::string_view text) {
  if (text == "back") return LocalPush::kBack;
  if (text == "front") return LocalPush::kFront;
  unknown("local-push", text, "back, front");
}

Parts Parts::from(const core::Config& config) {
  Parts p;
  p.lifo = parse_lifo(config.lifo);
  p.lifo_backoff_ns = config.lifo_backoff_ns;
  p.local_push = parse_local_push(config.local_push);
  p.steal = parse_steal(config.steal);
  p.steal_patience_ns = config.steal_patience_ns;
  p.home = parse_home(config.home);
  p.batch = config.batch;
  p.idle = IdleParams{parse_idle(config.idle), config.spin, config.grace_ns, config.search_polls};
  return p;
}

}  // namespace actorlab::sched
