// read_credit.hpp: read backpressure (--read-budget). Every data message a
// socket's read becomes is charged to that socket (its bytes plus
// kMessageCost for the message itself; an adopted read, AdoptedReads at
// the end of this file, its whole buffer); past the budget the driver stops
// reading the socket (Backend::pause_reading) until the owner has consumed
// enough: the message's payload is hooked (core/message.hpp), and freeing
// it, on whichever thread and however (after on_message, as a dead letter,
// in the drain at stop), returns its charge exactly once. Reading resumes
// when the unconsumed bytes fall to half the budget (hysteresis, so a
// steady reader does not flap between pause and resume on every message).
// Past the pause a socket's unconsumed bytes exceed the budget by at most
// what the backend had read already: epoll one recv (64 KiB); uring the
// completions the kernel produced before the cancel, at most the provided-
// buffer ring (uring_buffers x uring_buffer_size, 16 MiB by default: size
// the ring for the bound you want; the echo benchmarks size it for >= 2x connections).
//
// Invariants:
//   - credit goes back only to the socket it was charged to: read_credit
//     packs (generation tag: 24 bits | bytes: 40 bits); alloc stores a new
//     tag with 0 bytes, and a release whose tag differs returns nothing (its
//     socket is gone). A message would have to outlive 2^24 reuses of its
//     slot for its tag to match again; then it returns at most its own
//     charge to a socket that never had it (the count floors at 0).
//   - no resume is lost (Dekker, seq_cst, one total order): the driver
//     stores read_paused = true and then loads read_credit; a release does
//     its CAS on read_credit and then loads read_paused. Either the driver
//     sees the lowered credit (and resumes at once) or the release sees the
//     pause (and posts a resume).
//   - a slot is in the resume queue at most once (resume_posted, exchanged
//     by the poster, cleared by the driver before it looks at the credit).
//   - a posted resume wakes a sleeping driver: the queue's push and the
//     command queue's take_sleeper() are seq_cst, against the driver's
//     set_sleeping(true) and resumes_maybe_nonempty() (command_queue.hpp).
// Lifetime: the hook must outlive every hooked message; the Engine destroys
// its services after the runtime stopped, and stopping releases every
// queued message and destroys every actor.
// Threads: charge / pause / pop_resume on the driver; payload_released on
// any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/counters.hpp"
#include "core/intrusive_mpsc.hpp"
#include "core/message.hpp"
#include "io/backend.hpp"
#include "io/command_queue.hpp"
#include "io/socket_table.hpp"

namespace actorlab::io {

class ReadCredit final : public core::PayloadHook {
 public:
  static constexpr uint32_t kBytesBits = 40;
  static constexpr uint64_t kBytesMask = (uint64_t{1} << kBytesBits) - 1;
  static constexpr uint64_t kTagMask = (uint64_t{1} << (64 - kBytesBits)) - 1;
  // What a data message costs beyond its bytes: the mailbox node and the
  // payload's header (a guess at the allocator's share too).
  static constexpr std::size_t kMessageCost = 96;

  static uint64_t pack(uint64_t generation, uint64_t bytes) noexcept {
    return ((generation & kTagMask) << kBytesBits) | bytes;
  }

  ReadCredit(SocketTable& table, std::size_t budget, CommandQueue& commands, Backend& backend) noexcept
      : table_(table), budget_(budget), resume_at_(budget / 2), commands_(commands), backend_(backend) {}

  // The message tag for a read on this slot now (driver).
  static uint64_t tag(uint32_t index, uint64_t generation) noexcept {
    return ((generation & kTagMask) << SocketTable::kIndexBits) | index;
  }

  // Driver: charges a read of `size` bytes; true when the socket is past
  // its budget now (the caller pauses it).
  bool charge(SocketSlot& slot, std::size_t size) noexcept {
    const uint64_t cost = size + kMessageCost;
    // seq_cst: every read_credit access is (see the Dekker above).
    const uint64_t now = slot.read_credit.fetch_add(cost, std::memory_order_seq_cst) + cost;
    return (now & kBytesMask) > budget_;
  }

