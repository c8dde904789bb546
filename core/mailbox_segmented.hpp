// mailbox_segmented.hpp: the `segmented` mailbox, an MPSC queue of message
// slots claimed in blocks, so a sender does not call the allocator per message.
//
// Structure: a chain of blocks, each `cap` slots (a Message plus a sequence
// word). One 64-bit word, tail_, is the producers' whole state:
//     bits 63..16  the current tail block (user-space pointers fit 48 bits)
//     bit  15      idle: the consumer parked the mailbox, keeping this block
//     bits 14..12  log2 of that block's capacity
//     bits 11..0   the next offset to claim in it
// A push claims a slot with one fetch_add(1) on tail_. The result says what
// the pusher owns:
//   - idle bit set: besides its slot, the pusher races to clear the bit with
//     a fetch_and, before anything else (so no later store of tail_ can
//     erase a bit nobody has seen); the one whose fetch_and still saw it
//     owns the activation: push() returns true, the caller schedules.
//   - block null, offset 0: idle without a block (new, or its blocks were
//     freed). The pusher installs a fresh one-slot block and owns the
//     activation.
//   - offset < cap: a slot; write the message, then publish its sequence.
//   - offset == cap: the block is full and this pusher is its one installer:
//     it takes the spare block (or allocates), links it after the full one
//     and stores the new tail word (its own message in slot 0).
//   - otherwise (offset > cap, or null with offset > 0): an installer is at
//     work; wait until tail_ changes, then claim again. Waiting is short (one
//     allocation at most) but not lock-free: a producer yields after a few
//     spins, so a preempted installer on a 2-core machine gets its CPU back.
//     Each waiter adds at most one per installation, so the 12-bit offset
//     cannot overflow into the higher bits below 4000 concurrent senders.
// Capacities grow 1, 4, 16, 32 from a fresh start (guessed: one slot keeps a
// million woken-once actors (skynet-1M) near the lockfree kind's 64 bytes
// per pending message; 32 slots make flood allocate once per 32 messages;
// bm_mailbox and the flood/skynet workloads could tune them).
//
// Consumer: head_block_/head_off_. Slot i of a block is ready when its
// sequence word equals start + i + 1. start grows along a chain, so a
// recycled block needs no clearing (its old words are all smaller); a
// spare never outlives its chain (freed before the idle CAS that ends it);
// a fresh block has its words cleared; a rewound block has its used words
// cleared.
// A consumed block of 32 slots goes to spare_ (one per mailbox), where the
// next installer picks it up: in a steady flood sender and receiver swap two
// or three blocks and nobody allocates.
// try_set_idle() is one CAS of tail_ from "head block, head offset" (nothing
// claimed beyond what was popped) to either "same block, offset 0, idle"
// (a block of up to kKeepCap slots is kept and rewound: its used sequence
// words are cleared before the CAS, safe since no producer can claim them
// until it lands; so pingpong and fanout allocate nothing), or 0 (a bigger
// block and the spare are freed, so an idle mailbox holds at most one small
// block; try_set_idle_and_release() always frees, for a cell whose actor
// has exited).
//
// Invariants (core/mailbox.hpp): exactly one push per idle period returns
// true (the one whose fetch_add read 0, or whose fetch_and cleared the idle
// bit; only the consumer's CAS or the constructor writes those states);
// FIFO per producer and in fact one total order (the fetch_add order on
// tail_); no loss (a claimed slot is popped before the consumer can pass
// its block or set idle, since the CAS needs tail_ exactly at the
// consumer's position).
// Threads: any thread pushes; the single holder of the activation pops,
// sizes and calls try_set_idle(); after a successful try_set_idle() it
// touches only a block it just freed.
#pragma once

