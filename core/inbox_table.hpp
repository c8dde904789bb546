// inbox_table.hpp: the runtime's side of main-thread inboxes (core/inbox.hpp
// is the user's handle): a table of kMaxInboxes slots, each a mailbox of the
// runtime's kind plus a futex word, outside the actor registry.
//
// Ids. An inbox id is an ActorId whose generation field is 0, which no actor
// id ever has (core/actor_id.hpp), so Registry::find never matches one and
// the ordinary send path is untouched: only a send whose registry lookup
// failed asks is_inbox_id() before it becomes a dead letter
// (Runtime::deliver). The 21-bit index field holds the slot (low kSlotBits)
// and the slot's own generation (1..kMaxGeneration above it), bumped at
// each close, so a closed inbox's id never reaches a later inbox of its
// slot: a send to it is a counted dead letter, like one to a dead actor.
//
// Protocol of a slot (invariants 1, 2 and 6 for inboxes):
//   mailbox.owner_id_: the open inbox's id value, 0 when closed. open stores
//     it (release) after resetting the slot; push reads it (acquire) and
//     refuses a mismatch. A push that passed the check just before a close
//     leaves its message in the mailbox: the next receive of that slot (the
//     target check below) or stop() turns it into a dead letter or a drop.
//   the mailbox's activation bit means "the receiver is (about to be)
//     waiting": receive marks it with try_set_idle() when it finds the
//     mailbox empty; the one push that finds it idle bumps wake (release)
//     and futex-wakes. The receiver reads wake (acquire) before it looks, so
//     a wake that lands after the look changes the word it sleeps on: no
//     lost wake-up (core/futex.hpp). FIFO per sender is the mailbox's.
//   busy / closed_: receive raises busy, then reads closed_; close_all
//     raises closed_, then waits for busy to fall (seq_cst both sides: a
//     Dekker pair, so one of the two sees the other's store). So stop()
//     never drains a mailbox a receiver is popping.
// Threads: any thread pushes (workers, the net and timer threads, outside
// senders); open and close run under mutex_ on any thread; receive on one
// thread at a time per inbox (its handle's owner); close_all on the thread
// that stops the runtime, after the workers are joined.
#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/actor_id.hpp"
#include "core/cache_line.hpp"
#include "core/counters.hpp"
#include "core/futex.hpp"
#include "core/mailbox.hpp"
#include "core/message.hpp"

namespace actorlab::core {

inline constexpr uint32_t kInboxSlotBits = 10;
inline constexpr uint32_t kMaxInboxes = 1u << kInboxSlotBits;  // open at once per engine

constexpr bool is_inbox_id(ActorId id) noexcept { return id.valid() && id.generation() == 0; }

template <Mailbox MB>
class InboxTable {
 public:
  InboxTable() = default;
  InboxTable(const InboxTable&) = delete;
  InboxTable& operator=(const InboxTable&) = delete;
  ~InboxTable() { delete[] slots_.load(std::memory_order_relaxed); }

  // A fresh inbox id. Throws std::runtime_error when kMaxInboxes are open or
  // after close_all (not a hot path: the mutex is fine).
  ActorId open() {
    std::lock_guard lock(mutex_);
    if (closed_.load(std::memory_order_relaxed)) throw std::runtime_error("inbox: the engine has stopped");
    Slot* slots = slots_.load(std::memory_order_relaxed);
    if (slots == nullptr) {
      slots = new Slot[kMaxInboxes];
      for (uint32_t i = kMaxInboxes; i-- > 0;) free_.push_back(i);
      slots_.store(slots, std::memory_order_release);  // pairs with the acquire in find()
    }
    if (free_.empty())
      throw std::runtime_error("inbox: " + std::to_string(kMaxInboxes) + " inboxes are open already");
    const uint32_t index = free_.back();
    free_.pop_back();
    Slot& s = slots[index];
    const ActorId id = ActorId::make((uint32_t{s.generation} << kInboxSlotBits) | index, 0);
    // release: pairs with the acquire in push(); a sender that sees the id
    // sees the slot as open.
    s.mailbox.owner_id_.store(id.value(), std::memory_order_release);
    return id;
  }

  // Closes `id`: new sends to it are dead letters; what it still holds goes
  // to dead(msg) (the runtime counts it and answers a live sender). A closed
  // or unknown id is ignored. Not concurrent with receive() on the same id.
  template <class Dead>
  void close(ActorId id, Dead&& dead) noexcept {
    std::lock_guard lock(mutex_);
    Slot* s = find(id);
    if (s == nullptr || s->mailbox.owner_id_.load(std::memory_order_relaxed) != id.value()) return;
    s->mailbox.owner_id_.store(0, std::memory_order_release);  // pairs with the acquire in push()
    Message msg;
    while (s->mailbox.pop(msg)) {
      s->idle_set = false;
      dead(std::move(msg));
    }
    s->generation = s->generation >= kMaxSlotGeneration ? 1 : s->generation + 1;
    if (!closed_.load(std::memory_order_relaxed)) free_.push_back(id.index() & (kMaxInboxes - 1));
  }

