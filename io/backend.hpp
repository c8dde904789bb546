// backend.hpp: the one interface both io backends (epoll, io_uring) implement.
//
// Completion style, so that io_uring need not imitate readiness: the backend
// owns the I/O on the sockets it is given and reports what happened through
// a BackendSink: a connection accepted, bytes read, EOF, an error, bytes
// written, a connect finished, an fd released. The net service (NetService)
// owns the socket table and decides what to do with each report.
//
// Sockets are named by their slot index in the socket table. A slot is not
// reused before the backend reports released(slot): the backend closes the
// fd itself, only once no operation on it is in flight (io_uring: its recv
// and its send completions have both arrived), so an fd number is never
// reused while an old completion still carries it.
//
// Threads: every call, and every sink callback, runs on the thread that
// drives the backend (the net thread, or with --net=worker the worker that
// holds the poll token); only wake() may be called from any thread.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/counters.hpp"

namespace actorlab::io {

// The most iovecs one gathered send takes (Linux's UIO_MAXIOV).
constexpr uint32_t kMaxSendGather = 1024;

// What a backend reports. Callbacks run inside Backend::poll(), in batches.
class BackendSink {
 public:
  virtual ~BackendSink() = default;
  // A listener accepted `fd` (non-blocking, close-on-exec); the sink owns it.
  virtual void on_accept(uint32_t listener, int fd) noexcept = 0;
  // Accepting failed (EMFILE, ENFILE, ENOMEM, ...). The backend paused this
  // listener and retries by itself after a short delay or when an fd of
  // another socket is released; connections wait in the kernel's backlog.
  virtual void on_accept_error(uint32_t listener, int error) noexcept = 0;
  // Bytes read; the span is valid only during the call.
  // With `adoptable` (uring, --zero-copy-reads) the sink may keep the bytes
  // past the call, in a message that adopts them (core/message.hpp), and
  // returns true: the backend then reuses that buffer only once
  // return_buffer(bytes.data()) is called. Otherwise the bytes are valid
  // only during the call (returns false).
  virtual bool on_data(uint32_t slot, std::span<const std::byte> bytes, bool adoptable) noexcept = 0;
  // The peer finished sending (EOF). Reading has stopped; writing may go on.
  virtual void on_eof(uint32_t slot) noexcept = 0;
  // Reading or writing failed (ECONNRESET, EPIPE, ...). Reading has stopped.
  virtual void on_error(uint32_t slot, int error) noexcept = 0;
  // A connect() finished: error 0 on success (reading has started then).
  virtual void on_connected(uint32_t slot, int error) noexcept = 0;
  // `bytes` of the buffer given to send() were written; the buffer is the
  // sink's again (it calls send() again for the rest, if any).
  virtual void on_sent(uint32_t slot, std::size_t bytes) noexcept = 0;
  // close(slot) finished: the fd is closed and no operation on it remains.
  virtual void on_released(uint32_t slot) noexcept = 0;
  // wake() was called (commands may wait for the driver).
  virtual void on_wake() noexcept = 0;
};

// Counters a backend keeps (written by the driving thread only).
struct BackendCounters {
  core::RelaxedCounter polls;         // poll() calls that waited or reaped (epoll_wait / io_uring_enter or peek)
  core::RelaxedCounter syscalls;      // system calls made by the backend (approximate: the ones it issues)
  core::RelaxedCounter events;        // events or completions handled
  core::RelaxedCounter enobufs;       // uring: multishot recv ended for lack of buffers
  core::RelaxedCounter rearms;        // uring: multishot recv re-armed (after ENOBUFS or a non-F_MORE end)
  core::RelaxedCounter accept_pauses; // a listener paused after an accept error
  core::RelaxedCounter setup_fallbacks; // uring: ring flag sets the kernel refused (DEFER_TASKRUN, ...)
  core::RelaxedCounter lost_reports;  // epoll: deferred reports lost to out-of-memory (the slot stays busy)
  core::RelaxedCounter adopted_reads; // uring: reads handed over in their provided buffer (no copy)
  core::RelaxedCounter buffers_returned; // uring: adopted buffers back in the ring
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const noexcept = 0;
  // Whether workers should write directly (a send() syscall on the worker)
  // when nothing is queued: yes for epoll (skynet's policy); no for uring,
  // where the net thread batches sends into its one io_uring_enter.
  virtual bool prefers_direct_writes() const noexcept { return true; }
  // Whether send_gather() writes more than its first buffer (epoll: yes);
  // the service gathers only then.
  virtual bool gathers_sends() const noexcept { return false; }