#include <algorithm>
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
  // Blocks of up to this many slots stay with an idle mailbox (at most
  // 24 + 4 * 64 bytes). Guessed: pingpong, fanout and big wake a mailbox
  // for one or two messages; skynet-1M's exited leaves release theirs.
  static constexpr uint32_t kKeepCap = 4;

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
    // try_set_idle() (the consumer's rewind and last pops are done); release
    // keeps the release sequence of those stores going through every claim.
    uint64_t t = tail_.fetch_add(1, std::memory_order_acq_rel);
    bool won = false;
    for (;;) {
      // acq_rel as above. At most one fetch_and per idle period sees the bit.
      if ((t & kIdleBit) != 0 && (tail_.fetch_and(~kIdleBit, std::memory_order_acq_rel) & kIdleBit) != 0)
        won = true;
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
        return won;
      } else if (off == cap) {
        install_next(b, cap_log_of(t), std::move(msg));
        return won;
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
    if (s.seq.load(std::memory_order_acquire) != b->start + head_off_ + 1) return false;
    out = std::move(s.msg);
    s.msg.~Message();
    ++head_off_;
    return true;
  }

  // Consumer only. Marks the mailbox idle if nothing is claimed beyond what
  // was popped, keeping a small block (rewound) or freeing a big one.
  bool try_set_idle() noexcept { return set_idle(/*release=*/false); }
  // The same, always freeing the blocks (the actor has exited).
  bool try_set_idle_and_release() noexcept { return set_idle(/*release=*/true); }

  // Consumer only: messages queued (claimed; may count a slot being written).
  std::size_t size_hint() const noexcept {
    // acquire: pairs with the release stores of tail_ (the block's start).
    const uint64_t t = tail_.load(std::memory_order_acquire);
    Block* tb = block_of(t);
    if (tb == nullptr || head_block_ == nullptr) return 0;
    const uint32_t cap = uint32_t{1} << cap_log_of(t);
    const uint32_t off = offset_of(t);
    const uint64_t head = head_block_->start + head_off_;
    // tb is alive if it is our head block or has no installer yet (we pass
    // a block only once its successor is linked); else it may be a block we
    // passed and freed while its successor's installer has not stored tail_
    // yet: estimate.
    if (tb == head_block_ || off <= cap) return static_cast<std::size_t>(tb->start + std::min(off, cap) - head);
    return head_block_->cap - head_off_ + cap;
  }

 private:
  struct Slot {
    Message msg;
    std::atomic<uint64_t> seq;  // start + offset + 1 once msg is written

    void fill(Message&& m, uint64_t index) noexcept {
      new (&msg) Message(std::move(m));
      seq.store(index + 1, std::memory_order_release);  // pairs with the acquire in pop()
    }
  };
  static_assert(sizeof(Slot) == kCacheLine);

  struct Block {
    std::atomic<Block*> next;
    uint64_t start;  // sequence base of slot 0 (written by the installer before publishing)
    uint32_t cap;
    uint32_t unused;
    Slot* slots() noexcept { return reinterpret_cast<Slot*>(this + 1); }
  };
  static_assert(sizeof(Block) % alignof(Slot) == 0);

  static constexpr uint32_t kOffsetBits = 12;
  static constexpr uint64_t kOffsetMask = (uint64_t{1} << kOffsetBits) - 1;
  static constexpr uint64_t kIdleBit = uint64_t{1} << 15;

  static uint64_t pack(Block* b, uint32_t log, uint32_t off) noexcept {
    return (reinterpret_cast<uint64_t>(b) << 16) | (uint64_t{log} << kOffsetBits) | off;
  }
  static Block* block_of(uint64_t t) noexcept { return reinterpret_cast<Block*>(t >> 16); }
  static uint32_t cap_log_of(uint64_t t) noexcept { return static_cast<uint32_t>((t >> kOffsetBits) & 0x7); }
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

  bool set_idle(bool release) noexcept {
    Block* b = head_block_;
    if (b == nullptr) return true;  // already idle (a drain after stop)
    // A ready slot, or a linked next block, proves non-empty without touching
    // the producers' line (relaxed: a stale value only sends us to the CAS,
    // which decides). At head_off_ == cap the CAS expects tail_ at "full,
    // no installer yet"; if one claimed the role, tail_ is past it and we fail.
    if (head_off_ < b->cap) {
      if (b->slots()[head_off_].seq.load(std::memory_order_relaxed) == b->start + head_off_ + 1) return false;
    } else if (b->next.load(std::memory_order_relaxed) != nullptr) {
      return false;
    }
    const uint32_t log = cap_log(b->cap);
    uint64_t expected = pack(b, log, head_off_);
    if (!release && b->cap <= kKeepCap) {
      // Rewind: no producer can claim the used slots before the CAS lands
      // (tail_ is past them), so clearing their words races with nobody.
      // relaxed: the release CAS publishes them to the next claimers.
      for (uint32_t i = 0; i < head_off_; ++i) b->slots()[i].seq.store(0, std::memory_order_relaxed);
      // release: pairs with the acquire fetch_add/fetch_and in push() that
      // sees the idle bit. Failure (a claim arrived): relaxed, we keep the
      // activation; the cleared words belong to consumed slots only.
      const uint32_t used = head_off_;
      head_off_ = 0;  // before the CAS: after it, the next holder may read it
      if (!tail_.compare_exchange_strong(expected, pack(b, log, 0) | kIdleBit, std::memory_order_release,
                                         std::memory_order_relaxed)) {
        head_off_ = used;
        return false;
      }
      return true;
    }
    // An idle mailbox keeps no spare, and the spare goes *before* the CAS:
    // the next chain starts again at 0, so a spare left from this one would
    // hold words above the new starts, read as ready garbage or never ready
    // (a producer reaching the 32-slot size between our CAS and a later
    // exchange took it: a lost message, found by the stress test). Until the
    // CAS lands only we retire() blocks, so none can reappear; a producer
    // racing us for it just allocates. relaxed load: only a hint that the
    // exchange is worth it; acquire on the exchange pairs with the release
    // exchange in retire(). If the CAS then fails we carry on without a spare.
    if (spare_.load(std::memory_order_relaxed) != nullptr)
      if (Block* s = spare_.exchange(nullptr, std::memory_order_acquire)) deallocate(s);
    head_block_ = nullptr;  // before the CAS: after it, an installer writes these fields
    // release: pairs with the acquire fetch_add in push() that reads 0, so
    // our pops (and this store) happen before its install_after_idle().
    if (!tail_.compare_exchange_strong(expected, 0, std::memory_order_release, std::memory_order_relaxed)) {
      head_block_ = b;
      return false;
    }
    deallocate(b);  // no claims on it remain: tail_ stood exactly at our position
    return true;
  }

  // The pusher that found the mailbox idle. No consumer runs now: the last
  // one's CAS happened before our fetch_add, and the next one starts only
  // after we schedule the actor (the run queue's hand-off publishes these).
  void install_after_idle(Message&& msg) noexcept {
    Block* b = fresh_block(0);
    b->next.store(nullptr, std::memory_order_relaxed);
    b->start = 0;  // fresh words are 0, never start + i + 1
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
  std::atomic<Block*> spare_{nullptr};
  uint32_t head_off_ = 0;
};

static_assert(sizeof(SegmentedMailbox) == 2 * kCacheLine);

}  // namespace actorlab::core
