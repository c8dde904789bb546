// net_service.hpp: NetService, the socket service: the socket table, the
// command queue from workers, and the net thread that drives one Backend.
//
// Data flow (skynet's shape):
//   reads     the backend reads on the net thread; each read becomes a
//             kTypeSocketData message (session = socket id) sent to the
//             socket's owner through RuntimeBase::send(msg, -1);
//   writes    SocketApi::send on a worker writes directly (one send()
//             syscall on the worker) when the socket's send queue is empty,
//             no queued send command is pending for it and its try-lock
//             succeeds; otherwise the bytes are appended to the queue (lock
//             taken) or, if the lock is busy, handed to the net thread as a
//             kSend command. The net thread writes queued bytes as the
//             backend completes earlier writes. Order is kept per socket
//             (socket_table.hpp: pending_sends).
//   commands  listen/connect create the fd on the caller's thread (so the id
//             and bound port are known at once) and tell the net thread
//             through the CommandQueue; start, close, shutdown and queued
//             sends are commands too. A push wakes a sleeping net thread
//             through Backend::wake() (an eventfd write), only when it
//             announced sleep (command_queue.hpp: Dekker).
//   events    kAccepted, kConnected, kEof, kError, kWarning, kClosed as
//             kTypeSocketEvent messages (core/services.hpp).
// Errors never crash: each becomes an event to the owner or a counter.
// Drivers: with --net=thread a dedicated net thread runs run(); with
// --net=worker there is no net thread: the service is the runtime's
// core::IdleDriver, and a parked worker holding the driver token runs one
// round (commands, then a blocking poll) in block(), and a busy worker runs
// a non-blocking round (commands, then a zero-timeout poll) in poll() every
// Config::event_interval turns, under the same token. The token (an atomic
// exchange, acquire; release in release()) orders one driver's plain
// writes before the next driver's reads.
// Threads: SocketApi methods from any thread; BackendSink callbacks and
// everything named drive_* on the driver only (the net thread, or the
// worker holding the token).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <thread>

#include "core/actor.hpp"
#include "core/counters.hpp"
#include "core/idle.hpp"
#include "core/services.hpp"
#include "io/backend.hpp"
#include "io/command_queue.hpp"
#include "io/net.hpp"
#include "io/socket_table.hpp"

namespace actorlab::io {

class NetService final : public core::Service,
                         public core::SocketApi,
                         public core::IdleDriver,
                         private BackendSink {
 public:
  // worker_driven: --net=worker (no net thread; attach as the idle driver).
  NetService(core::RuntimeBase& runtime, std::unique_ptr<Backend> backend, const NetOptions& options,
             bool worker_driven = false);
  ~NetService() override;

  // core::Service
  void start() override;
  void stop() noexcept override;
  void add_stats(core::RuntimeStats& stats) const override;

  // core::SocketApi
  core::SocketId listen(core::ActorId owner, std::string_view host, uint16_t port, int* error) noexcept override;
  uint16_t bound_port(core::SocketId listener) const noexcept override;
  core::SocketId connect(core::ActorId owner, std::string_view host, uint16_t port, int* error) noexcept override;
  void start(core::SocketId socket, core::ActorId owner) noexcept override;
  core::SocketStatus send(core::SocketId socket, std::span<const std::byte> bytes) noexcept override;
  void close(core::SocketId socket) noexcept override;
  void shutdown_write(core::SocketId socket) noexcept override;

  // core::IdleDriver (--net=worker)
  bool try_acquire() noexcept override;
  void block() noexcept override;
  void release() noexcept override;
  void interrupt() noexcept override;
  bool poll() noexcept override;

 private:
  enum class CommandKind : uint8_t { kListen, kConnect, kStart, kSend, kFlush, kClose, kShutdown, kFail };
  struct Command : CommandLink {
    CommandKind kind;
    core::SocketId socket;
    core::ActorId owner;
    int error = 0;
    Chunk chunk;                 // kSend
    sockaddr_storage addr{};     // kConnect
    socklen_t addr_len = 0;
  };

  void push_command(std::unique_ptr<Command> command) noexcept;
  // A command without payload; false if out of memory (nothing pushed).
  bool push_simple(CommandKind kind, core::SocketId socket, core::ActorId owner = {}, int error = 0) noexcept;
  void close_writes(core::SocketId socket, CommandKind kind) noexcept;
  bool wake_needed() noexcept;

  // Net thread.
  void run() noexcept;
  bool drive_commands() noexcept;  // true if any was applied
  void apply(Command& command) noexcept;
  void apply_send(Command& command) noexcept;
  void drive_kick(uint32_t index) noexcept;
  void drive_release(uint32_t index) noexcept;
  void drive_close_all() noexcept;
  void deliver_event(core::ActorId owner, core::SocketId socket, core::SocketEventKind kind,
                     core::SocketId other, int error) noexcept;
  void deliver_event(uint32_t index, core::SocketEventKind kind, core::SocketId other, int error) noexcept;

  // BackendSink
  void on_accept(uint32_t listener, int fd) noexcept override;
  void on_accept_error(uint32_t listener, int error) noexcept override;
  void on_data(uint32_t slot, std::span<const std::byte> bytes) noexcept override;
  void on_eof(uint32_t slot) noexcept override;
  void on_error(uint32_t slot, int error) noexcept override;
  void on_connected(uint32_t slot, int error) noexcept override;
  void on_sent(uint32_t slot, std::size_t bytes) noexcept override;
  void on_released(uint32_t slot) noexcept override;
  void on_wake() noexcept override;

  core::RuntimeBase& runtime_;
  std::unique_ptr<Backend> backend_;
  NetOptions options_;
  SocketTable table_;
  CommandQueue commands_;
  bool direct_writes_ok_;                // NetOptions::direct_writes resolved for this backend
  std::atomic<bool> accepting_{true};    // SocketApi calls refused after stop() began
  std::atomic<bool> stopping_{false};    // pairs: release in stop(), acquire in run()
  std::jthread thread_;
  bool started_ = false;
  const bool worker_driven_;
  // --net=worker: the driver token (true while a worker drives). exchange
  // acquire in try_acquire(), store release in release(): pairs hand the
  // driver's plain state from one worker to the next.
  alignas(core::kCacheLine) std::atomic<bool> driver_busy_{false};

  // Counters: workers and the net thread both bump some, so all are shared.
  core::SharedCounter accepts_, connects_, bytes_in_, bytes_out_, direct_writes_, queued_writes_,
      command_sends_, dead_sends_, emfile_, accept_errors_, resets_, errors_, eofs_, table_full_,
      wakeups_, commands_applied_, dropped_bytes_, nomemory_, dropped_reads_, worker_polls_;
};

}  // namespace actorlab::io
