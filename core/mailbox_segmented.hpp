// mailbox_segmented.hpp: the `segmented` mailbox, an MPSC queue of message
// slots claimed in blocks, so a sender does not call the allocator per message.
//
// Structure: a chain of blocks, each `cap` slots (a Message plus a sequence
// word). One 64-bit word, tail_, is the producers' whole state:
//     bits 63..16  the current tail block (user-space pointers fit 48 bits)
//     bits 15..12  log2 of that block's capacity
//     bits 11..0   the next offset to claim in it
// A push claims a slot with one fetch_add(1) on tail_. The result says what
// the pusher owns:
//   - block null, offset 0: the mailbox was idle. The pusher installs a fresh
//     one-slot block, becomes the activation's owner (push() returns true)
//     and must schedule the actor. This replaces a separate idle bit.
//   - offset < cap: a slot; write the message, then publish its sequence.
//   - offset == cap: the block is full and this pusher is its one installer:
//     it takes the spare block (or allocates), links it after the full one
//     and stores the new tail word (its own message in slot 0).
//   - otherwise (offset > cap, or null with offset > 0): an installer is at
//     work; wait until tail_ changes, then claim again. Waiting is short (one
//     allocation at most) but not lock-free: a producer yields after a few
//     spins, so a preempted installer on a 2-core machine gets its CPU back.
//     Each waiter adds at most one per installation, so the 12-bit offset
//     cannot overflow into the capacity bits below 4000 concurrent senders.
// Capacities grow 1, 4, 16, 32 after each idle period (guessed: one slot keeps
// a million idle-then-woken actors (skynet-1M) near the lockfree kind's 64
// bytes per pending message; 32 slots make flood allocate once per 32
// messages; bm_mailbox and the flood/skynet workloads could tune them).
//
// Consumer: head_block_/head_off_/popped_ (popped_ is the global index of
// the next message; slot i of a block holds index start + i). A slot is
// ready when its sequence word equals its index + 1, so a recycled block
// needs no clearing (its old words are all smaller) and a fresh one clears
// only those words. A consumed block of 32 slots goes to spare_ (one per
// mailbox), where the next installer picks it up: in a steady flood the
// sender and receiver swap two or three blocks and nobody allocates.
// try_set_idle() is one CAS of tail_ from "head block, head offset" (nothing
// claimed beyond what was popped) to 0: on success the block is freed (and
// the spare), so an idle mailbox holds no memory.
//
// Invariants (core/mailbox.hpp): exactly one push per idle period returns
// true (the one whose fetch_add read 0, which only the consumer's CAS or the
// constructor writes); FIFO per producer and in fact one total order (the
// fetch_add order on tail_); no loss (a claimed slot is popped before the
// consumer can pass its block or set idle, since the CAS needs tail_ to be
// exactly at the consumer's position).
// Threads: any thread pushes; the single holder of the activation pops,
// sizes and calls try_set_idle(); after a successful try_set_idle() it
// touches only spare_ (an atomic exchange) and the block it just freed.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <thread>

#include "core/alloc.hpp"
#include "core/cache_line.hpp"
#include "core/message.hpp"

namespace actorlab::core {

class SegmentedMailbox {
 public:
  static constexpr const char* kName = "segmented";
  static constexpr uint32_t kMaxCapLog = 5;  // 32 slots: the recycled size

  SegmentedMailbox() noexcept = default;
  SegmentedMailbox(const SegmentedMailbox&) = delete;
  SegmentedMailbox& operator=(const SegmentedMailbox&) = delete;
  ~SegmentedMailbox() {
    Message dropped;
    while (pop(dropped)) {}
    if (head_block_ != nullptr) deallocate(head_block_);
    if (Block* s = spare_.load(std::memory_order_relaxed)) deallocate(s);
  }

  // Any thread. Returns true when the mailbox was idle: the caller must then
  // schedule the actor. Allocates only when it installs a block (see above);
  // aborts on out-of-memory.
  bool push(Message&& msg) noexcept {
    // acq_rel: acquire pairs with the release stores of tail_ in install_*()
    // (the block's header is initialised) and with the release CAS in
    // try_set_idle() (the consumer's last reads and writes are done before an
    // installer reuses its fields); release orders nothing we need but keeps
    // the release sequence of those stores going through every claim.
    uint64_t t = tail_.fetch_add(1, std::memory_order_acq_rel);
    for (;;) {
      Block* b = block_of(t);
      const uint32_t off = offset_of(t);
      const uint32_t cap = uint32_t{1} << cap_log_of(t);
      if (b == nullptr) {
        if (off == 0) {
          install_after_idle(std::move(msg));
          return true;
        }
      } else if (off < cap) {
        b->slots()[off].fill(std::move(msg), b->start + off);
        return false;
      } else if (off == cap) {
        install_next(b, cap_log_of(t), std::move(msg));
        return false;
      }
      t = wait_for_installer(t);
    }
  }

