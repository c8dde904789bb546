// uring_backend.cpp: the io_uring Backend (liburing 2.3 on Debian 12).
//
// What it uses, rather than imitating epoll:
//   - multishot accept per listener, multishot recv per connection with a
//     provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring():
//     the ring is mmap'd here and registered with io_uring_register_buf_ring);
//   - batched submission: operations are prepared as SQEs and submitted by
//     the one io_uring_enter per poll() that also waits for completions;
//     completions are reaped from the CQ ring without a syscall per event;
//   - IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN: the driving thread owns
//     the ring (created disabled and enabled by that thread on first use);
//     if the kernel refuses, COOP_TASKRUN, then plain flags (counted in
//     stats as net_setup_fallbacks). --uring-sqpoll (Config::uring_sqpoll) asks
//     for SQPOLL instead (a kernel thread polls the SQ; DEFER_TASKRUN excluded).
// The measured facts of the network benchmarks (scripts/netperf) it follows:
//   - ENOBUFS ends a multishot recv without IORING_CQE_F_MORE: the
//     connection waits in starved_ and is re-armed only when buffers come
//     back, and only as many connections per batch as buffers came back
//     (re-arming all at once stampedes). A read is copied into a message
//     and its buffer returned in the same batch, unless it is adopted.
//   - zero-copy reads (BackendOptions::zero_copy_reads): a read of at least
//     that many bytes is offered to the sink for adoption; an adopted
//     buffer stays out of the ring until return_buffer(), from whichever
//     thread releases the message. Returns go on a ReturnStack of buffer
//     ids (io/return_stack.hpp), taken whole by the driver in
//     take_returns(): the reader's last use of the bytes happens before
//     the kernel may fill the buffer again.
//     At most half the ring is adopted at once (reads past that are
//     copied), so actors that keep messages cannot starve every socket;
//     --read-budget charges an adopted read its whole buffer.
//     A driver about to block while connections starve and buffers are out
//     announces it (wants_returns_); a return that sees it wakes the
//     driver. Dekker, seq_cst: the driver stores wants_returns_ then loads
//     the stack's head (maybe_nonempty); a returner pushes (a seq_cst CAS)
//     then loads wants_returns_.
//   - an fd is closed only after every operation on it has completed (recv,
//     send, connect, accept cancelled or finished), so a reused fd number
//     never meets an old completion.
// Read backpressure (pause_reading) cancels a connection's multishot recv;
// the cancel is submitted at once; CQEs the kernel produced before it are
// still reported (a batch's worth at most past the pause).
// Accept errors (EMFILE, ...) end the multishot accept: the listener is
// re-armed after 10 ms or as soon as another fd is closed (accept_retry.hpp).
// Threads: the driving thread only, except wake() (an eventfd write; a read
// of the eventfd stays armed in the ring) and return_buffer() (any thread).
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "core/cache_line.hpp"
#include "io/accept_retry.hpp"
#include "io/backend.hpp"
#include "io/fd.hpp"
#include "io/return_stack.hpp"

