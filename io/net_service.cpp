// net_service.cpp: the socket service (see net_service.hpp for the data
// flow). Threads: SocketApi methods run on any thread; run(), apply*(),
// drive_*() and the BackendSink callbacks on the net thread only.
#include "io/net_service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <string>

#include "io/fd.hpp"

namespace actorlab::io {
namespace {

using core::SocketEventKind;
using core::SocketId;
using core::SocketStatus;

// Numeric addresses only (no DNS lookup on a worker): IPv4, IPv6,
// "localhost" (127.0.0.1) and "" (any IPv4 address).
bool parse_address(std::string_view host, uint16_t port, sockaddr_storage& out, socklen_t& len) noexcept {
  std::memset(&out, 0, sizeof(out));
  std::string text(host);
  if (text.empty() || text == "*") text = "0.0.0.0";
  if (text == "localhost") text = "127.0.0.1";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool writable_by_worker(SlotState s) noexcept { return s == SlotState::kAccepted || s == SlotState::kOpen; }

Chunk copy_chunk(std::span<const std::byte> bytes) noexcept {
  Chunk c;
  c.data.reset(new (std::nothrow) std::byte[bytes.size()]);
  if (c.data) {
    std::memcpy(c.data.get(), bytes.data(), bytes.size());
    c.size = bytes.size();
  }
  return c;
}

}  // namespace

NetService::NetService(core::RuntimeBase& runtime, std::unique_ptr<Backend> backend, const NetOptions& options)
    : runtime_(runtime),
      backend_(std::move(backend)),
      options_(options),
      table_(options.max_sockets),
      direct_writes_ok_(options.direct_writes < 0 ? backend_->prefers_direct_writes() : options.direct_writes != 0) {}

NetService::~NetService() {
  stop();
  // Commands pushed after the net thread ended (a worker racing stop()):
  // free them, and close the fds of sockets the backend never took.
  while (CommandLink* link = commands_.pop()) delete static_cast<Command*>(link);
  for (uint32_t i = 0; i < table_.capacity(); ++i) {
    SocketSlot& slot = table_.at(i);
    if (slot.id.load(std::memory_order_acquire) == 0) continue;
    if (!slot.registered && slot.fd >= 0) UniqueFd(slot.fd).reset();
    table_.free(i);
  }
}

// ---- lifecycle ----------------------------------------------------------------

void NetService::start() {
  if (started_) return;
  started_ = true;
  thread_ = std::jthread([this] { run(); });
}

void NetService::stop() noexcept {
  accepting_.store(false, std::memory_order_release);  // pairs with the acquire loads in the SocketApi
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  backend_->wake();
  if (thread_.joinable()) thread_.join();
}

void NetService::run() noexcept {
  for (;;) {
    const bool busy = drive_commands();
    // acquire: pairs with the exchange in stop().
    if (stopping_.load(std::memory_order_acquire)) break;
    if (busy) {
      backend_->poll(0, *this);
      continue;
    }
    commands_.set_sleeping(true);
    if (commands_.maybe_nonempty() || stopping_.load(std::memory_order_acquire)) {
      commands_.set_sleeping(false);
      continue;
    }
    backend_->poll(-1, *this);
    commands_.set_sleeping(false);
  }
  drive_close_all();
}

// Closes every socket and waits (bounded) for the backend to release them.
void NetService::drive_close_all() noexcept {
  drive_commands();
  for (uint32_t i = 0; i < table_.capacity(); ++i) {
    SocketSlot& slot = table_.at(i);
    if (slot.id.load(std::memory_order_relaxed) == 0) continue;
    slot.user_closed = false;
    drive_release(i);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (table_.in_use() > 0 && std::chrono::steady_clock::now() < deadline) {
    drive_commands();
    backend_->poll(10, *this);
  }
}

void NetService::add_stats(core::RuntimeStats& stats) const {
  auto& v = stats.values;
  v["net_accepts"] += accepts_.get();
  v["net_connects"] += connects_.get();
  v["net_bytes_in"] += bytes_in_.get();
  v["net_bytes_out"] += bytes_out_.get();
  v["net_direct_writes"] += direct_writes_.get();
  v["net_queued_writes"] += queued_writes_.get();
  v["net_command_sends"] += command_sends_.get();
  v["net_dead_sends"] += dead_sends_.get();
  v["net_nomemory"] += nomemory_.get();
  v["net_emfile"] += emfile_.get();
  v["net_accept_errors"] += accept_errors_.get();
  v["net_resets"] += resets_.get();
  v["net_errors"] += errors_.get();
  v["net_eofs"] += eofs_.get();
  v["net_table_full"] += table_full_.get();
  v["net_wakeups"] += wakeups_.get();
  v["net_commands"] += commands_applied_.get();
  v["net_dropped_bytes"] += dropped_bytes_.get();
  v["net_dropped_reads"] += dropped_reads_.get();
  v["net_sockets_open"] += table_.in_use();
  const BackendCounters& b = backend_->counters();
  v["net_polls"] += b.polls.get();
  v["net_syscalls"] += b.syscalls.get();
  v["net_events"] += b.events.get();
  v["net_enobufs"] += b.enobufs.get();
  v["net_rearms"] += b.rearms.get();
  v["net_accept_pauses"] += b.accept_pauses.get();
  v["net_setup_fallbacks"] += b.setup_fallbacks.get();
}

// ---- SocketApi (any thread) -------------------------------------------------

void NetService::push_command(std::unique_ptr<Command> command) noexcept {
  commands_.push(command.release());
  if (commands_.take_sleeper()) {
    wakeups_.add();
    backend_->wake();
  }
}

SocketId NetService::listen(core::ActorId owner, std::string_view host, uint16_t port, int* error) noexcept {
  int dummy = 0;
  int& err = error ? *error : dummy;
  err = 0;
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!accepting_.load(std::memory_order_acquire)) { err = ESHUTDOWN; return {}; }
  if (!parse_address(host, port, addr, len)) { err = EINVAL; return {}; }
  UniqueFd fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) { err = errno; return {}; }
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    err = errno;
    return {};
  }
  sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  uint16_t bound_port = port;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0)
    bound_port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                  : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) { err = ENOMEM; return {}; }
  const SocketId id = table_.alloc(fd.get(), SlotState::kListening, owner);
  if (!id.valid()) { err = EMFILE; table_full_.add(); return {}; }
  fd.release();  // the slot owns it now
  table_.at(SocketTable::index_of(id)).port.store(bound_port, std::memory_order_relaxed);
  command->kind = CommandKind::kListen;
  command->socket = id;
  push_command(std::move(command));
  return id;
}