  // Consumer only. False when empty or when the next claimed slot is still
  // being written (or its block being linked); the caller then tries
  // try_set_idle(), which fails in that case.
  bool pop(Message& out) noexcept {
    Block* b = head_block_;
    if (b == nullptr) return false;
    if (head_off_ == b->cap) {
      // acquire: pairs with the release store of next in install_next().
      Block* n = b->next.load(std::memory_order_acquire);
      if (n == nullptr) return false;
      retire(b);
      head_block_ = b = n;
      head_off_ = 0;
    }
    Slot& s = b->slots()[head_off_];
    // acquire: pairs with the release store of seq in Slot::fill(); publishes msg.
    if (s.seq.load(std::memory_order_acquire) != popped_ + 1) return false;
    out = std::move(s.msg);
    s.msg.~Message();
    ++head_off_;
    ++popped_;
    return true;
  }

  // Consumer only. Marks the mailbox idle if nothing is claimed beyond what
  // was popped; then frees its blocks.
  bool try_set_idle() noexcept {
    Block* b = head_block_;
    if (b == nullptr) return true;  // already idle (a drain after stop)
    // A ready slot, or a linked next block, proves non-empty without touching
    // the producers' line (relaxed: a stale value only sends us to the CAS,
    // which decides). At head_off_ == cap the CAS expects tail_ at "full,
    // no installer yet"; if one claimed the role, tail_ is past it and we fail.
    if (head_off_ < b->cap) {
      if (b->slots()[head_off_].seq.load(std::memory_order_relaxed) == popped_ + 1) return false;
    } else if (b->next.load(std::memory_order_relaxed) != nullptr) {
      return false;
    }
    uint64_t expected = pack(b, cap_log(b->cap), head_off_);
    head_block_ = nullptr;  // before the CAS: after it, an installer writes these fields
    // release: pairs with the acquire fetch_add in push() that reads 0, so
    // our pops (and this store) happen before its install_after_idle().
    // Failure (a claim arrived): relaxed, we keep the activation.
    if (!tail_.compare_exchange_strong(expected, 0, std::memory_order_release, std::memory_order_relaxed)) {
      head_block_ = b;
      return false;
    }
    deallocate(b);  // no claims on it remain: tail_ stood exactly at our position
    // An idle mailbox keeps no spare. relaxed load: only a hint that the
    // exchange is worth it; acquire on the exchange pairs with the release
    // exchange in retire() (we may race a new owner's retire; whoever takes
    // the block frees or uses it).
    if (spare_.load(std::memory_order_relaxed) != nullptr)
      if (Block* s = spare_.exchange(nullptr, std::memory_order_acquire)) deallocate(s);
    return true;
  }

  // Consumer only: messages queued (claimed; may count a slot being written).
  std::size_t size_hint() const noexcept {
    // acquire: pairs with the release stores of tail_ (the block's start).
    const uint64_t t = tail_.load(std::memory_order_acquire);
    Block* tb = block_of(t);
    if (tb == nullptr || head_block_ == nullptr) return 0;
    const uint32_t cap = uint32_t{1} << cap_log_of(t);
    const uint32_t off = offset_of(t);
    // tb is alive if it is our head block or has no installer yet (we pass
    // a block only once its successor is linked); else it may be a block we
    // passed and freed while its successor's installer has not stored tail_
    // yet: estimate.
    if (tb == head_block_ || off <= cap) return static_cast<std::size_t>(tb->start + std::min(off, cap) - popped_);
    return head_block_->cap - head_off_ + cap;
  }

 private:
  struct Slot {
    Message msg;
    std::atomic<uint64_t> seq;  // index + 1 once msg is written

    void fill(Message&& m, uint64_t index) noexcept {
      new (&msg) Message(std::move(m));
      seq.store(index + 1, std::memory_order_release);  // pairs with the acquire in pop()
    }
  };
  static_assert(sizeof(Slot) == kCacheLine);

  struct Block {
    std::atomic<Block*> next;
    uint64_t start;  // index of slot 0 (written by the installer before publishing)
    uint32_t cap;
    uint32_t unused;
    Slot* slots() noexcept { return reinterpret_cast<Slot*>(this + 1); }
  };
  static_assert(sizeof(Block) % alignof(Slot) == 0);

  static constexpr uint32_t kOffsetBits = 12;
  static constexpr uint64_t kOffsetMask = (uint64_t{1} << kOffsetBits) - 1;