namespace actorlab::io {
namespace {

constexpr uint16_t kBufferGroup = 1;

enum class Op : uint8_t { kAccept = 1, kRecv, kSend, kConnect, kWake, kCancel };

uint64_t encode(Op op, uint32_t slot) noexcept { return (uint64_t{static_cast<uint8_t>(op)} << 56) | slot; }
Op op_of(uint64_t user_data) noexcept { return static_cast<Op>(user_data >> 56); }
uint32_t slot_of(uint64_t user_data) noexcept { return static_cast<uint32_t>(user_data & 0xffffffffu); }

// An anonymous mapping, unmapped on destruction.
class Mapping {
 public:
  Mapping() = default;
  explicit Mapping(std::size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    data_ = p;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  void* get() const noexcept { return data_; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

class UringBackend final : public Backend {
 public:
  explicit UringBackend(const BackendOptions& options)
      : slots_(options.max_slots),
        buffer_count_(options.uring_buffers),
        buffer_size_(options.uring_buffer_size),
        buffers_(static_cast<std::size_t>(options.uring_buffers) * options.uring_buffer_size),
        buf_ring_(static_cast<std::size_t>(options.uring_buffers) * sizeof(io_uring_buf)),
        zero_copy_min_(options.zero_copy_reads),
        returns_(options.uring_buffers) {
    if (buffer_count_ == 0 || (buffer_count_ & (buffer_count_ - 1)) != 0 || buffer_count_ > 32768)
      throw std::invalid_argument("uring: buffer count must be a power of two in [1, 32768]");
    setup_ring(options);
    wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd_.valid()) {
      io_uring_queue_exit(&ring_);
      throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    // The provided-buffer ring: registered now (allowed before the ring is
    // enabled, from any thread), filled with every buffer.
    br_ = static_cast<io_uring_buf_ring*>(buf_ring_.get());
    io_uring_buf_ring_init(br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br_);
    reg.ring_entries = buffer_count_;
    reg.bgid = kBufferGroup;
    if (const int r = io_uring_register_buf_ring(&ring_, &reg, 0); r != 0) {
      io_uring_queue_exit(&ring_);
      throw std::system_error(-r, std::generic_category(), "io_uring_register_buf_ring");
    }
    for (uint32_t i = 0; i < buffer_count_; ++i)
      io_uring_buf_ring_add(br_, buffer(i), buffer_size_, static_cast<uint16_t>(i),
                            io_uring_buf_ring_mask(buffer_count_), static_cast<int>(i));
    io_uring_buf_ring_advance(br_, static_cast<int>(buffer_count_));
    available_ = buffer_count_;
  }

  ~UringBackend() override {
    io_uring_queue_exit(&ring_);  // cancels what is still in flight
    for (Slot& s : slots_)
      if (s.kind != Kind::kNone) UniqueFd(s.fd).reset();
  }

  const char* name() const noexcept override { return "uring"; }

  void add_listener(uint32_t slot, int fd) noexcept override {
    enable();
    reset_slot(slot, fd, Kind::kListener);
    arm_accept(slot);
  }
  void add_connection(uint32_t slot, int fd) noexcept override {
    enable();
    reset_slot(slot, fd, Kind::kConnection);
  }
  void start_reading(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    s.reading = true;
    if (!s.recv_armed && !s.closing && !s.read_paused) arm_recv(slot);
  }
  // Cancels the multishot recv (its last CQE, -ECANCELED without F_MORE,
  // is not an error); completions already queued are still reported.
  void pause_reading(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind != Kind::kConnection || s.closing || s.read_paused) return;
    s.read_paused = true;
    if (s.starved) {
      starved_.erase(std::remove(starved_.begin(), starved_.end(), slot), starved_.end());
      s.starved = false;
    }
    if (s.recv_armed) {
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_cancel64(sqe, encode(Op::kRecv, slot), 0);
      io_uring_sqe_set_data64(sqe, encode(Op::kCancel, slot));
      // Submitted now, not with the next poll: until the kernel sees the
      // cancel it fills provided buffers for this socket (with --net=worker
      // the next poll may be far off; all 16 MiB of buffers could fill).
      counters_.syscalls.add();
      io_uring_submit(&ring_);
    }
  }
  void resume_reading(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind != Kind::kConnection || !s.read_paused) return;
    s.read_paused = false;
    // Still armed: the cancel has not completed; its CQE re-arms then.
    if (s.reading && !s.recv_armed && !s.closing) arm_recv(slot);
  }

  void connect(uint32_t slot, int fd, const sockaddr_storage& addr, socklen_t len) noexcept override {
    enable();
    Slot& s = reset_slot(slot, fd, Kind::kConnection);
    s.addr = addr;  // must stay valid until the SQE is submitted
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&s.addr), len);
    io_uring_sqe_set_data64(sqe, encode(Op::kConnect, slot));
    s.connect_armed = true;
  }

  void send(uint32_t slot, const std::byte* data, std::size_t size) noexcept override {
    Slot& s = slots_[slot];
    s.send_data = data;
    s.send_left = size;
    s.send_done = 0;
    arm_send(slot);
  }

  void shutdown_write(uint32_t slot) noexcept override {
    counters_.syscalls.add();
    ::shutdown(slots_[slot].fd, SHUT_WR);  // synchronous: no operation on the fd outlives it
  }

  void close(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind == Kind::kNone || s.closing) return;
    s.closing = true;
    s.reading = false;
    if (s.starved) {
      starved_.erase(std::remove(starved_.begin(), starved_.end(), slot), starved_.end());
      s.starved = false;
    }
    if (s.recv_armed || s.send_armed || s.connect_armed || s.accept_armed) {
      // Cancel every request on this fd; each ends with its own CQE.
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_cancel_fd(sqe, s.fd, IORING_ASYNC_CANCEL_ALL);
      io_uring_sqe_set_data64(sqe, encode(Op::kCancel, slot));
    } else {
      finish_close(slot);
    }
  }

