// socket_table.hpp: the slot table of sockets. Actors hold SocketIds (slot
// index + generation), never fds; a stale id (its slot freed, maybe reused)
// is refused and counted, so it never reaches a newer socket.
//
// Id layout (64 bits): bits 0..19 the slot index, bits 20..63 the slot's
// generation (1 .. 2^44-1, never 0, so no live id is 0). Why a stale id can
// never match a newer socket: a slot's generation moves on by one each time
// it is freed and never goes back; a slot whose generation would wrap is
// retired (never handed out again, counted as net_slots_retired), so each
// (index, generation) pair names one socket in the service's life. The free
// list is FIFO, so reuses spread over all free slots: retiring a slot takes
// 2^44 (1.7e13) connections through that one slot, and 2^44 x capacity
// through a table with its slots free (never, at any real rate).
//
// Each slot has a spinlock that guards its fd, state and send queue. The net
// driver (one thread at a time) owns every state change; a worker takes the
// lock only to write (SocketApi::send) or to mark it write-closed, and never
// blocks on it for longer than one non-blocking send() syscall. Fields
// outside the lock:
//   id     written under the lock (alloc / free); read without it by
//          lookups (acquire: pairs with the release store in alloc, so a
//          matching id sees the slot's fields set before it) and re-checked
//          under the lock before any fd or flag is touched;
//   owner  the actor that receives the socket's messages: written by the
//          driver (start), read by the driver; relaxed suffices there, and
//          workers do not read it;
//   pending_sends / pending_bytes  kSend commands (and their bytes) queued
//          for this slot and not yet applied: raised by a worker before its
//          push, lowered by the driver when it applies the command, whether
//          or not the id still matches (so they never drift when a slot is
//          reused; a new socket in the slot may see them above 0 briefly and
//          then queues instead of writing directly). A worker writes
//          directly only when it reads pending_sends 0 (acquire: pairs with
//          the release decrement), so a direct write never overtakes a
//          queued one; pending_bytes counts toward the send limit;
//   queued_bytes  written under the lock, read without it (relaxed) by a
//          sender that found the lock busy, for the send limit check;
//   read_credit  io/read_credit.hpp (generation tag + unconsumed read bytes);
//   read_paused, resume_posted, resume_link  io/read_credit.hpp.
// Threads: alloc/free from any thread (a mutex guards the free list: listen
// and connect run on workers, accept on the driver; none is a hot path).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "core/actor_id.hpp"
#include "core/cache_line.hpp"
#include "core/intrusive_mpsc.hpp"
#include "core/services.hpp"
#include "core/spinlock.hpp"

namespace actorlab::io {

enum class SlotState : uint8_t {
  kFree,
  kListening,   // a listener (accepting once the driver registered it)
  kAccepted,    // accepted, not reading until start(); writes allowed
  kConnecting,  // connect in progress; writes are queued
  kOpen,        // reading and writing
  kClosing,     // close() asked: flushing the send queue, then released
  kReleasing,   // the backend is closing the fd; writes refused
};

// A slot's link in the read-resume queue (io/read_credit.hpp).
struct ResumeLink : core::MpscLink {
  uint32_t index = 0;
};

// States in which a worker may write directly (if nothing is queued).
inline bool writable_by_worker(SlotState s) noexcept { return s == SlotState::kAccepted || s == SlotState::kOpen; }

// Bytes waiting to be written. offset: how many were written already.
struct Chunk {
  std::unique_ptr<std::byte[]> data;
  std::size_t size = 0;
  std::size_t offset = 0;
};

struct alignas(core::kCacheLine) SocketSlot {
  std::atomic<uint64_t> id{0};
  std::atomic<uint32_t> owner{0};
  std::atomic<uint32_t> pending_sends{0};
  std::atomic<uint64_t> pending_bytes{0};
  std::atomic<std::size_t> queued_bytes{0};  // bytes in `queue` (written under lock)
  std::atomic<uint16_t> port{0};  // a listener's bound port
  // close() or shutdown_write() was asked: later send() calls are refused.
  // Set under the lock after the id is re-checked (so a close racing the
  // slot's reuse never marks the new socket), by the asking worker
  // (release); read by senders (acquire): an actor that closed its socket
  // and then sends gets kDead.
  std::atomic<bool> write_closed{false};
  core::Spinlock lock;