  static uint64_t pack(Block* b, uint32_t log, uint32_t off) noexcept {
    return (reinterpret_cast<uint64_t>(b) << 16) | (uint64_t{log} << kOffsetBits) | off;
  }
  static Block* block_of(uint64_t t) noexcept { return reinterpret_cast<Block*>(t >> 16); }
  static uint32_t cap_log_of(uint64_t t) noexcept { return static_cast<uint32_t>((t >> kOffsetBits) & 0xf); }
  static uint32_t offset_of(uint64_t t) noexcept { return static_cast<uint32_t>(t & kOffsetMask); }
  static uint32_t cap_log(uint32_t cap) noexcept { return static_cast<uint32_t>(__builtin_ctz(cap)); }
  static uint32_t grown(uint32_t log) noexcept { return log + 2 > kMaxCapLog ? kMaxCapLog : log + 2; }

  // A block with every sequence word cleared (fresh memory may hold any bits).
  static Block* fresh_block(uint32_t log) noexcept {
    const uint32_t cap = uint32_t{1} << log;
    void* mem = allocate(sizeof(Block) + cap * sizeof(Slot));
    if (mem == nullptr || (reinterpret_cast<uint64_t>(mem) >> 48) != 0) std::terminate();
    auto* b = new (mem) Block;
    b->cap = cap;
    for (uint32_t i = 0; i < cap; ++i) new (&b->slots()[i].seq) std::atomic<uint64_t>(0);
    return b;
  }

  // The pusher that found the mailbox idle. No consumer runs now: the last
  // one's CAS happened before our fetch_add, and the next one starts only
  // after we schedule the actor (the run queue's hand-off publishes these).
  void install_after_idle(Message&& msg) noexcept {
    Block* b = fresh_block(0);
    b->next.store(nullptr, std::memory_order_relaxed);
    b->start = popped_;
    head_block_ = b;
    head_off_ = 0;
    b->slots()[0].fill(std::move(msg), b->start);
    // release: pairs with the acquire fetch_add of the next claimers.
    tail_.store(pack(b, 0, 1), std::memory_order_release);
  }

  // The one pusher that claimed offset == cap of `full`: links the next block.
  void install_next(Block* full, uint32_t full_log, Message&& msg) noexcept {
    const uint32_t log = grown(full_log);
    Block* b = nullptr;
    // acquire: pairs with the release exchange in retire() (the consumer is
    // done with the block). relaxed load first: skip the locked exchange
    // when there is no spare.
    if (log == kMaxCapLog && spare_.load(std::memory_order_relaxed) != nullptr)
      b = spare_.exchange(nullptr, std::memory_order_acquire);
    if (b == nullptr) b = fresh_block(log);
    b->next.store(nullptr, std::memory_order_relaxed);
    b->start = full->start + (uint64_t{1} << full_log);  // full is alive: its next is still null
    b->slots()[0].fill(std::move(msg), b->start);
    // release: pairs with the acquire load of next in pop().
    full->next.store(b, std::memory_order_release);
    // release: pairs with the acquire fetch_add of the next claimers.
    tail_.store(pack(b, log, 1), std::memory_order_release);
  }

  // Spins (then yields) until tail_ leaves the state that made us wait, then
  // claims again. "Left" means another block, or one with slots to claim
  // (the same address may come back after an idle period).
  uint64_t wait_for_installer(uint64_t seen) noexcept {
    for (int spins = 0;; ++spins) {
      // relaxed: we only watch for a change; the fetch_add below acquires.
      const uint64_t now = tail_.load(std::memory_order_relaxed);
      const uint32_t cap = uint32_t{1} << cap_log_of(now);
      const bool claimable = block_of(now) == nullptr ? offset_of(now) == 0 : offset_of(now) <= cap;
      if (block_of(now) != block_of(seen) || claimable) break;
      if (spins < 64) cpu_relax(); else std::this_thread::yield();
    }
    return tail_.fetch_add(1, std::memory_order_acq_rel);  // as in push()
  }

  // A consumed block: every claim on it was popped and its next is linked,
  // so no producer touches it again. Full-size blocks become the spare.
  void retire(Block* b) noexcept {
    if (b->cap != (uint32_t{1} << kMaxCapLog)) return deallocate(b);
    // acq_rel: release pairs with the acquire exchanges in install_next() and
    // try_set_idle(); acquire so the displaced spare is ours to free.
    if (Block* old = spare_.exchange(b, std::memory_order_acq_rel)) deallocate(old);
  }

  // Producer line: claimed by every push.
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};

 public:
  // The owning cell's current ActorId, read by senders: it sits on the line
  // they write anyway. See core/actor_cell.hpp for its protocol.
  std::atomic<uint32_t> owner_id_{0};

 private:
  // Consumer line: the activation holder's (and, once per idle period, the
  // installer's, in install_after_idle()). spare_: consumer and installers.
  alignas(kCacheLine) Block* head_block_ = nullptr;
  uint64_t popped_ = 0;
  std::atomic<Block*> spare_{nullptr};
  uint32_t head_off_ = 0;
};

static_assert(sizeof(SegmentedMailbox) == 2 * kCacheLine);

}  // namespace actorlab::core
