// net_limits.cpp: the driver's side of NetService's limits (net_service.hpp
// "Limits"): read resumes posted by released messages (read_credit.hpp),
// pausing a socket past its read budget, the send budget's reservations,
// and the sweep that enforces send timeouts.
// Threads: the driver only (the net thread, or the worker holding the
// driver token), except reserve_send / unreserve_send (any thread).
#include <cerrno>

#include "io/net_service.hpp"

namespace actorlab::io {

using core::SocketEventKind;
using core::SocketId;

// Anything for the driver besides the backend? (Before it may sleep: the
// command queue's sleeping flag covers both queues, read_credit.hpp.)
bool NetService::work_pending() noexcept {
  return commands_.maybe_nonempty() || read_credit_.resumes_maybe_nonempty();
}

// While a socket is open and send timeouts are on, the driver wakes every
// sweep to check them; otherwise it waits for events only.
int NetService::wait_ms() const noexcept {
  if (options_.send_timeout_ns == 0 || table_.in_use() == 0) return -1;
  return static_cast<int>(sweep_ns_ / 1'000'000);
}

bool NetService::drive_resumes() noexcept {
  bool any = false;
  while (SocketSlot* slot = read_credit_.pop_resume()) {
    any = true;
    // acquire on id: pairs with alloc()'s release (a worker may have allocated
    // the slot). seq_cst on the flag: its Dekker partner is payload_released.
    if (slot->id.load(std::memory_order_acquire) == 0 || !slot->read_paused.load(std::memory_order_seq_cst))
      continue;  // gone, or resumed already
    if (!read_credit_.below_resume(*slot)) continue;  // charged again meanwhile: a later release posts again
    slot->read_paused.store(false, std::memory_order_seq_cst);
    if (!slot->reading_stopped) backend_->resume_reading(slot->resume_link.index);
    read_credit_.count_resume();
  }
  return any;
}

void NetService::drive_pause(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  backend_->pause_reading(index);
  if (read_credit_.pause_and_check(slot)) {  // consumed meanwhile: undo at once
    slot.read_paused.store(false, std::memory_order_seq_cst);
    if (!slot.reading_stopped) backend_->resume_reading(index);
    read_credit_.count_resume();
  }
}

bool NetService::reserve_send(std::size_t bytes) noexcept {
  // relaxed: a budget (see send_total_).
  const uint64_t before = send_total_.fetch_add(bytes, std::memory_order_relaxed);
  if (before + bytes <= options_.send_budget) return true;
  send_total_.fetch_sub(bytes, std::memory_order_relaxed);
  send_budget_refusals_.add();
  nomemory_.add();
  return false;
}

void NetService::unreserve_send(std::size_t bytes) noexcept {
  if (bytes != 0) send_total_.fetch_sub(bytes, std::memory_order_relaxed);
}

// Every sweep_ns_: a closing socket that has flushed for longer than the
// send timeout is released (its queue dropped, counted in
// net_dropped_bytes); a send in flight without progress for that long
// fails the socket.
void NetService::drive_sweep() noexcept {
  if (options_.send_timeout_ns == 0) return;
  const int64_t now = steady_now_ns();
  if (now < next_sweep_ns_) return;
  next_sweep_ns_ = now + sweep_ns_;
  const auto timeout = static_cast<int64_t>(options_.send_timeout_ns);
  for (uint32_t i = 0; i < table_.capacity(); ++i) {
    SocketSlot& slot = table_.at(i);
    // acquire: pairs with the release store in alloc(), which a worker runs
    // for listen/connect: the slot's state and fields were set before it.
    if (slot.id.load(std::memory_order_acquire) == 0) continue;
    const SlotState state = slot.state;  // after alloc, the driver is its only writer
    if (state == SlotState::kFree || state == SlotState::kReleasing || state == SlotState::kListening) continue;
    const bool closing_late = state == SlotState::kClosing && slot.closing_since_ns != 0 &&
                              now - slot.closing_since_ns > timeout;
    const bool stalled = slot.send_in_flight && now - slot.send_since_ns > timeout;
    if (!closing_late && !stalled) continue;
    if (closing_late) close_timeouts_.add(); else send_timeouts_.add();
    if (!slot.user_closed) deliver_event(i, SocketEventKind::kError, SocketId{}, ETIMEDOUT);
    drive_release(i);
  }
}

}  // namespace actorlab::io
