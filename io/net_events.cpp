// net_events.cpp: the driver's half of NetService (see net_service.hpp):
// applying commands from workers, moving each socket's writing on, closing,
// and turning the backend's reports into messages to the owners. The
// limits' own driver work (resumes, pauses, timeouts) is net_limits.cpp.
// Threads: the driver only (the net thread, or with --net=worker the worker
// that holds the driver token).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <new>

#include "io/fd.hpp"
#include "io/net_service.hpp"

namespace actorlab::io {

using core::SocketEventKind;
using core::SocketId;

// ---- net thread: commands -----------------------------------------------------

bool NetService::drive_commands() noexcept {
  bool any = drive_resumes();
  drive_sweep();
  while (CommandLink* link = commands_.pop()) {
    std::unique_ptr<Command> command(static_cast<Command*>(link));
    apply(*command);
    commands_applied_.add();
    any = true;
  }
  return any;
}

void NetService::apply(Command& command) noexcept {
  const uint32_t index = SocketTable::index_of(command.socket);
  // A send takes its slot under the slot's lock in apply_send (the id may
  // be stale by now); every other command needs the live slot.
  const bool send = command.kind == CommandKind::kSend;
  SocketSlot* slot = send ? nullptr : table_.find(command.socket);
  if (!send && slot == nullptr) return;  // closed meanwhile: nothing to do
  switch (command.kind) {
    case CommandKind::kSend:
      apply_send(command);
      break;
    case CommandKind::kListen:
      slot->registered = true;
      backend_->add_listener(index, slot->fd);
      if (stopping_.load(std::memory_order_acquire)) drive_release(index);
      break;
    case CommandKind::kConnect:
      slot->registered = true;
      slot->connecting = true;
      backend_->connect(index, slot->fd, command.addr, command.addr_len);
      if (stopping_.load(std::memory_order_acquire)) drive_release(index);
      break;
    case CommandKind::kStart: {
      slot->owner.store(command.owner.value(), std::memory_order_relaxed);
      bool begin_reading = false;
      slot->lock.lock();
      if (slot->state == SlotState::kAccepted) {
        slot->state = SlotState::kOpen;
        begin_reading = true;
      }
      slot->lock.unlock();
      if (begin_reading) backend_->start_reading(index);
      break;
    }
    case CommandKind::kFlush:
    case CommandKind::kShutdown:
      drive_kick(index);
      break;
    case CommandKind::kClose: {
      slot->user_closed = true;
      bool release_now = false;
      slot->lock.lock();
      if (slot->state == SlotState::kListening) {
        release_now = true;
      } else if (slot->state != SlotState::kReleasing) {
        if (slot->state != SlotState::kClosing) slot->closing_since_ns = steady_now_ns();
        slot->state = SlotState::kClosing;
      }
      slot->lock.unlock();
      if (release_now) drive_release(index);
      else drive_kick(index);  // releases at once when nothing is queued
      break;
    }
    case CommandKind::kFail:
      on_error(index, command.error);
      break;
  }
}

void NetService::apply_send(Command& command) noexcept {
  const uint32_t index = SocketTable::index_of(command.socket);
  if (index >= table_.capacity()) return;
  SocketSlot& slot = table_.at(index);
  bool appended = false;
  slot.lock.lock();
  // release: pairs with the acquire load in send(); decremented whether or
  // not the id still matches (socket_table.hpp: pending_sends).
  slot.pending_sends.fetch_sub(1, std::memory_order_release);
  slot.pending_bytes.fetch_sub(command.chunk.size, std::memory_order_relaxed);  // a limit only
  const std::size_t size = command.chunk.size;
  if (slot.id.load(std::memory_order_relaxed) == command.socket.value() && !slot.broken &&
      (writable_by_worker(slot.state) || slot.state == SlotState::kConnecting ||
       slot.state == SlotState::kClosing)) {
    slot.queued_bytes.store(slot.queued_bytes.load(std::memory_order_relaxed) + size,
                            std::memory_order_relaxed);  // under the lock
    slot.queue.push_back(std::move(command.chunk));
    appended = true;
  }
  slot.lock.unlock();
  if (appended) {
    queued_writes_.add();
    drive_kick(index);
  } else {
    dead_sends_.add();
    dropped_bytes_.add(size);
    unreserve_send(size);
  }
}

// Moves the slot's writing on: sends the queue's first frames (up to
// send_gather of them, one gathered send) if nothing is in flight, else
// (queue drained) releases a closing socket or applies a pending
// shutdown_write. The frames stay in the queue until on_sent: workers only
// append to it (a deque: the elements do not move), so the iovecs stay valid.
void NetService::drive_kick(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  if (slot.send_in_flight || slot.connecting) return;
  bool send = false;
  bool release = false, shut = false;
  slot.lock.lock();
  const SlotState state = slot.state;
  if (state == SlotState::kFree || state == SlotState::kReleasing || state == SlotState::kListening) {
    slot.lock.unlock();
    return;
  }
  if (!slot.queue.empty() && !slot.broken) {
    slot.net_writing = true;
    gather_.clear();  // capacity reserved: no allocation
    for (const Chunk& c : slot.queue) {
      if (gather_.size() == options_.send_gather) break;
      gather_.push_back({c.data.get() + c.offset, c.size - c.offset});
    }
    send = true;
  } else {
    slot.net_writing = false;
    release = state == SlotState::kClosing;
    shut = !release && !slot.shut_done && slot.write_closed.load(std::memory_order_relaxed);
  }
  slot.lock.unlock();
  if (send) {
    slot.send_in_flight = true;
    if (options_.send_timeout_ns != 0) slot.send_since_ns = steady_now_ns();
    if (gather_.size() > 1) {
      gathered_sends_.add();
      gathered_frames_.add(gather_.size());
    }
    backend_->send_gather(index, gather_.data(), static_cast<int>(gather_.size()));
  } else if (release) {
    drive_release(index);
  } else if (shut) {
    slot.shut_done = true;
    backend_->shutdown_write(index);
  }
}

// Withdraws the socket from writers and has the backend close it;
// on_released frees the slot.
void NetService::drive_release(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  slot.lock.lock();
  if (slot.state == SlotState::kReleasing || slot.state == SlotState::kFree) {
    slot.lock.unlock();
    return;
  }
  slot.state = SlotState::kReleasing;
  slot.net_writing = true;  // no direct write from now on
  const int fd = slot.fd;
  slot.lock.unlock();
  if (slot.registered) {
    backend_->close(index);
  } else {
    UniqueFd(fd).reset();
    on_released(index);
  }
}

void NetService::deliver_event(core::ActorId owner, SocketId socket, SocketEventKind kind, SocketId other,
                               int error) noexcept {
  if (stopping_.load(std::memory_order_relaxed)) return;  // no event storm at stop
  core::Message msg = core::Message::of(core::kTypeSocketEvent, core::SocketEvent{kind, socket, other, error},
                                        socket.value());
  msg.target = owner;
  runtime_.send(std::move(msg), -1);
}

void NetService::deliver_event(uint32_t index, SocketEventKind kind, SocketId other, int error) noexcept {
  const SocketSlot& slot = table_.at(index);
  deliver_event(core::ActorId::from_value(slot.owner.load(std::memory_order_relaxed)),
                SocketId::from_value(slot.id.load(std::memory_order_relaxed)), kind, other, error);
}

// ---- net thread: backend reports ------------------------------------------------

void NetService::on_accept(uint32_t listener, int fd) noexcept {
  UniqueFd owned(fd);
  SocketSlot& lslot = table_.at(listener);
  if (lslot.state != SlotState::kListening || stopping_.load(std::memory_order_relaxed)) return;
  const core::ActorId owner = core::ActorId::from_value(lslot.owner.load(std::memory_order_relaxed));
  const SocketId id = table_.alloc(fd, SlotState::kAccepted, owner);
  if (!id.valid()) {
    table_full_.add();
    return;
  }
  owned.release();
  const uint32_t index = SocketTable::index_of(id);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  table_.at(index).registered = true;
  backend_->add_connection(index, fd);
  accepts_.add();
  lslot.accept_warned = false;
  deliver_event(owner, SocketId::from_value(lslot.id.load(std::memory_order_relaxed)), SocketEventKind::kAccepted,
                id, 0);
}

void NetService::on_accept_error(uint32_t listener, int error) noexcept {
  if (error == EMFILE || error == ENFILE) emfile_.add(); else accept_errors_.add();
  SocketSlot& lslot = table_.at(listener);
  if (lslot.state != SlotState::kListening || lslot.accept_warned) return;
  lslot.accept_warned = true;  // one warning per episode; the counter has them all
  deliver_event(listener, SocketEventKind::kWarning, SocketId{}, error);
}

// Each read becomes a message charged to the socket (read_credit.hpp): a
// hooked copy, or, when the backend offers it, one that adopts the buffer
// (AdoptedReads returns it). Past the budget the socket pauses. A closing
// socket's input is discarded, and past read_budget discarded bytes its
// reading stops for good. Returns whether the buffer was adopted.
bool NetService::on_data(uint32_t index, std::span<const std::byte> bytes, bool adoptable) noexcept {
  SocketSlot& slot = table_.at(index);
  bytes_in_.add(bytes.size());
  if (slot.state != SlotState::kOpen || stopping_.load(std::memory_order_relaxed)) {
    dropped_reads_.add();
    if (slot.state == SlotState::kClosing && !slot.reading_stopped) {
      slot.discarded_reads += bytes.size();
      if (slot.discarded_reads > options_.read_budget) {
        slot.reading_stopped = true;
        backend_->pause_reading(index);
        closing_read_stops_.add();
      }
    }
    return false;
  }
  const uint64_t tag = ReadCredit::tag(index, slot.generation);
  // Charged before the message exists: a worker may free it at once.
  const bool over = read_credit_.charge(slot, adoptable ? adopted_reads_.charge() : bytes.size());
  const uint64_t session = slot.id.load(std::memory_order_relaxed);
  try {
    using core::Message;
    Message msg = adoptable ? Message::adopted(core::kTypeSocketData, session, bytes.data(), bytes.size(),
                                               &adopted_reads_, tag)
                            : Message::hooked(core::kTypeSocketData, session, bytes.data(), bytes.size(),
                                              &read_credit_, tag);
    msg.target = core::ActorId::from_value(slot.owner.load(std::memory_order_relaxed));
    runtime_.send(std::move(msg), -1);
  } catch (const std::bad_alloc&) {  // hooked only: adopting never allocates
    read_credit_.payload_released(tag, bytes.size());  // no message: the charge goes back
    dropped_reads_.add();
  }
  if (over && !slot.read_paused.load(std::memory_order_relaxed)) drive_pause(index);
  return adoptable;
}

void NetService::on_eof(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  eofs_.add();
  if (slot.state != SlotState::kOpen) return;
  // A worker's write that found a reset first took the socket's error: the
  // reader then sees EOF. The write left its errno here (under the lock,
  // before the read), so the owner still learns of the reset.
  slot.lock.lock();
  const int write_error = slot.broken ? slot.write_error : 0;
  slot.lock.unlock();
  if (write_error != 0) return on_error(index, write_error);
  deliver_event(index, SocketEventKind::kEof, SocketId{}, 0);
}

void NetService::on_error(uint32_t index, int error) noexcept {
  SocketSlot& slot = table_.at(index);
  if (slot.state == SlotState::kReleasing || slot.state == SlotState::kFree) return;
  if (error == ECONNRESET || error == EPIPE) resets_.add(); else errors_.add();
  slot.lock.lock();
  slot.broken = true;
  slot.lock.unlock();
  // Delivered even after close(): a reset that a write found after the
  // reader saw EOF is still news to the owner (kClosed follows then).
  deliver_event(index, SocketEventKind::kError, SocketId{}, error);
  drive_release(index);
}

void NetService::on_connected(uint32_t index, int error) noexcept {
  SocketSlot& slot = table_.at(index);
  slot.connecting = false;
  if (slot.state == SlotState::kReleasing || slot.state == SlotState::kFree) return;
  if (error != 0) {
    errors_.add();
    if (!slot.user_closed) deliver_event(index, SocketEventKind::kError, SocketId{}, error);
    drive_release(index);
    return;
  }
  connects_.add();
  slot.lock.lock();
  if (slot.state == SlotState::kConnecting) slot.state = SlotState::kOpen;
  slot.lock.unlock();
  if (!slot.user_closed) deliver_event(index, SocketEventKind::kConnected, SocketId{}, 0);
  drive_kick(index);
}

void NetService::on_sent(uint32_t index, std::size_t bytes) noexcept {
  SocketSlot& slot = table_.at(index);
  slot.send_in_flight = false;
  bytes_out_.add(bytes);
  // A gathered send may have written several frames and part of the next.
  std::size_t written = 0;
  slot.lock.lock();
  while (!slot.queue.empty()) {
    Chunk& head = slot.queue.front();
    const std::size_t step = std::min(bytes, head.size - head.offset);
    head.offset += step;
    bytes -= step;
    if (head.offset < head.size) break;
    written += head.size;
    slot.queue.pop_front();
  }
  slot.queued_bytes.store(slot.queued_bytes.load(std::memory_order_relaxed) - written,
                          std::memory_order_relaxed);  // under the lock
  slot.lock.unlock();
  if (written > 0) unreserve_send(written);
  drive_kick(index);
}

void NetService::on_released(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  const core::ActorId owner = core::ActorId::from_value(slot.owner.load(std::memory_order_relaxed));
  const SocketId id = SocketId::from_value(slot.id.load(std::memory_order_relaxed));
  const bool notify = slot.user_closed;
  const std::size_t dropped = table_.free(index);
  dropped_bytes_.add(dropped);
  unreserve_send(dropped);
  if (notify) deliver_event(owner, id, SocketEventKind::kClosed, SocketId{}, 0);
}

void NetService::on_wake() noexcept {}

}  // namespace actorlab::io