  int poll(int timeout_ms, BackendSink& sink) noexcept override {
    enable();
    counters_.polls.add();
    int handled = report_released(sink);
    if (handled > 0) timeout_ms = 0;
    if (retry_.resume_due(&timeout_ms, [this](uint32_t slot) {
          Slot& s = slots_[slot];
          if (s.kind == Kind::kListener && s.paused && !s.closing && !s.accept_armed) arm_accept(slot);
        }))
      timeout_ms = 0;  // submit the re-arms now
    if (timeout_ms != 0 && adopted_out_ > 0 && !starved_.empty()) {
      wants_returns_.store(true, std::memory_order_seq_cst);  // Dekker with return_buffer()
      if (returns_.maybe_nonempty()) timeout_ms = 0;
    }
    counters_.syscalls.add();
    int r;
    if (timeout_ms == 0) {
      r = io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ms < 0) {
      r = io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000LL};
      io_uring_cqe* cqe = nullptr;
      r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    (void)r;  // -ETIME / -EINTR: nothing to reap, the caller polls again
    wants_returns_.store(false, std::memory_order_relaxed);
    handled += reap(sink);
    return handled + report_released(sink);
  }

  void wake() noexcept override {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_fd_.get(), &one, sizeof(one));
  }

  // Any thread: an adopted buffer comes back (see the file comment).
  void return_buffer(const std::byte* data) noexcept override {
    const auto offset = static_cast<std::size_t>(data - static_cast<const std::byte*>(buffers_.get()));
    returns_.push(static_cast<uint32_t>(offset / buffer_size_));
    if (wants_returns_.load(std::memory_order_seq_cst) && wants_returns_.exchange(false, std::memory_order_acq_rel))
      wake();
  }

  bool prefers_direct_writes() const noexcept override { return false; }

 private:
  enum class Kind : uint8_t { kNone, kListener, kConnection };
  struct Slot {
    int fd = -1;
    Kind kind = Kind::kNone;
    bool reading = false;
    bool closing = false;
    bool accept_armed = false;
    bool recv_armed = false;
    bool send_armed = false;
    bool connect_armed = false;
    bool starved = false;   // waiting in starved_ for buffers
    bool read_paused = false; // read backpressure: recv cancelled, not re-armed
    bool paused = false;    // listener after an accept error
    const std::byte* send_data = nullptr;
    std::size_t send_left = 0;
    std::size_t send_done = 0;
    sockaddr_storage addr{};
  };

  void setup_ring(const BackendOptions& options) {
    const unsigned entries = std::max(64u, options.uring_entries);
    std::vector<unsigned> attempts;
    if (options.uring_sqpoll) {
      attempts = {IORING_SETUP_SQPOLL};
      if (options.uring_single_issuer) attempts.insert(attempts.begin(), IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER);
    } else if (!options.uring_single_issuer) {
      attempts = {IORING_SETUP_COOP_TASKRUN, 0};
    } else {
      attempts = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
    }
    int r = -EINVAL;
    for (unsigned flags : attempts) {
      io_uring_params p{};
      p.flags = flags | IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE;
      // Room for a burst of multishot completions (every buffer used once)
      // plus the other operations; the kernel keeps overflow, never drops.
      p.cq_entries = std::max(entries * 2, buffer_count_ * 2);
      if (flags & IORING_SETUP_SQPOLL) p.sq_thread_idle = 1000;
      r = io_uring_queue_init_params(entries, &ring_, &p);
      if (r == 0) return;
      counters_.setup_fallbacks.add();
    }
    throw std::system_error(-r, std::generic_category(), "io_uring_queue_init_params");
  }

  // The driving thread enables the ring on its first call: with
  // SINGLE_ISSUER it becomes the ring's one submitter.
  void enable() noexcept {
    if (enabled_) return;
    enabled_ = true;
    // Debian's liburing 2.3 declares io_uring_enable_rings() but does not
    // export it: the register call itself.
    counters_.syscalls.add();
    if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) != 0)
      counters_.setup_fallbacks.add(1000);  // unusable ring: make it loud in the stats
    arm_wake();
  }

  std::byte* buffer(uint32_t bid) noexcept {
    return static_cast<std::byte*>(buffers_.get()) + static_cast<std::size_t>(bid) * buffer_size_;
  }

  // An SQE; when the SQ is full, submits what is there first.
  io_uring_sqe* get_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      counters_.syscalls.add();
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  Slot& reset_slot(uint32_t slot, int fd, Kind kind) noexcept {
    Slot& s = slots_[slot];
    s = Slot{};
    s.fd = fd;
    s.kind = kind;
    return s;
  }

  void arm_wake() noexcept {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, wake_fd_.get(), &wake_value_, sizeof(wake_value_), 0);
    io_uring_sqe_set_data64(sqe, encode(Op::kWake, 0));
  }

  void arm_accept(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, s.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, encode(Op::kAccept, slot));
    s.accept_armed = true;
    s.paused = false;
  }

  void arm_recv(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, s.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, encode(Op::kRecv, slot));
    s.recv_armed = true;
  }

  void arm_send(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_send(sqe, s.fd, s.send_data + s.send_done, s.send_left, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, encode(Op::kSend, slot));
    s.send_armed = true;
  }

  // Every operation on the slot has completed: close the fd, report later.
  void maybe_finish_close(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    if (s.closing && !s.recv_armed && !s.send_armed && !s.connect_armed && !s.accept_armed) finish_close(slot);
  }
  void finish_close(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    counters_.syscalls.add();
    UniqueFd(s.fd).reset();
    s = Slot{};
    retry_.fd_freed();
    released_.push_back(slot);
  }

  int report_released(BackendSink& sink) noexcept {
    if (released_.empty()) return 0;
    std::vector<uint32_t> batch;
    batch.swap(released_);
    for (uint32_t slot : batch) sink.on_released(slot);
    return static_cast<int>(batch.size());
  }

  // Handles every completion in the CQ ring, then returns the used buffers
  // in one advance and re-arms starved connections.
  int reap(BackendSink& sink) noexcept {
    unsigned head;
    unsigned count = 0;
    returned_ = 0;
    io_uring_cqe* cqe;
    take_returns();
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++count;
      handle(cqe->user_data, cqe->res, cqe->flags, sink);
    }
    if (count > 0) {
      io_uring_cq_advance(&ring_, count);
      counters_.events.add(count);
    }
    if (returned_ > 0) {
      io_uring_buf_ring_advance(br_, static_cast<int>(returned_));
      available_ += returned_;
    }
    rearm_starved();
    return static_cast<int>(count);
  }

  // As many starved connections as buffers came back in this batch (at
  // least half the free ones, so that a batch without returns still makes
  // progress; guessed, tune with the echo bench at many connections).
  void rearm_starved() noexcept {
    if (starved_.empty()) return;
    std::size_t budget = std::max<std::size_t>(returned_, available_ / 2);
    while (budget > 0 && !starved_.empty()) {
      const uint32_t slot = starved_.front();
      starved_.pop_front();
      Slot& s = slots_[slot];
      s.starved = false;
      if (s.kind != Kind::kConnection || s.closing || !s.reading || s.recv_armed || s.read_paused) continue;
      arm_recv(slot);
      counters_.rearms.add();
      --budget;
    }
  }

  // Puts every returned adopted buffer back (advanced with this batch's).
  void take_returns() noexcept {
    const uint32_t n = returns_.take_all([this](uint32_t bid) { recycle(bid); });
    if (n == 0) return;
    adopted_out_ -= n;
    counters_.buffers_returned.add(n);
  }

  void recycle(uint32_t bid) noexcept {
    io_uring_buf_ring_add(br_, buffer(bid), buffer_size_, static_cast<uint16_t>(bid),
                          io_uring_buf_ring_mask(buffer_count_), static_cast<int>(returned_));
    ++returned_;
  }

  void handle(uint64_t user_data, int res, uint32_t flags, BackendSink& sink) noexcept {
    const uint32_t slot = slot_of(user_data);
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    switch (op_of(user_data)) {
      case Op::kWake:
        arm_wake();
        sink.on_wake();
        return;
      case Op::kCancel:
        return;  // the cancelled requests report themselves
      case Op::kAccept: on_accept_cqe(slot, res, more, sink); return;
      case Op::kRecv: on_recv_cqe(slot, res, flags, more, sink); return;
      case Op::kSend: on_send_cqe(slot, res, sink); return;
      case Op::kConnect: {
        Slot& s = slots_[slot];
        s.connect_armed = false;
        if (s.closing) return maybe_finish_close(slot);
        if (res == 0) {
          s.reading = true;
          arm_recv(slot);
        }
        sink.on_connected(slot, res < 0 ? -res : 0);
        return;
      }
    }
  }

  void on_accept_cqe(uint32_t slot, int res, bool more, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    if (!more) s.accept_armed = false;
    if (res >= 0) {
      if (s.closing) UniqueFd(res).reset(); else sink.on_accept(slot, res);
    }
    if (s.closing) return maybe_finish_close(slot);
    if (more) return;
    if (res >= 0 || res == -EINTR || res == -ECONNABORTED) {  // ended without a lasting error: re-arm
      arm_accept(slot);
      return;
    }
    // EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: pause, retry later.
    s.paused = true;
    retry_.pause(slot);
    counters_.accept_pauses.add();
    sink.on_accept_error(slot, -res);
  }

  void on_recv_cqe(uint32_t slot, int res, uint32_t flags, bool more, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    if (!more) s.recv_armed = false;
    if (res > 0 && (flags & IORING_CQE_F_BUFFER) != 0) {
      const uint32_t bid = flags >> IORING_CQE_BUFFER_SHIFT;
      --available_;
      const auto size = static_cast<std::size_t>(res);
      const bool adoptable = zero_copy_min_ != 0 && size >= zero_copy_min_ && adopted_out_ < buffer_count_ / 2;
      if (!s.closing && sink.on_data(slot, {buffer(bid), size}, adoptable)) {
        ++adopted_out_;
        counters_.adopted_reads.add();
      } else {
        recycle(bid);
      }
    }
    if (s.closing) return maybe_finish_close(slot);
    if (more) return;
    if (s.read_paused) {
      // Cancelled by pause_reading (or ended otherwise while paused): armed
      // again by resume_reading. An EOF or error is found again then.
      if (res == -ENOBUFS) counters_.enobufs.add();
      return;
    }
    if (res == -ECANCELED && s.reading) {  // a pause undone before its cancel completed
      arm_recv(slot);
      counters_.rearms.add();
      return;
    }
    if (res == -ENOBUFS) {
      counters_.enobufs.add();
      if (!s.starved) {
        s.starved = true;
        starved_.push_back(slot);
      }
    } else if (res == 0) {
      // EOF, or a reset the kernel reports as one: SO_ERROR tells (a
      // syscall only at the end of a connection).
      s.reading = false;
      int err = 0;
      socklen_t len = sizeof(err);
      counters_.syscalls.add();
      if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = 0;
      if (err == 0) sink.on_eof(slot); else sink.on_error(slot, err);
    } else if (res < 0) {
      s.reading = false;
      sink.on_error(slot, -res);
    } else if (s.reading) {  // ended with data but without F_MORE: re-arm
      arm_recv(slot);
      counters_.rearms.add();
    }
  }

  void on_send_cqe(uint32_t slot, int res, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    s.send_armed = false;
    if (s.closing) return maybe_finish_close(slot);
    if (res < 0 || (res == 0 && s.send_left > 0)) {
      sink.on_error(slot, res < 0 ? -res : EPIPE);
      return;
    }
    s.send_done += static_cast<std::size_t>(res);
    s.send_left -= static_cast<std::size_t>(res);
    if (s.send_left > 0) {
      arm_send(slot);  // a short send: the rest, in order
      return;
    }
    sink.on_sent(slot, s.send_done);
  }

  io_uring ring_{};
  bool enabled_ = false;
  std::vector<Slot> slots_;
  uint32_t buffer_count_;
  uint32_t buffer_size_;
  Mapping buffers_;
  Mapping buf_ring_;
  io_uring_buf_ring* br_ = nullptr;
  uint32_t available_ = 0;  // buffers in the ring now
  uint32_t returned_ = 0;   // buffers returned in this batch
  std::deque<uint32_t> starved_;
  // Zero-copy reads: the threshold (0: off), adopted buffers not yet taken
  // back (driver only), and the return stack (see the file comment).
  const std::size_t zero_copy_min_;
  uint32_t adopted_out_ = 0;
  ReturnStack returns_;
  alignas(core::kCacheLine) std::atomic<bool> wants_returns_{false};
  std::vector<uint32_t> released_;
  AcceptRetry retry_;
  UniqueFd wake_fd_;
  uint64_t wake_value_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_uring_backend(const BackendOptions& options) {
  return std::make_unique<UringBackend>(options);
}

}  // namespace actorlab::io
