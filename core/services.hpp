// services.hpp: what the runtime offers actors besides messaging: timeouts
// and sockets, as abstract interfaces.
//
// The core names no backend (DESIGN "Layers"): the timer service lives in
// core/ (timer wheel + timer thread), the socket service in io/ (net thread
// + epoll or io_uring backend). Both reach actors only as messages sent
// through RuntimeBase::send(msg, -1), the same path any outside thread uses,
// so a due timeout or a socket event wakes a parked worker like any send.
// Implementations are thread-safe: any worker calls them concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/actor_id.hpp"
#include "core/counters.hpp"
#include "core/message.hpp"

namespace actorlab::core {

class TraceSession;  // core/trace.hpp

// A thread-owning service an Engine runs beside its workers: started after
// the workers, stopped before them (so no event arrives at a stopped runtime).
class Service {
 public:
  virtual ~Service() = default;
  virtual void start() = 0;
  virtual void stop() noexcept = 0;  // idempotent; joins the service's threads
  // Adds the service's counters (dropped timeouts, socket errors, ...).
  virtual void add_stats(RuntimeStats&) const {}
  // --trace: before start(), adds the service thread's track to `session`
  // (core/trace.hpp); a service without a thread of its own adds none.
  virtual void attach_trace(TraceSession&) {}
};

// --- timers ------------------------------------------------------------------
// A due timeout arrives as a message of type kTypeTimeout, session = the
// session given to add(), source = kNoActor, no payload.
class TimerApi {
 public:
  virtual ~TimerApi() = default;
  // Never fires before `delay` has passed. False if the service is stopping
  // (the timeout is not scheduled). An owner that exited before the timeout
  // is due gets nothing: the timeout is dropped and counted.
  virtual bool add(ActorId owner, std::chrono::nanoseconds delay, uint32_t session) noexcept = 0;
  // Cancels owner's pending timeouts with this session. Asynchronous: a
  // timeout already due may still arrive; the caller must tolerate one.
  virtual void cancel(ActorId owner, uint32_t session) noexcept = 0;
};

// --- sockets -----------------------------------------------------------------
// Actors see socket ids, never raw fds: 64 bits, the slot index in the low
// bits and the slot's generation above (0 = none). io/socket_table.hpp says
// why a stale id never matches a newer socket. Socket messages carry the
// whole id in Message::session (64 bits).
class SocketId {
 public:
  constexpr SocketId() noexcept = default;
  static constexpr SocketId from_value(uint64_t v) noexcept { SocketId s; s.value_ = v; return s; }
  constexpr uint64_t value() const noexcept { return value_; }
  constexpr bool valid() const noexcept { return value_ != 0; }
  friend constexpr bool operator==(SocketId a, SocketId b) noexcept = default;

 private:
  uint64_t value_ = 0;
};

// Socket events reach the owning actor as messages:
//   kTypeSocketData:  session = socket id value, payload = the bytes read.
//   kTypeSocketEvent: session = socket id value, payload = SocketEvent.
enum SocketMessageType : uint32_t {
  kTypeSocketEvent = 5,
  kTypeSocketData = 6,
};

enum class SocketEventKind : uint32_t {
  kAccepted = 1,   // on the listener's owner: `other` is the new connection (not reading until start())
  kConnected = 2,  // an outgoing connect() succeeded; the socket reads from now on
  kClosed = 3,     // close() finished (queued writes flushed, fd closed): the id is dead now
  kError = 4,      // reset, refused, ...: `error` is an errno value; the id is dead now (no kClosed follows
                   // unless close() was asked before)
  kWarning = 5,    // still open: `error` says what (e.g. EMFILE on a listener: accepting resumes by itself)
  kEof = 6,        // the peer finished sending: no more data; still writable; the owner calls close()
};
struct SocketEvent {  // 32 bytes: fits a message inline
  SocketEventKind kind;
  SocketId socket;
  SocketId other;  // kAccepted: the new connection
  int32_t error;   // errno value for kError / kWarning, else 0
};

enum class SocketStatus {
  kOk,        // accepted: written directly or queued for the net thread
  kDead,      // unknown, stale, closed or broken socket id, or the service stopping: counted, nothing sent
  kNoMemory,  // the socket's send limit or the service's send budget is reached: nothing queued
};

class SocketApi {
 public:
  virtual ~SocketApi() = default;
  // Listens on host:port (port 0 picks a free port; bound_port() tells which).
  // Accepted connections reach `owner` as kAccepted. Invalid SocketId on
  // failure, with errno-style reason in *error.
  virtual SocketId listen(ActorId owner, std::string_view host, uint16_t port, int* error) noexcept = 0;
  virtual uint16_t bound_port(SocketId listener) const noexcept = 0;
  // Starts a non-blocking connect (numeric host or "localhost"); kConnected
  // or kError follows, and data goes to `owner` without a start().
  virtual SocketId connect(ActorId owner, std::string_view host, uint16_t port, int* error) noexcept = 0;
  // Hands the socket to `owner` and starts reading: data and events go to
  // `owner` from now on (skynet's socket.start). On an open socket it only
  // changes the owner.
  virtual void start(SocketId socket, ActorId owner) noexcept = 0;
  // Writes directly on the caller's thread when the send queue is empty and
  // its lock is free (skynet's policy; the epoll default, off by default on
  // uring, where the net thread batches sends), otherwise queues the bytes
  // for the net thread. Order is kept per socket.
  virtual SocketStatus send(SocketId socket, std::span<const std::byte> bytes) noexcept = 0;
  // Closes after queued writes are flushed; kClosed follows to the owner.
  // send() after close() returns kDead.
  virtual void close(SocketId socket) noexcept = 0;
  // Half-close: no more writes from us (after queued ones), reading goes on;
  // send() after it returns kDead.
  virtual void shutdown_write(SocketId socket) noexcept = 0;
};

}  // namespace actorlab::core
