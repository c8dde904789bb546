// net_service.cpp: the socket service (see net_service.hpp for the data
// flow): lifecycle, the net thread's loop, the IdleDriver (--net=worker) and
// the SocketApi. The driver's command and event handling is net_events.cpp.
// Threads: SocketApi methods on any thread; run() on the net thread;
// block() on the worker holding the driver token.
#include "io/net_service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>
#include <string>

#include "core/affinity.hpp"
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

NetService::NetService(core::RuntimeBase& runtime, std::unique_ptr<Backend> backend, const NetOptions& options,
                       bool worker_driven)
    : runtime_(runtime),
      backend_(std::move(backend)),
      options_(options),
      table_(options.max_sockets),
      read_credit_(table_, options.read_budget, commands_, *backend_),
      adopted_reads_(read_credit_, *backend_, options.backend.uring_buffer_size),
      direct_writes_ok_(options.direct_writes < 0 ? backend_->prefers_direct_writes() : options.direct_writes != 0),
      worker_driven_(worker_driven) {
  // The sweep for send timeouts: a quarter of the timeout, 1 ms .. 1 s.
  const int64_t quarter = static_cast<int64_t>(options_.send_timeout_ns / 4);
  sweep_ns_ = quarter < 1'000'000 ? 1'000'000 : (quarter > 1'000'000'000 ? 1'000'000'000 : quarter);
  options_.send_gather =
      backend_->gathers_sends() ? std::clamp<uint32_t>(options_.send_gather, 1, kMaxSendGather) : 1;
  gather_.reserve(options_.send_gather);
}

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
  if (!worker_driven_)
    thread_ = std::jthread([this] {
      core::name_current_thread("al-net");
      run();
    });
}