  // Driver, after Backend::pause_reading: marks the pause, then true if it
  // must be undone at once (the owner consumed meanwhile).
  bool pause_and_check(SocketSlot& slot) noexcept {
    slot.read_paused.store(true, std::memory_order_seq_cst);  // Dekker with payload_released
    pauses_.add();
    return below_resume(slot);
  }
  bool below_resume(const SocketSlot& slot) const noexcept {
    return (slot.read_credit.load(std::memory_order_seq_cst) & kBytesMask) <= resume_at_;
  }
  // Driver: the slot whose resume was posted, or nullptr. Clears its
  // resume_posted flag (before the caller looks at the credit).
  SocketSlot* pop_resume() noexcept {
    core::MpscLink* link = resumes_.pop();
    if (link == nullptr) return nullptr;
    SocketSlot& slot = table_.at(static_cast<ResumeLink*>(link)->index);
    slot.resume_posted.store(false, std::memory_order_seq_cst);
    return &slot;
  }
  bool resumes_maybe_nonempty() const noexcept { return resumes_.maybe_nonempty(); }
  void count_resume() noexcept { resumes_counted_.add(); }

  // core::PayloadHook: any thread, once per hooked message.
  void payload_released(uint64_t tag, std::size_t size) noexcept override {
    const uint32_t index = static_cast<uint32_t>(tag & (SocketTable::kMaxSlots - 1));
    const uint64_t want = tag >> SocketTable::kIndexBits;
    if (index >= table_.capacity()) return;
    SocketSlot& slot = table_.at(index);
    const uint64_t cost = size + kMessageCost;
    uint64_t cur = slot.read_credit.load(std::memory_order_seq_cst);
    uint64_t next;
    do {
      if ((cur >> kBytesBits) != want) return;  // the socket is gone: its credit went with it
      const uint64_t bytes = cur & kBytesMask;
      next = cur - (cost < bytes ? cost : bytes);
    } while (!slot.read_credit.compare_exchange_weak(cur, next, std::memory_order_seq_cst));
    if ((next & kBytesMask) > resume_at_) return;
    if (!slot.read_paused.load(std::memory_order_seq_cst)) return;  // Dekker with pause_and_check
    // acq_rel: one poster wins; its push happens after the flag.
    if (slot.resume_posted.exchange(true, std::memory_order_acq_rel)) return;
    resumes_.push(&slot.resume_link);
    if (commands_.take_sleeper()) backend_.wake();
  }

  uint64_t pauses() const noexcept { return pauses_.get(); }
  uint64_t resumes() const noexcept { return resumes_counted_.get(); }

 private:
  SocketTable& table_;
  const std::size_t budget_;
  const std::size_t resume_at_;
  CommandQueue& commands_;
  Backend& backend_;
  core::IntrusiveMpscQueue resumes_;
  core::SharedCounter pauses_, resumes_counted_;
};

// Zero-copy reads (BackendOptions::zero_copy_reads): a read adopted into a
// message (core::Message::adopted) keeps its backend buffer until the
// message is released, on any thread; then this owner gives the buffer back
// (Backend::return_buffer) and the socket its credit. An adopted read is
// charged its whole buffer, the memory it holds, so --read-budget also
// bounds the buffers one socket's unconsumed reads hold.
class AdoptedReads final : public core::BufferOwner {
 public:
  AdoptedReads(ReadCredit& credit, Backend& backend, std::size_t buffer_size) noexcept
      : credit_(credit), backend_(backend), charge_(buffer_size) {}

  // What an adopted read is charged (ReadCredit::charge's size).
  std::size_t charge() const noexcept { return charge_; }

  void buffer_released(const std::byte* data, std::size_t, uint64_t tag) noexcept override {
    backend_.return_buffer(data);     // the memory first, as a hooked free does
    credit_.payload_released(tag, charge_);
  }

 private:
  ReadCredit& credit_;
  Backend& backend_;
  const std::size_t charge_;
};

}  // namespace actorlab::io
