// mailbox_lockfree.hpp: the `lockfree` mailbox, an MPSC queue after Dmitry
// Vyukov's non-intrusive design, with the actor's activation bit folded into
// the producer pointer (Pony's messageq does the same). try_activate()
// takes that bit without a message (a folded start: core/actor_cell.hpp).
//
// Structure: a singly linked list from tail_ (consumer) to head_ (producers).
// tail_ always points at a dummy node whose message was already taken; the
// embedded stub_ is the first dummy, and each popped node becomes the next.
// Bit 0 of head_ is the idle bit: set by the consumer's try_set_idle() when
// the queue is empty, cleared by the next push, which alone sees it set.
//
// Threads: any thread pushes; the single running worker pops.
// Producers never block or loop. The consumer pops with one acquire load and
// no read-modify-write; only try_set_idle() uses a CAS (once per turn).
// The length (size_hint) costs each push a second locked add on the
// producers' line; a runtime whose batch rule never asks for it turns the
// count off per cell (count_pushes(false) at spawn): one RMW per message
// instead of two (big, fanout: results/amd-epyc-2cpu/README.md, "The
// message path").
#pragma once

#include <atomic>
#include <cstdint>
#include <new>

#include "core/alloc.hpp"
#include "core/cache_line.hpp"
#include "core/message.hpp"

namespace actorlab::core {

struct QueueLink {
  std::atomic<QueueLink*> next{nullptr};
};

struct MessageNode : QueueLink {
  Message msg;
};
static_assert(sizeof(MessageNode) == kCacheLine);

class LockfreeMailbox {
 public:
  static constexpr const char* kName = "lockfree";

  LockfreeMailbox() noexcept { head_.store(tag_idle(&stub_), std::memory_order_relaxed); }
  LockfreeMailbox(const LockfreeMailbox&) = delete;
  LockfreeMailbox& operator=(const LockfreeMailbox&) = delete;
  ~LockfreeMailbox() {
    Message dropped;
    while (pop(dropped)) {}
    release_dummy(tail_);
  }

  // Any thread. Returns true when the mailbox was idle: the caller must then
  // schedule the actor. Allocates one node (core/alloc.hpp); aborts on out-of-memory.
  [[gnu::always_inline]] bool push(Message&& msg) noexcept {
    void* mem = allocate(sizeof(MessageNode));
    if (mem == nullptr) std::terminate();
    auto* node = new (mem) MessageNode;
    node->msg = std::move(msg);
    // acq_rel: release publishes node->next = nullptr to the producer that
    // exchanges after us (it writes node->next); acquire pairs with the
    // release CAS in try_set_idle(), so when we see the idle bit we also see
    // the consumer's last writes before we schedule the actor.
    // Counted before linking (a size hint may run one ahead, never behind for
    // long), so the exchange-to-link window below stays a few instructions:
    // a consumer that sees the exchange but not the link spins through it.
    if (counting_.load(std::memory_order_relaxed)) pushed_.fetch_add(1, std::memory_order_relaxed);
    QueueLink* prev = head_.exchange(node, std::memory_order_acq_rel);
    // release: pairs with the acquire load of next in pop(); publishes msg.
    untag(prev)->next.store(node, std::memory_order_release);
    return is_idle(prev);
  }

  // Consumer only. False when empty or when the next push is still in flight
  // (exchanged but not yet linked); the caller then tries try_set_idle().
  [[gnu::always_inline]] bool pop(Message& out) noexcept {
    QueueLink* dummy = tail_;
    // acquire: pairs with the release store of next in push().
    QueueLink* next = dummy->next.load(std::memory_order_acquire);
    if (next == nullptr) return false;
    out = std::move(static_cast<MessageNode*>(next)->msg);
    tail_ = next;  // next becomes the dummy; its message is already moved out
    ++popped_;
    release_dummy(dummy);
    return true;
  }

  // Consumer only. Marks the mailbox idle if no message is queued or in flight.
  bool try_set_idle() noexcept {
    // A linked message proves non-empty without touching the producers' line
    // (relaxed: a stale null only sends us to the CAS, which decides).
    if (tail_->next.load(std::memory_order_relaxed) != nullptr) return false;
    QueueLink* expected = tail_;
    // Succeeds only when head_ is the dummy, i.e. nothing was pushed after it.
    // release: pairs with the acquire half of the exchange in push(), which
    // hands this actor to the next worker; acquire on failure is not needed
    // (the caller re-queues the actor and pops again later).
    return head_.compare_exchange_strong(expected, tag_idle(tail_), std::memory_order_release,
                                         std::memory_order_relaxed);
  }

  // Any thread: takes the activation of an idle mailbox without pushing a
  // message (spawn folds the start message into the cell this way: one
  // node allocated and freed less per actor). True when it was idle: the
  // caller holds the activation and must schedule the actor, exactly as
  // after a push that returned true; false when it was not idle (a stale
  // sender's message keeps it active), and nothing changed. An idle
  // mailbox is empty, so the owner's first turn finds only what was pushed
  // after this call.
  bool try_activate() noexcept {
    QueueLink* seen = head_.load(std::memory_order_relaxed);
    if (!is_idle(seen)) return false;
    // acquire: pairs with the release CAS in try_set_idle(), like a push
    // that sees the idle bit (the last consumer's writes are visible). A
    // push racing us either exchanged first (we fail) or reads our untagged
    // value and does not schedule.
    return head_.compare_exchange_strong(seen, untag(seen), std::memory_order_acquire, std::memory_order_relaxed);
  }

  // Consumer only: messages queued (may lag a push in flight by one). Only
  // while pushes are counted (the default): else a meaningless number.
  std::size_t size_hint() const noexcept {
    return static_cast<std::size_t>(pushed_.load(std::memory_order_relaxed) - popped_);
  }

  // Whether push() counts for size_hint(). Set before the mailbox's id is
  // published (spawn stores it before owner_id_'s release). Relaxed: a stale
  // sender of an earlier actor in the same cell may read it at any time, and
  // a runtime only ever stores one value, so what it reads is that value.
  void count_pushes(bool on) noexcept { counting_.store(on, std::memory_order_relaxed); }

 private:
  static QueueLink* tag_idle(QueueLink* p) noexcept {
    return reinterpret_cast<QueueLink*>(reinterpret_cast<uintptr_t>(p) | 1u);
  }
  static QueueLink* untag(QueueLink* p) noexcept {
    return reinterpret_cast<QueueLink*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{1});
  }
  static bool is_idle(QueueLink* p) noexcept { return (reinterpret_cast<uintptr_t>(p) & 1u) != 0; }

  void release_dummy(QueueLink* dummy) noexcept {
    if (dummy == &stub_) return;
    auto* node = static_cast<MessageNode*>(dummy);
    node->~MessageNode();
    deallocate(node);
  }

  // Producer line: written by every push.
  alignas(kCacheLine) std::atomic<QueueLink*> head_;
  std::atomic<uint64_t> pushed_{0};
  std::atomic<bool> counting_{true};  // count_pushes()

 public:
  // The owning cell's current ActorId, read by senders: it sits on the line
  // they write anyway. See core/actor_cell.hpp for its protocol.
  std::atomic<uint32_t> owner_id_{0};

 private:
  // Consumer line: written by the running worker only.
  alignas(kCacheLine) QueueLink* tail_ = &stub_;
  uint64_t popped_ = 0;
  QueueLink stub_;
};

static_assert(sizeof(LockfreeMailbox) == 2 * kCacheLine);

}  // namespace actorlab::core