void NetService::stop() noexcept {
  accepting_.store(false, std::memory_order_release);  // pairs with the acquire loads in the SocketApi
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  backend_->wake();
  if (thread_.joinable()) thread_.join();
  if (worker_driven_) {
    // Take the driver token for good (try_acquire refuses workers from now
    // on), interrupting a worker blocked in the backend, then close all here.
    while (!take_driver(kDriverBlocking)) {
      backend_->wake();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    drive_close_all();
  }
}

// ---- core::IdleDriver (--net=worker) --------------------------------------------

namespace {
// The service whose driver this thread holds now: its own interrupts are
// pointless (it returns from the backend anyway), so they are skipped.
thread_local const NetService* tl_driving = nullptr;
}  // namespace

bool NetService::take_driver(uint8_t as) noexcept {
  uint8_t expected = kDriverFree;
  return driver_state_.load(std::memory_order_relaxed) == kDriverFree &&
         driver_state_.compare_exchange_strong(expected, as, std::memory_order_acquire,  // pairs with release()
                                               std::memory_order_relaxed);
}

// A parking worker. While another worker blocks in the backend, false: this
// one sleeps on its futex, and the blocked one drives. While a busy worker's
// poll() holds the token, wait for that round to end and take it: sleeping
// on the futex instead would leave no worker waiting in the backend once the
// poller goes back to its actors, and a long turn there (an actor that waits
// for a socket to drain, say) would then starve every socket.
bool NetService::try_acquire() noexcept {
  for (uint32_t round = 1;; ++round) {
    if (stopping_.load(std::memory_order_acquire)) return false;  // pairs with the exchange in stop()
    if (take_driver(kDriverBlocking)) return true;
    if (driver_state_.load(std::memory_order_relaxed) == kDriverBlocking) return false;
    if (round % 64 == 0) std::this_thread::yield(); else core::cpu_relax();  // the poller may share our CPU
  }
}

void NetService::block() noexcept {
  tl_driving = this;
  if (drive_commands() || stopping_.load(std::memory_order_acquire)) {
    backend_->poll(0, *this);
  } else {
    commands_.set_sleeping(true);
    if (work_pending()) {
      commands_.set_sleeping(false);
      drive_commands();
      backend_->poll(0, *this);
    } else {
      backend_->poll(wait_ms(), *this);
      commands_.set_sleeping(false);
    }
  }
  drive_commands();
  tl_driving = nullptr;
}

void NetService::release() noexcept { driver_state_.store(kDriverFree, std::memory_order_release); }

// A busy (or searching) worker's round: what is ready now, never blocking.
// A worker that finds the token taken returns at once (its holder drives).
bool NetService::poll() noexcept {
  if (stopping_.load(std::memory_order_acquire) || !take_driver(kDriverPolling)) return false;
  tl_driving = this;
  drive_commands();
  backend_->poll(0, *this);
  drive_commands();
  tl_driving = nullptr;
  worker_polls_.add();
  release();
  return true;
}

void NetService::interrupt() noexcept {
  if (tl_driving == this) return;
  backend_->wake();
}

void NetService::attach_trace(core::TraceSession& session) {
  if (!worker_driven_) trace_ = session.add_track("net");
}

// A batch that handled events: a span for a non-blocking poll; after a
// blocking one an instant, as the span would mostly be the wait.
int NetService::poll_backend(int timeout_ms) noexcept {
  if (trace_ == nullptr) return backend_->poll(timeout_ms, *this);
  const uint64_t from = core::TraceRing::now();
  const int events = backend_->poll(timeout_ms, *this);
  if (events > 0 && timeout_ms == 0)
    trace_->span(core::TraceKind::kNetBatch, from, 0, static_cast<uint32_t>(events));
  else if (events > 0)
    trace_->instant(core::TraceKind::kNetBatch, 0, static_cast<uint32_t>(events));
  return events;
}

void NetService::run() noexcept {
  for (;;) {
    const bool busy = drive_commands();
    // acquire: pairs with the exchange in stop().
    if (stopping_.load(std::memory_order_acquire)) break;
    if (busy) {
      poll_backend(0);
      continue;
    }
    commands_.set_sleeping(true);
    if (work_pending() || stopping_.load(std::memory_order_acquire)) {
      commands_.set_sleeping(false);
      continue;
    }
    poll_backend(wait_ms());
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
  v["net_worker_polls"] += worker_polls_.get();
  v["net_gathered_sends"] += gathered_sends_.get();
  v["net_gathered_frames"] += gathered_frames_.get();
  v["net_sockets_open"] += table_.in_use();
  v["net_read_pauses"] += read_credit_.pauses();
  v["net_read_resumes"] += read_credit_.resumes();
  v["net_send_limit_refusals"] += send_limit_refusals_.get();
  v["net_send_budget_refusals"] += send_budget_refusals_.get();
  v["net_send_timeouts"] += send_timeouts_.get();
  v["net_close_timeouts"] += close_timeouts_.get();
  v["net_stale_ids"] += stale_ids_.get();
  v["net_closing_read_stops"] += closing_read_stops_.get();
  v["net_slots_retired"] += table_.retired();
  v["net_send_queued_bytes"] += send_total_.load(std::memory_order_relaxed);  // gauge
  uint64_t unconsumed = 0;  // gauge: read bytes (and message costs) the owners hold now
  for (uint32_t i = 0; i < table_.capacity(); ++i) {
    const SocketSlot& slot = table_.at(i);
    if (slot.id.load(std::memory_order_relaxed) != 0)
      unconsumed += slot.read_credit.load(std::memory_order_relaxed) & ReadCredit::kBytesMask;
  }
  v["net_read_unconsumed_bytes"] += unconsumed;
  const BackendCounters& b = backend_->counters();
  v["net_polls"] += b.polls.get();
  v["net_syscalls"] += b.syscalls.get();
  v["net_events"] += b.events.get();
  v["net_enobufs"] += b.enobufs.get();
  v["net_rearms"] += b.rearms.get();
  v["net_accept_pauses"] += b.accept_pauses.get();
  v["net_setup_fallbacks"] += b.setup_fallbacks.get();
  v["net_lost_reports"] += b.lost_reports.get();
  v["net_adopted_reads"] += b.adopted_reads.get();
  v["net_buffers_returned"] += b.buffers_returned.get();
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
  if (table_.find(socket) == nullptr) { stale_ids_.add(); dead_sends_.add(); return; }
  push_simple(CommandKind::kStart, socket, owner);
}

// skynet's send policy (when direct writes are on; see NetOptions): write on
// the caller's thread when nothing is queued
// before these bytes (queue empty, no pending kSend command, the net thread
// not owning the queue) and the slot's lock is free; a partial write queues
// the rest and hands the queue to the net thread. With the lock taken the
// bytes join the queue; with the lock busy they go to the net thread as a
// kSend command, so a worker never waits behind another's syscall.
// Limits (net_service.hpp "Limits"): the send limit is checked first, for
// every path; the send budget wherever bytes are queued.
SocketStatus NetService::send(SocketId socket, std::span<const std::byte> bytes) noexcept {
  // acquire: pairs with the release store in stop(). Once stop() began
  // nothing more is written (drive_close_all drops every queue), so an actor
  // that retries a refused send until there is room does not retry forever.
  if (!accepting_.load(std::memory_order_acquire)) {
    dead_sends_.add();
    return SocketStatus::kDead;
  }
  SocketSlot* slot = table_.find(socket);
  if (slot == nullptr) {
    stale_ids_.add();
    dead_sends_.add();
    return SocketStatus::kDead;
  }
  // acquire: pairs with the release store in close_writes().
  if (slot->write_closed.load(std::memory_order_acquire)) {
    dead_sends_.add();
    return SocketStatus::kDead;
  }
  if (bytes.empty()) return SocketStatus::kOk;
  // relaxed: a limit, read racily (a queue growing meanwhile passes it by
  // at most what concurrent senders to this socket add).
  if (slot->queued_bytes.load(std::memory_order_relaxed) + slot->pending_bytes.load(std::memory_order_relaxed) +
          bytes.size() >
      options_.max_queued_bytes) {
    send_limit_refusals_.add();
    nomemory_.add();
    return SocketStatus::kNoMemory;
  }
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
        slot->write_error = err;
        slot->lock.unlock();
        dead_sends_.add();
        push_simple(CommandKind::kFail, socket, {}, err);
        return SocketStatus::kDead;
      }
      done = n > 0 ? static_cast<std::size_t>(n) : 0;
      bytes_out_.add(done);
      direct_writes_.add();
      if (done == 0 && !reserve_send(bytes.size())) {  // nothing written: refused whole
        slot->lock.unlock();
        return SocketStatus::kNoMemory;
      }
      if (done > 0) send_total_.fetch_add(bytes.size() - done, std::memory_order_relaxed);  // past the budget: see above
    } else if (!reserve_send(bytes.size())) {
      slot->lock.unlock();
      return SocketStatus::kNoMemory;
    }
    Chunk chunk = copy_chunk(bytes.subspan(done));
    if (!chunk.data) {
      slot->lock.unlock();
      unreserve_send(bytes.size() - done);
      nomemory_.add();
      return SocketStatus::kNoMemory;  // bytes before `done` were written; the stream is cut
    }
    slot->queued_bytes.store(slot->queued_bytes.load(std::memory_order_relaxed) + chunk.size,
                             std::memory_order_relaxed);  // under the lock: its only writer now
    slot->queue.push_back(std::move(chunk));
    const bool hand_over = done > 0 || (!slot->net_writing && writable_by_worker(slot->state));
    if (hand_over) slot->net_writing = true;
    slot->lock.unlock();
    queued_writes_.add();
    // Without memory for the command the queue waits for the next kick.
    if (hand_over) push_simple(CommandKind::kFlush, socket);
    return SocketStatus::kOk;
  }
  if (!reserve_send(bytes.size())) return SocketStatus::kNoMemory;
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (command) command->chunk = copy_chunk(bytes);
  if (!command || !command->chunk.data) {
    unreserve_send(bytes.size());
    nomemory_.add();
    return SocketStatus::kNoMemory;
  }
  command->kind = CommandKind::kSend;
  command->socket = socket;
  // relaxed: the push below publishes the command; a later send of the same
  // actor happens after this increment and so reads it (or a later value).
  slot->pending_sends.fetch_add(1, std::memory_order_relaxed);
  slot->pending_bytes.fetch_add(bytes.size(), std::memory_order_relaxed);  // a limit only; apply_send lowers it
  command_sends_.add();
  push_command(std::move(command));
  return SocketStatus::kOk;
}