uint16_t NetService::bound_port(SocketId listener) const noexcept {
  const SocketSlot* slot = table_.find(listener);
  return slot ? slot->port.load(std::memory_order_relaxed) : 0;
}

SocketId NetService::connect(core::ActorId owner, std::string_view host, uint16_t port, int* error) noexcept {
  int dummy = 0;
  int& err = error ? *error : dummy;
  err = 0;
  if (!accepting_.load(std::memory_order_acquire)) { err = ESHUTDOWN; return {}; }
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) { err = ENOMEM; return {}; }
  if (!parse_address(host, port, command->addr, command->addr_len)) { err = EINVAL; return {}; }
  UniqueFd fd(::socket(command->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) { err = errno; return {}; }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const SocketId id = table_.alloc(fd.get(), SlotState::kConnecting, owner);
  if (!id.valid()) { err = EMFILE; table_full_.add(); return {}; }
  fd.release();
  command->kind = CommandKind::kConnect;
  command->socket = id;
  push_command(std::move(command));
  return id;
}

void NetService::start(SocketId socket, core::ActorId owner) noexcept {
  if (table_.find(socket) == nullptr) { dead_sends_.add(); return; }
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) return;
  command->kind = CommandKind::kStart;
  command->socket = socket;
  command->owner = owner;
  push_command(std::move(command));
}

