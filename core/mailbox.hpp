// mailbox.hpp: the Mailbox concept, the per-actor MPSC queue of messages.
//
// Many threads push; only the worker currently running the actor pops
// (invariant 3 makes that one thread at a time). The mailbox also carries the
// actor's activation bit (invariant 4):
//   - a mailbox is "idle" when its actor is neither running nor queued;
//   - push() returns true for exactly one push after the mailbox went idle,
//     and that pusher must schedule the actor;
//   - try_set_idle() (consumer only) marks it idle only if it is empty at that
//     instant; on false, the consumer keeps the actor scheduled.
// A new mailbox starts idle. Kinds: LockfreeMailbox (Vyukov MPSC, a node
// allocated per message), SpinRingMailbox (skynet's spinlocked ring, the
// baseline) and SegmentedMailbox (slots claimed in recycled blocks).
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

#include "core/message.hpp"

namespace actorlab::core {

template <class M>
concept Mailbox = requires(M m, Message msg, Message& out) {
  { m.push(std::move(msg)) } noexcept -> std::same_as<bool>;
  { m.pop(out) } noexcept -> std::same_as<bool>;
  { m.try_set_idle() } noexcept -> std::same_as<bool>;
  { m.size_hint() } noexcept -> std::convertible_to<std::size_t>;
  { M::kName } -> std::convertible_to<std::string_view>;
};

enum class MailboxKind { kLockfree, kSpinRing, kSegmented };

}  // namespace actorlab::core
