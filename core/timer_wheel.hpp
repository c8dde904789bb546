// timer_wheel.hpp: a hierarchical timing wheel (single-threaded), the data
// structure behind the timer thread (core/timer_service.hpp).
//
// Time is a 64-bit tick count. An entry is (owner, session, deadline tick);
// it fires on the tick equal to its deadline, in deadline order, entries of
// one tick in the order they were added; never before its deadline.
//
// Layout (skynet's shape, widened to 64-bit time):
//   level 0, the near wheel: 256 slots, one per tick (deadline bits 0-7);
//   levels 1-4: 64 slots each, for deadline bits 8-13, 14-19, 20-25, 26-31;
//   overflow: one list for deadlines whose bits 32 and up differ from now's
//   (over 2^32 ticks away: 49 days at 1 ms, 71 minutes at 1 us).
// An entry sits at the lowest level whose range holds both its deadline and
// now, i.e. the first level above which the two agree, in the slot named by
// its deadline's bits of that level. So a level's occupied slots are always
// later than now's slot at that level, and a slot's entries move down
// (cascade) exactly when now reaches that slot's start; near-wheel entries
// fire when now reaches them. Each entry moves at most 5 times in its life.
//
// Skipping empty time: advance_to() does not walk tick by tick. Each level
// keeps a bitmap of occupied slots; the next event (a near slot to fire or a
// slot to cascade) is the first set bit of the lowest non-empty level, and
// now jumps straight there. next_event_tick() gives the timer thread the
// same answer, so it sleeps until something can happen.
//
// Storage: nodes live in a pool of 32-byte entries allocated in chunks of
// 4096 (128 KiB), reused through a free list (no malloc per timer); links
// are 32-bit node indices. Slot lists are circular, doubly linked through
// sentinel nodes (indices 0-512), so unlinking needs no search. The pool
// keeps its high-water mark until clear() (the timer service's stop); the
// index shrinks as keys go.
//
// Cancellation: an index (core/timer_index.hpp, open addressing) maps
// (owner, session) to the first of that key's pending nodes, which form a
// second doubly linked chain, so cancel() removes every pending entry of a
// key in O(entries) and a firing entry leaves the chain in O(1). Memory at
// 1,000,000 pending timers: 32 MiB of nodes + 32 MiB of index.
// Threads: none; one owner thread (the timer thread) does everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/actor_id.hpp"
#include "core/timer_index.hpp"

namespace actorlab::core {

struct TimerEntry {
  ActorId owner;
  uint32_t session = 0;
  uint64_t deadline = 0;  // tick
};

class TimerWheel {
 public:
  static constexpr uint64_t kNoEvent = UINT64_MAX;

  explicit TimerWheel(uint64_t start_tick = 0);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // The last tick processed: entries due at or before it have fired.
  uint64_t now() const noexcept { return now_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Adds an entry. A deadline at or before now() is due at now() + 1 (the
  // caller that wants it at once checks first). Throws std::bad_alloc when
  // the pool or the index cannot grow; the wheel is unchanged then.
  void add(ActorId owner, uint32_t session, uint64_t deadline);

  // Removes every pending entry of (owner, session); returns how many.
  std::size_t cancel(ActorId owner, uint32_t session) noexcept;

  // Advances now() to `tick` (no-op if not later), calling fire(TimerEntry)
  // for every entry that falls due, in deadline order. fire may add or cancel.
  template <class Fire>
  void advance_to(uint64_t tick, Fire&& fire) {
    while (now_ < tick) {
      const uint64_t next = next_event_tick();
      if (next > tick) {  // nothing happens in (now_, tick]: jump
        now_ = tick;
        return;
      }
      now_ = next;
      cascade();
      const uint32_t sentinel = static_cast<uint32_t>(now_ & kNearMask);
      while (!list_empty(sentinel)) fire(take(node(sentinel).next));
    }
  }

  // The first tick after now() at which advance_to() has work (an entry to
  // fire or a slot to cascade); kNoEvent when empty. Entries never fire
  // before it, so a thread may sleep until then.
  uint64_t next_event_tick() const noexcept;

  // Drops every entry and gives back the pool's and the index's memory.
  void clear();

  // Bytes held by the pool and the index (for tests and stats).
  std::size_t memory_bytes() const noexcept;

 private:
  // Near wheel: 2^8 slots; levels 1-4: 2^6 slots each.
  static constexpr unsigned kNearBits = 8;
  static constexpr unsigned kLevelBits = 6;
  static constexpr unsigned kLevels = 4;
  static constexpr uint64_t kNearSlots = 1u << kNearBits;
  static constexpr uint64_t kNearMask = kNearSlots - 1;
  static constexpr uint64_t kLevelSlots = 1u << kLevelBits;
  static constexpr uint64_t kLevelMask = kLevelSlots - 1;
  static constexpr unsigned kWheelBits = kNearBits + kLevels * kLevelBits;  // 32
  // Sentinel node indices: near 0-255, level k slot j at 256 + (k-1)*64 + j, overflow last.
  static constexpr uint32_t kOverflow = kNearSlots + kLevels * kLevelSlots;  // 512
  static constexpr uint32_t kSentinels = kOverflow + 1;
  static constexpr uint32_t kNil = TimerIndex::kNone;
  static constexpr unsigned kChunkBits = 12;
  static constexpr uint32_t kChunkNodes = 1u << kChunkBits;

  struct Node {
    uint64_t deadline;
    uint32_t owner;
    uint32_t session;
    uint32_t prev, next;          // slot list (circular, through a sentinel)
    uint32_t key_prev, key_next;  // same-key chain (kNil-terminated); free list uses key_next
  };
  static_assert(sizeof(Node) == 32, "a node is half a cache line");

  static unsigned level_shift(unsigned level) noexcept { return kNearBits + (level - 1) * kLevelBits; }
  static uint64_t key_of(uint32_t owner, uint32_t session) noexcept {
    return (uint64_t{owner} << 32) | session;
  }

  Node& node(uint32_t i) noexcept { return chunks_[i >> kChunkBits][i & (kChunkNodes - 1)]; }
  const Node& node(uint32_t i) const noexcept { return chunks_[i >> kChunkBits][i & (kChunkNodes - 1)]; }
  bool list_empty(uint32_t sentinel) const noexcept { return node(sentinel).next == sentinel; }

  void init_storage();
  uint32_t allocate();                  // may throw std::bad_alloc
  void release(uint32_t i) noexcept;    // back to the free list
  uint32_t slot_for(uint64_t deadline) const noexcept;
  void link(uint32_t i) noexcept;       // into slot_for(deadline), at the tail
  void unlink(uint32_t i) noexcept;     // from its slot list
  void unlink_key(uint32_t i) noexcept; // from its key chain and the index
  TimerEntry take(uint32_t i) noexcept; // unlink, unindex, release; returns the entry
  void cascade() noexcept;              // at now_: moves the slot that starts now down
  void relink_list(uint32_t sentinel) noexcept;

  uint64_t now_;
  std::size_t size_ = 0;
  // Occupied slots: near_bits_[w] bit b = near slot 64w+b; level_bits_[k-1] bit j = level k slot j.
  uint64_t near_bits_[kNearSlots / 64] = {};
  uint64_t level_bits_[kLevels] = {};
  std::vector<std::unique_ptr<Node[]>> chunks_;
  uint32_t free_head_ = kNil;
  uint32_t used_ = 0;  // nodes ever handed out (sentinels included); beyond it chunks are fresh
  TimerIndex index_;
};

}  // namespace actorlab::core