  // Any thread. False when `to` names no open inbox (the caller makes msg a
  // dead letter; msg is untouched then).
  bool push(Message& msg) noexcept {
    Slot* s = find(msg.target);
    // acquire: pairs with the release store in open().
    if (s == nullptr || s->mailbox.owner_id_.load(std::memory_order_acquire) != msg.target.value()) return false;
    if (s->mailbox.push(std::move(msg))) {
      // release: pairs with the acquire load of wake in receive(); the bump
      // follows the push's link, so the receiver that wakes finds the message.
      s->wake.fetch_add(1, std::memory_order_release);
      futex_wake(s->wake, 1);
    }
    return true;
  }

  // Blocks up to `timeout` for the next message to `id`. nullopt on
  // timeout, for a closed id, and once close_all has run. A message left
  // by a sender that raced an earlier close of the slot goes to dead(msg).
  template <class Dead>
  std::optional<Message> receive(ActorId id, std::chrono::nanoseconds timeout, Dead&& dead) noexcept {
    Slot* s = find(id);
    if (s == nullptr || s->mailbox.owner_id_.load(std::memory_order_relaxed) != id.value()) return std::nullopt;
    s->busy.store(true, std::memory_order_seq_cst);  // Dekker with close_all(): see the file comment
    struct Leave {
      Slot* s;
      ~Leave() { s->busy.store(false, std::memory_order_release); }  // pairs with the load in close_all()
    } leave{s};
    if (closed_.load(std::memory_order_seq_cst)) return std::nullopt;
    const timespec deadline = deadline_after(timeout);
    for (;;) {
      // acquire: pairs with the release bump in push() and close_all().
      const uint32_t seen = s->wake.load(std::memory_order_acquire);
      Message msg;
      if (s->mailbox.pop(msg)) {
        s->idle_set = false;  // a pop after try_set_idle means a push cleared the bit
        if (msg.target == id) {
          received_.add();
          return msg;
        }
        dead(std::move(msg));
        continue;
      }
      if (!s->idle_set) {
        // Empty, or a push in flight (try_set_idle refuses then): mark the
        // receiver waiting so that the next push wakes it.
        if (!s->mailbox.try_set_idle()) {
          std::this_thread::yield();
          continue;
        }
        s->idle_set = true;
        continue;  // look once more: a push may have landed before the mark
      }
      if (closed_.load(std::memory_order_acquire)) return std::nullopt;
      if (past(deadline)) return std::nullopt;
      futex_wait_until(s->wake, seen, &deadline);
    }
  }

  // stop(), after the workers are joined: refuses further opens and
  // receives, wakes every receiver, waits for each to leave, then releases
  // every queued message, counted in the return value.
  uint64_t close_all() noexcept {
    closed_.store(true, std::memory_order_seq_cst);  // Dekker with receive(): see the file comment
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots == nullptr) return 0;
    uint64_t dropped = 0;
    for (uint32_t i = 0; i < kMaxInboxes; ++i) {
      Slot& s = slots[i];
      s.wake.fetch_add(1, std::memory_order_release);  // pairs with the acquire in receive()
      futex_wake_all(s.wake);
      while (s.busy.load(std::memory_order_seq_cst)) std::this_thread::yield();
      std::lock_guard lock(mutex_);  // not concurrent with a close()
      Message msg;
      while (s.mailbox.pop(msg)) ++dropped;
    }
    return dropped;
  }

  // Messages handed to receivers so far ("inbox_received").
  uint64_t received() const noexcept { return received_.get(); }

 private:
  static constexpr uint32_t kMaxSlotGeneration = (1u << (ActorId::kIndexBits - kInboxSlotBits)) - 1;

  struct alignas(kCacheLine) Slot {
    MB mailbox;
    std::atomic<uint32_t> wake{0};     // futex word (see the file comment)
    std::atomic<bool> busy{false};     // a receive is running on this slot
    bool idle_set = true;              // the receiver's: the mailbox is idle (a new one starts idle) since its last pop
    uint16_t generation = 1;           // under mutex_: the next id's generation
  };

  Slot* find(ActorId id) const noexcept {
    if (!is_inbox_id(id)) return nullptr;
    Slot* slots = slots_.load(std::memory_order_acquire);  // pairs with the release in open()
    return slots == nullptr ? nullptr : &slots[id.index() & (kMaxInboxes - 1)];
  }

  static timespec deadline_after(std::chrono::nanoseconds timeout) noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t ns = timeout.count() < 0 ? 0 : std::min<int64_t>(timeout.count(), int64_t{1} << 60);
    const int64_t total = now.tv_nsec + ns % 1'000'000'000;
    timespec out{};
    out.tv_sec = now.tv_sec + static_cast<time_t>(ns / 1'000'000'000 + total / 1'000'000'000);
    out.tv_nsec = static_cast<long>(total % 1'000'000'000);
    return out;
  }
  static bool past(const timespec& deadline) noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
  }

  std::atomic<Slot*> slots_{nullptr};  // allocated by the first open(), freed with the table
  std::atomic<bool> closed_{false};
  SharedCounter received_;
  std::mutex mutex_;            // open, close, close_all's drain
  std::vector<uint32_t> free_;  // under mutex_
};

}  // namespace actorlab::core