// skynet's send policy (when direct writes are on; see NetOptions): write on
// the caller's thread when nothing is queued
// before these bytes (queue empty, no pending kSend command, the net thread
// not owning the queue) and the slot's lock is free; a partial write queues
// the rest and hands the queue to the net thread. With the lock taken the
// bytes join the queue; with the lock busy they go to the net thread as a
// kSend command, so a worker never waits behind another's syscall.
SocketStatus NetService::send(SocketId socket, std::span<const std::byte> bytes) noexcept {
  SocketSlot* slot = table_.find(socket);
  // acquire: pairs with the release store in close()/shutdown_write().
  if (slot == nullptr || slot->write_closed.load(std::memory_order_acquire)) {
    dead_sends_.add();
    return SocketStatus::kDead;
  }
  if (bytes.empty()) return SocketStatus::kOk;
  // acquire: pairs with the release decrement in apply_send().
  if (slot->pending_sends.load(std::memory_order_acquire) == 0 && slot->lock.try_lock()) {
    if (slot->id.load(std::memory_order_relaxed) != socket.value() || slot->broken ||
        slot->state == SlotState::kListening || slot->state == SlotState::kReleasing ||
        slot->state == SlotState::kFree || slot->state == SlotState::kClosing) {
      slot->lock.unlock();
      dead_sends_.add();
      return SocketStatus::kDead;
    }
    std::size_t done = 0;
    if (direct_writes_ok_ && slot->queue.empty() && !slot->net_writing && writable_by_worker(slot->state)) {
      const ssize_t n = ::send(slot->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n == static_cast<ssize_t>(bytes.size())) {
        slot->lock.unlock();
        direct_writes_.add();
        bytes_out_.add(bytes.size());
        return SocketStatus::kOk;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        slot->broken = true;
        slot->lock.unlock();
        dead_sends_.add();
        auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
        if (command) {
          command->kind = CommandKind::kFail;
          command->socket = socket;
          command->error = err;
          push_command(std::move(command));
        }
        return SocketStatus::kDead;
      }
      done = n > 0 ? static_cast<std::size_t>(n) : 0;
      bytes_out_.add(done);
      direct_writes_.add();
    } else if (slot->queued_bytes + bytes.size() > options_.max_queued_bytes) {
      slot->lock.unlock();
      nomemory_.add();
      return SocketStatus::kNoMemory;
    }
    Chunk chunk = copy_chunk(bytes.subspan(done));
    if (!chunk.data) {
      slot->lock.unlock();
      nomemory_.add();
      return SocketStatus::kNoMemory;  // bytes before `done` were written; the stream is cut
    }
    slot->queued_bytes += chunk.size;
    slot->queue.push_back(std::move(chunk));
    const bool hand_over = done > 0 || (!slot->net_writing && writable_by_worker(slot->state));
    if (hand_over) slot->net_writing = true;
    slot->lock.unlock();
    queued_writes_.add();
    if (hand_over) {
      auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
      if (command) {  // without memory the queue waits for the next command that kicks it
        command->kind = CommandKind::kFlush;
        command->socket = socket;
        push_command(std::move(command));
      }
    }
    return SocketStatus::kOk;
  }
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (command) command->chunk = copy_chunk(bytes);
  if (!command || !command->chunk.data) {
    nomemory_.add();
    return SocketStatus::kNoMemory;
  }
  command->kind = CommandKind::kSend;
  command->socket = socket;
  // relaxed: the push below publishes the command; a later send of the same
  // actor happens after this increment and so reads it (or a later value).
  slot->pending_sends.fetch_add(1, std::memory_order_relaxed);
  command_sends_.add();
  push_command(std::move(command));
  return SocketStatus::kOk;
}

void NetService::close(SocketId socket) noexcept {
  SocketSlot* slot = table_.find(socket);
  if (slot == nullptr) { dead_sends_.add(); return; }
  slot->write_closed.store(true, std::memory_order_release);  // pairs with the acquire in send()
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) return;
  command->kind = CommandKind::kClose;
  command->socket = socket;
  push_command(std::move(command));
}

void NetService::shutdown_write(SocketId socket) noexcept {
  SocketSlot* slot = table_.find(socket);
  if (slot == nullptr) { dead_sends_.add(); return; }
  slot->write_closed.store(true, std::memory_order_release);  // pairs with the acquire in send()
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) return;
  command->kind = CommandKind::kShutdown;
  command->socket = socket;
  push_command(std::move(command));
}

// ---- net thread: commands -----------------------------------------------------