void NetService::close(SocketId socket) noexcept { close_writes(socket, CommandKind::kClose); }
void NetService::shutdown_write(SocketId socket) noexcept { close_writes(socket, CommandKind::kShutdown); }

// close() and shutdown_write(): later sends are refused at once (kDead),
// then the net thread flushes what is queued and closes or half-closes.
// The flag is set under the slot's lock after the id is checked again: the
// slot may have been freed and reused since find() (a close racing the
// socket's end), and the newer socket must not be marked.
void NetService::close_writes(SocketId socket, CommandKind kind) noexcept {
  SocketSlot* slot = table_.find(socket);
  if (slot != nullptr && close_hook_) close_hook_();
  bool current = false;
  if (slot != nullptr) {
    slot->lock.lock();
    current = slot->id.load(std::memory_order_relaxed) == socket.value();
    if (current) slot->write_closed.store(true, std::memory_order_release);  // pairs with the acquire in send()
    slot->lock.unlock();
  }
  if (!current) {
    stale_ids_.add();
    dead_sends_.add();
    return;
  }
  push_simple(kind, socket);
}

bool NetService::push_simple(CommandKind kind, SocketId socket, core::ActorId owner, int error) noexcept {
  auto command = std::unique_ptr<Command>(new (std::nothrow) Command);
  if (!command) return false;
  command->kind = kind;
  command->socket = socket;
  command->owner = owner;
  command->error = error;
  push_command(std::move(command));
  return true;
}

}  // namespace actorlab::io