  // Read backpressure (io/read_credit.hpp).
  std::atomic<uint64_t> read_credit{0};
  std::atomic<bool> read_paused{false};
  std::atomic<bool> resume_posted{false};
  ResumeLink resume_link;  // index set by the table

  // Guarded by lock (the driver also reads them without it, as their only writer).
  int fd = -1;
  SlotState state = SlotState::kFree;
  bool net_writing = false;        // the driver owns the queue: workers append, never write directly
  bool broken = false;             // a write failed: further sends are refused (kDead)
  int write_error = 0;             // the errno of that write (a worker's direct write)
  std::deque<Chunk> queue;         // bytes for the driver to write, in order

  // Driver only (the alloc/free resets happen under the lock, before the id
  // is published or after it is withdrawn).
  uint64_t generation = 1;
  bool registered = false;         // the backend owns the fd (else the service closes it)
  bool connecting = false;         // a connect is in flight
  bool send_in_flight = false;     // a Backend::send has not completed yet
  bool shut_done = false;          // shutdown(SHUT_WR) was issued
  bool user_closed = false;        // close() asked: kClosed follows the release
  bool accept_warned = false;      // a listener told its owner of an accept error already
  bool reading_stopped = false;    // closing: reading given up for good (io/read_credit.hpp)
  std::size_t discarded_reads = 0; // bytes read after close() (discarded)
  int64_t send_since_ns = 0;       // steady clock: the in-flight send began or last progressed
  int64_t closing_since_ns = 0;    // steady clock: close() was applied (0: not closing)
};

class SocketTable {
 public:
  static constexpr uint32_t kIndexBits = 20;
  static constexpr uint32_t kMaxSlots = 1u << kIndexBits;
  static constexpr uint64_t kMaxGeneration = (uint64_t{1} << (64 - kIndexBits)) - 1;

  explicit SocketTable(uint32_t capacity);

  static uint32_t index_of(core::SocketId id) noexcept { return static_cast<uint32_t>(id.value() & (kMaxSlots - 1)); }
  static core::SocketId make_id(uint64_t generation, uint32_t index) noexcept {
    return core::SocketId::from_value((generation << kIndexBits) | index);
  }
  uint32_t capacity() const noexcept { return capacity_; }
  SocketSlot& at(uint32_t index) noexcept { return slots_[index]; }
  const SocketSlot& at(uint32_t index) const noexcept { return slots_[index]; }

  // The slot if `id` names it now, else nullptr (stale or unknown). Without
  // the lock: the caller re-checks slot.id under the lock before using fd.
  SocketSlot* find(core::SocketId id) noexcept {
    if (!id.valid()) return nullptr;
    const uint32_t index = index_of(id);
    if (index >= capacity_) return nullptr;
    SocketSlot& slot = slots_[index];
    // acquire: pairs with the release store in alloc()
    return slot.id.load(std::memory_order_acquire) == id.value() ? &slot : nullptr;
  }
  const SocketSlot* find(core::SocketId id) const noexcept {
    return const_cast<SocketTable*>(this)->find(id);
  }

  // Takes the free slot freed longest ago: state and fd set under its
  // lock, id published last. Invalid id when the table is full.
  core::SocketId alloc(int fd, SlotState state, core::ActorId owner) noexcept;
  // Frees the slot (its fd must be closed already); the generation moves on
  // (or the slot retires), the send queue is dropped. Returns the bytes
  // dropped with the queue.
  std::size_t free(uint32_t index) noexcept;

  uint32_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  uint64_t retired() const noexcept { return retired_.load(std::memory_order_relaxed); }
  // Test hook: the next alloc of `index` gets this generation (so that
  // retiring is testable without 2^44 connections). Before any alloc.
  void set_generation_for_test(uint32_t index, uint64_t generation) noexcept {
    slots_[index].generation = generation;
  }

 private:
  uint32_t capacity_;
  std::unique_ptr<SocketSlot[]> slots_;
  std::mutex free_mutex_;
  // Guarded by free_mutex_: a ring of free indexes, FIFO (popped at head,
  // pushed at head + count), capacity_ entries.
  std::vector<uint32_t> free_ring_;
  uint32_t free_head_ = 0;
  uint32_t free_count_ = 0;
  std::atomic<uint32_t> in_use_{0};   // statistics only
  std::atomic<uint64_t> retired_{0};  // statistics only
};

}  // namespace actorlab::io