  // Starts accepting on a listening socket (the backend owns fd from now on).
  virtual void add_listener(uint32_t slot, int fd) noexcept = 0;
  // Takes a connected socket (the backend owns fd from now on): writes
  // work at once, reading waits for start_reading().
  virtual void add_connection(uint32_t slot, int fd) noexcept = 0;
  virtual void start_reading(uint32_t slot) noexcept = 0;
  // Read backpressure (io/read_credit.hpp): stop reading the slot for now
  // (epoll: EPOLLIN dropped; uring: the multishot recv cancelled, not
  // re-armed) and go on. Reads already gathered may still be reported after
  // pause_reading; a paused slot reports no EOF or error until resumed (or
  // a send finds one). Resuming a slot that is not paused does nothing.
  virtual void pause_reading(uint32_t slot) noexcept = 0;
  virtual void resume_reading(uint32_t slot) noexcept = 0;
  // Connects fd (non-blocking, owned by the backend from now on) to addr;
  // on_connected follows. Reading starts on success.
  virtual void connect(uint32_t slot, int fd, const sockaddr_storage& addr, socklen_t len) noexcept = 0;
  // Writes bytes (at most one send in flight per slot); on_sent or on_error
  // follows. The buffer must stay valid until then.
  virtual void send(uint32_t slot, const std::byte* data, std::size_t size) noexcept = 0;
  // Writes count (1 .. kMaxSendGather) buffers in order as one send: the
  // same contract as send(), on_sent reporting the bytes written from the
  // front of the sequence (maybe fewer than all: the sink sends the rest).
  // The iovec array itself may be reused once the call returns; the bytes
  // must stay valid until on_sent. This default sends the first buffer only
  // (the uring backend: one SQE per frame).
  virtual void send_gather(uint32_t slot, const iovec* iov, int count) noexcept {
    (void)count;
    send(slot, static_cast<const std::byte*>(iov[0].iov_base), iov[0].iov_len);
  }
  // Half-close (shutdown(SHUT_WR)); call only with no send in flight.
  virtual void shutdown_write(uint32_t slot) noexcept = 0;
  // Stops all I/O on the slot and closes its fd once nothing is in flight;
  // on_released follows, from a later poll(). Events already gathered for
  // the slot may still be reported before it.
  virtual void close(uint32_t slot) noexcept = 0;

  // Waits up to timeout_ms (-1: forever, 0: no wait) for events and reports
  // them in a batch. Returns the number of events handled.
  virtual int poll(int timeout_ms, BackendSink& sink) noexcept = 0;
  // Any thread: makes a blocked or the next poll() return (on_wake).
  virtual void wake() noexcept = 0;
  // Any thread, once per adopted read (see BackendSink::on_data): its
  // buffer may be reused. Only a backend that offers adoption gets calls.
  virtual void return_buffer(const std::byte* data) noexcept { (void)data; }

  const BackendCounters& counters() const noexcept { return counters_; }

 protected:
  BackendCounters counters_;
};

struct BackendOptions {
  uint32_t max_slots = 0;          // the socket table's size (slot indexes are below it)
  std::size_t read_buffer = 64 * 1024;  // epoll: bytes read per recv()
  // uring: provided-buffer ring. Guessed defaults: 8 KiB holds a 4 KiB
  // message in one buffer (a smaller one costs a CQE and a message per
  // piece); 2048 buffers cover 1,000 connections twice (the echo benchmarks:
  // size the ring for >= 2x connections). Tune with the echo bench.
  uint32_t uring_buffers = 2048;   // power of two, <= 32768
  uint32_t uring_buffer_size = 8192;
  // Reads of at least this many bytes are offered for adoption (zero-copy:
  // the message keeps the provided buffer); 0: every read is copied. At
  // most half the ring is adopted at once: past that reads are copied, so
  // actors that keep messages cannot starve every socket of buffers.
  uint32_t zero_copy_reads = 0;
  uint32_t uring_entries = 1024;   // SQ size (CQ is twice that)
  bool uring_sqpoll = false;       // IORING_SETUP_SQPOLL (a kernel thread polls the SQ)
  bool uring_single_issuer = true; // SINGLE_ISSUER|DEFER_TASKRUN: one thread drives (not with --net=worker)
};

// Throws std::runtime_error (with the errno text) if the kernel refuses.
std::unique_ptr<Backend> make_epoll_backend(const BackendOptions& options);
std::unique_ptr<Backend> make_uring_backend(const BackendOptions& options);

}  // namespace actorlab::io
