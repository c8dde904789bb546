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
// Limits (net_limits.cpp, knobs in NetOptions):
//   read      each data message is charged to its socket and its payload
//             hooked (a copy) or adopted (uring, --zero-copy-reads: the
//             provided buffer itself): past read_budget the socket stops
//             reading until the owner frees enough messages (read_credit.hpp);
//   write     send() refuses (kNoMemory) what would put a socket's queued
//             plus pending-command bytes past send_limit, or all sockets'
//             queued bytes (send_total_) past send_budget; a partial direct
//             write queues its rest even past the budget (one message per
//             socket at most, since the next send finds a queue);
//   timeouts  a closing socket still flushing send_timeout after close()
//             is released; a send with no progress for send_timeout fails
//             the socket (kError ETIMEDOUT unless close() was asked). The
//             driver sweeps the table every send_timeout / 4 (1 ms .. 1 s);
//   closing   a closing socket's input is read and discarded up to
//             read_budget bytes (so a short tail does not turn our close
//             into a reset), then reading stops for good.
// Errors never crash: each becomes an event to the owner or a counter.
// Drivers: with --net=thread a dedicated net thread runs run(); with
// --net=worker there is no net thread: the service is the runtime's
// core::IdleDriver, and a parked worker holding the driver token runs one
// round (commands, then a blocking poll) in block(), and a busy worker runs
// a non-blocking round (commands, then a zero-timeout poll) in poll() every
// Config::event_interval turns, under the same token. The token (a
// compare-exchange, acquire; release in release()) orders one driver's plain
// writes before the next driver's reads. A parking worker that finds it
// held by a poll() waits for that round and then blocks in the backend
// itself (try_acquire): a worker sleeps on its futex only while another
// waits in the backend.
// --trace: the net thread records its batches (poll_backend) on a "net" track.
// Threads: SocketApi methods from any thread; BackendSink callbacks and
// everything named drive_* on the driver only (the net thread, or the
// worker holding the token).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "core/actor.hpp"
#include "core/counters.hpp"
#include "core/idle.hpp"
#include "core/services.hpp"
#include "core/trace.hpp"
#include "io/backend.hpp"
#include "io/command_queue.hpp"
#include "io/net.hpp"
#include "io/read_credit.hpp"
#include "io/socket_table.hpp"

namespace actorlab::io {

// The steady clock in ns (send timeouts).
inline int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
  // --trace: a "net" track for the net thread's batches (none with --net=worker).
  void attach_trace(core::TraceSession& session) override;

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

  // Test hooks (set before start()): close()/shutdown_write() call the hook
  // between their lookup and the locked id check (to widen a race with the
  // slot's reuse); the table, to preset generations.
  void set_close_hook_for_test(std::function<void()> hook) { close_hook_ = std::move(hook); }
  SocketTable& table_for_test() noexcept { return table_; }

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
  int poll_backend(int timeout_ms) noexcept;  // one backend poll, recorded under --trace
  bool drive_commands() noexcept;  // true if any was applied
  void apply(Command& command) noexcept;
  void apply_send(Command& command) noexcept;
  void drive_kick(uint32_t index) noexcept;
  void drive_release(uint32_t index) noexcept;
  void drive_close_all() noexcept;
  void deliver_event(core::ActorId owner, core::SocketId socket, core::SocketEventKind kind,
                     core::SocketId other, int error) noexcept;
  void deliver_event(uint32_t index, core::SocketEventKind kind, core::SocketId other, int error) noexcept;

  // Limits (net_limits.cpp).
  bool work_pending() noexcept;     // commands or read resumes wait
  int wait_ms() const noexcept;     // the backend poll's timeout when idle (-1: none)
  bool drive_resumes() noexcept;    // true if any was applied
  void drive_pause(uint32_t index) noexcept;
  void drive_sweep() noexcept;      // send timeouts, every sweep_ns_
  bool reserve_send(std::size_t bytes) noexcept;   // send budget; false: refused
  void unreserve_send(std::size_t bytes) noexcept;

  // BackendSink
  void on_accept(uint32_t listener, int fd) noexcept override;
  void on_accept_error(uint32_t listener, int error) noexcept override;
  bool on_data(uint32_t slot, std::span<const std::byte> bytes, bool adoptable) noexcept override;
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
  ReadCredit read_credit_;
  AdoptedReads adopted_reads_;          // --zero-copy-reads: the owner of adopted read buffers
  bool direct_writes_ok_;                // NetOptions::direct_writes resolved for this backend
  std::atomic<bool> accepting_{true};    // SocketApi calls refused after stop() began
  std::atomic<bool> stopping_{false};    // pairs: release in stop(), acquire in run()
  core::TraceRing* trace_ = nullptr;   // --trace: set before start(); the net thread writes it
  std::jthread thread_;
  bool started_ = false;
  const bool worker_driven_;
  // --net=worker: the driver token and what its holder does: kDriverFree,
  // kDriverBlocking (a parked worker in block(), or stop() for good) or
  // kDriverPolling (a busy or searching worker's poll(): one non-blocking
  // round). compare_exchange acquire in take_driver(), store release in
  // release(): pairs hand the driver's plain state from one holder to the
  // next. try_acquire() waits out a poll() instead of failing (see there).
  static constexpr uint8_t kDriverFree = 0, kDriverBlocking = 1, kDriverPolling = 2;
  bool take_driver(uint8_t as) noexcept;
  alignas(core::kCacheLine) std::atomic<uint8_t> driver_state_{kDriverFree};
  // Bytes queued for writing on all sockets (chunks in queues and in kSend
  // commands): raised by the sender that queues, lowered by the driver when
  // a chunk is written or dropped. relaxed: a budget, not a synchronizer.
  alignas(core::kCacheLine) std::atomic<uint64_t> send_total_{0};
  std::function<void()> close_hook_;  // test hook (set before start)
  // Driver only: the next sweep for send timeouts, and the sweep period.
  int64_t next_sweep_ns_ = 0;
  int64_t sweep_ns_ = 0;
  // Driver only: drive_kick's iovecs for one gathered send (at most
  // options_.send_gather; reserved in the constructor, reused).
  std::vector<iovec> gather_;

  // Counters: workers and the net thread both bump some, so all are shared.
  core::SharedCounter accepts_, connects_, bytes_in_, bytes_out_, direct_writes_, queued_writes_,
      command_sends_, dead_sends_, emfile_, accept_errors_, resets_, errors_, eofs_, table_full_,
      wakeups_, commands_applied_, dropped_bytes_, nomemory_, dropped_reads_, send_limit_refusals_,
      send_budget_refusals_, send_timeouts_, close_timeouts_, stale_ids_, closing_read_stops_,
      worker_polls_, gathered_sends_, gathered_frames_;
};

}  // namespace actorlab::io
