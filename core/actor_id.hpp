// actor_id.hpp: the 32-bit handle by which actors name each other.
//
// Layout: low kIndexBits bits are the registry slot index, the high
// kGenerationBits bits the slot's generation. Generation 0 is never handed
// out, so the value 0 is "no actor" (kNoActor), used as the source of
// messages sent from outside the runtime. A slot's generation runs
// 1..kMaxGeneration and wraps back to 1; the registry (core/registry.hpp)
// keeps the wrap far away from any stale id: a FIFO free list and a
// quarantine of capacity / 2 spawns for a wrapped slot, so an id value comes
// back no sooner than 2046 + capacity / 2 spawns after its actor exited
// (DESIGN invariant 1, tests/core/invariant_1_stale_ids.cpp).
#pragma once

#include <cstdint>
#include <functional>

namespace actorlab::core {

class ActorId {
 public:
  static constexpr unsigned kIndexBits = 21;  // 2,097,152 slots: room for skynet-1M's 1,111,111 actors
  static constexpr unsigned kGenerationBits = 32 - kIndexBits;
  static constexpr uint32_t kMaxIndex = (1u << kIndexBits) - 1;
  static constexpr uint32_t kMaxGeneration = (1u << kGenerationBits) - 1;

  constexpr ActorId() noexcept = default;
  static constexpr ActorId from_value(uint32_t v) noexcept { ActorId id; id.value_ = v; return id; }
  static constexpr ActorId make(uint32_t index, uint32_t generation) noexcept {
    return from_value((generation << kIndexBits) | (index & kMaxIndex));
  }

  constexpr uint32_t value() const noexcept { return value_; }
  constexpr uint32_t index() const noexcept { return value_ & kMaxIndex; }
  constexpr uint32_t generation() const noexcept { return value_ >> kIndexBits; }
  constexpr bool valid() const noexcept { return value_ != 0; }
  explicit constexpr operator bool() const noexcept { return valid(); }

  friend constexpr bool operator==(ActorId a, ActorId b) noexcept = default;

 private:
  uint32_t value_ = 0;
};

inline constexpr ActorId kNoActor{};

}  // namespace actorlab::core

template <>
struct std::hash<actorlab::core::ActorId> {
  std::size_t operator()(actorlab::core::ActorId id) const noexcept { return id.value(); }
};