bool NetService::drive_commands() noexcept {
  bool any = false;
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
  if (command.kind == CommandKind::kSend) return apply_send(command);
  SocketSlot* slot = table_.find(command.socket);
  if (slot == nullptr) return;  // closed meanwhile: nothing to do
  switch (command.kind) {
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
    case CommandKind::kSend:
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
  if (slot.id.load(std::memory_order_relaxed) == command.socket.value() && !slot.broken &&
      (writable_by_worker(slot.state) || slot.state == SlotState::kConnecting ||
       slot.state == SlotState::kClosing)) {
    slot.queued_bytes += command.chunk.size;
    slot.queue.push_back(std::move(command.chunk));
    appended = true;
  }
  slot.lock.unlock();
  if (appended) {
    queued_writes_.add();
    drive_kick(index);
  } else {
    dead_sends_.add();
    dropped_bytes_.add(command.chunk.size);
  }
}

// Moves the slot's writing on: sends the queue's head if nothing is in
// flight, else (queue drained) releases a closing socket or applies a
// pending shutdown_write.
void NetService::drive_kick(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  if (slot.send_in_flight || slot.connecting) return;
  const std::byte* data = nullptr;
  std::size_t size = 0;
  bool release = false, shut = false;
  slot.lock.lock();
  const SlotState state = slot.state;
  if (state == SlotState::kFree || state == SlotState::kReleasing || state == SlotState::kListening) {
    slot.lock.unlock();
    return;
  }
  if (!slot.queue.empty() && !slot.broken) {
    slot.net_writing = true;
    const Chunk& head = slot.queue.front();
    data = head.data.get() + head.offset;
    size = head.size - head.offset;
  } else {
    slot.net_writing = false;
    release = state == SlotState::kClosing;
    shut = !release && !slot.shut_done && slot.write_closed.load(std::memory_order_relaxed);
  }
  slot.lock.unlock();
  if (data != nullptr) {
    slot.send_in_flight = true;
    backend_->send(index, data, size);
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

void NetService::on_data(uint32_t index, std::span<const std::byte> bytes) noexcept {
  SocketSlot& slot = table_.at(index);
  bytes_in_.add(bytes.size());
  if (slot.state != SlotState::kOpen || stopping_.load(std::memory_order_relaxed)) {
    dropped_reads_.add();
    return;
  }
  try {
    core::Message msg(core::kTypeSocketData, slot.id.load(std::memory_order_relaxed), bytes.data(), bytes.size());
    msg.target = core::ActorId::from_value(slot.owner.load(std::memory_order_relaxed));
    runtime_.send(std::move(msg), -1);
  } catch (const std::bad_alloc&) {
    dropped_reads_.add();
  }
}

void NetService::on_eof(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  eofs_.add();
  if (slot.state != SlotState::kOpen) return;
  deliver_event(index, SocketEventKind::kEof, SocketId{}, 0);
}

void NetService::on_error(uint32_t index, int error) noexcept {
  SocketSlot& slot = table_.at(index);
  if (slot.state == SlotState::kReleasing || slot.state == SlotState::kFree) return;
  if (error == ECONNRESET || error == EPIPE) resets_.add(); else errors_.add();
  slot.lock.lock();
  slot.broken = true;
  slot.lock.unlock();
  if (!slot.user_closed) deliver_event(index, SocketEventKind::kError, SocketId{}, error);
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
  slot.lock.lock();
  if (!slot.queue.empty()) {
    Chunk& head = slot.queue.front();
    head.offset += bytes;
    if (head.offset >= head.size) {
      slot.queued_bytes -= head.size;
      slot.queue.pop_front();
    }
  }
  slot.lock.unlock();
  drive_kick(index);
}

void NetService::on_released(uint32_t index) noexcept {
  SocketSlot& slot = table_.at(index);
  const core::ActorId owner = core::ActorId::from_value(slot.owner.load(std::memory_order_relaxed));
  const SocketId id = SocketId::from_value(slot.id.load(std::memory_order_relaxed));
  const bool notify = slot.user_closed;
  dropped_bytes_.add(table_.free(index));
  if (notify) deliver_event(owner, id, SocketEventKind::kClosed, SocketId{}, 0);
}

void NetService::on_wake() noexcept {}

}  // namespace actorlab::io
