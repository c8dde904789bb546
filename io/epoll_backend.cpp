// epoll_backend.cpp: the epoll Backend, level-triggered.
//
// Why level-triggered: the net thread does one recv() per readable socket per
// epoll_wait (a bounded slice, so one fast sender cannot starve the others)
// and leaves the rest for the next round; with edge triggering it would
// have to read until EAGAIN (a third syscall per message on a
// request/response socket) or keep its own list of still-readable sockets.
// Writes mostly happen on the workers (direct writes), so EPOLLOUT is armed
// only while a queued send is blocked: an epoll_ctl only when a write would
// block. A socket with nothing to wait for is not in the epoll set at all
// (EPOLLHUP/EPOLLERR are reported even with an empty mask, which level
// triggering would repeat forever).
//
// Read backpressure (pause_reading) takes EPOLLIN out of the mask: at most
// the one recv() of this round is read past the pause.
//
// Accept errors (EMFILE, ENFILE, ENOBUFS, ENOMEM) pause the listener (out of
// the epoll set) and resume it after 10 ms or as soon as another socket's
// fd is closed (accept_retry.hpp); pending connections wait in the kernel's backlog,
// none is dropped (skynet instead keeps a spare fd to accept-and-close).
//
// Gathered sends (send_gather): the driver hands a socket all its queued
// frames at once (up to --send-gather) and they go out in one sendmsg() with
// that many iovecs: one syscall per socket per round, however many replies
// wait. The slot keeps its own copy of the iovecs (advanced past what the
// kernel took) until the whole sequence is written.
//
// Completions that happen inside a call (a send() that wrote everything, a
// close) are kept in deferred_ and reported at the start of the next poll(),
// so the sink is never re-entered from its own callback.
// Threads: the driving thread only, except wake() (an eventfd write).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "io/accept_retry.hpp"
#include "io/backend.hpp"
#include "io/fd.hpp"

namespace actorlab::io {
namespace {

constexpr uint64_t kWakeTag = UINT64_MAX;

int pending_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof(err);
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 ? err : 0;
}
constexpr int kMaxEvents = 256;       // events per epoll_wait (guessed; a batch)
constexpr int kAcceptsPerEvent = 64;  // accepts per listener event (guessed: fairness vs syscalls)

class EpollBackend final : public Backend {
 public:
  explicit EpollBackend(const BackendOptions& options)
      : slots_(options.max_slots), buffer_(options.read_buffer) {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev) != 0)
      throw std::system_error(errno, std::generic_category(), "epoll_ctl(eventfd)");
  }
  ~EpollBackend() override {
    for (Slot& s : slots_)
      if (s.kind != Kind::kNone) UniqueFd(s.fd).reset();
  }

  const char* name() const noexcept override { return "epoll"; }
  bool gathers_sends() const noexcept override { return true; }

  void add_listener(uint32_t slot, int fd) noexcept override {
    Slot& s = reset_slot(slot, fd, Kind::kListener);
    s.reading = true;
    update(slot);
  }
  void add_connection(uint32_t slot, int fd) noexcept override { reset_slot(slot, fd, Kind::kConnection); }
  void start_reading(uint32_t slot) noexcept override {
    slots_[slot].reading = true;
    update(slot);
  }
  void pause_reading(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind != Kind::kConnection || s.read_paused) return;
    s.read_paused = true;
    update(slot);
  }
  void resume_reading(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind != Kind::kConnection || !s.read_paused) return;
    s.read_paused = false;
    update(slot);
  }

  void connect(uint32_t slot, int fd, const sockaddr_storage& addr, socklen_t len) noexcept override {
    Slot& s = reset_slot(slot, fd, Kind::kConnection);
    counters_.syscalls.add();
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
      s.reading = true;
      update(slot);
      defer(Report::kConnected, slot, 0);
    } else if (errno == EINPROGRESS || errno == EINTR) {
      s.connecting = true;
      update(slot);
    } else {
      defer(Report::kConnected, slot, errno);
    }
  }

  void send(uint32_t slot, const std::byte* data, std::size_t size) noexcept override {
    const iovec one{const_cast<std::byte*>(data), size};
    send_gather(slot, &one, 1);
  }

  void send_gather(uint32_t slot, const iovec* iov, int count) noexcept override {
    Slot& s = slots_[slot];
    try {
      // Allocates only when this slot never had so many frames at once
      // (the capacity stays with the slot: at most kMaxSendGather iovecs).
      s.send_iov.assign(iov, iov + count);
    } catch (const std::bad_alloc&) {
      s.send_iov.clear();
      defer(Report::kError, slot, ENOMEM);  // the socket fails, the server goes on
      return;
    }
    s.send_left = 0;
    for (const iovec& v : s.send_iov) s.send_left += v.iov_len;
    s.send_first = 0;
    s.send_done = 0;
    s.sending = true;
    write_some(slot, /*in_poll=*/false, nullptr);
  }

  void shutdown_write(uint32_t slot) noexcept override {
    counters_.syscalls.add();
    ::shutdown(slots_[slot].fd, SHUT_WR);
  }

  void close(uint32_t slot) noexcept override {
    Slot& s = slots_[slot];
    if (s.kind == Kind::kNone) return;
    // close() removes the fd from the epoll set (no dup of it exists).
    UniqueFd(s.fd).reset();
    counters_.syscalls.add();
    s = Slot{};
    retry_.fd_freed();
    defer(Report::kReleased, slot, 0);
  }

  int poll(int timeout_ms, BackendSink& sink) noexcept override {
    counters_.polls.add();
    int handled = report_deferred(sink);
    if (handled > 0) timeout_ms = 0;
    retry_.resume_due(&timeout_ms, [this](uint32_t slot) {
      Slot& s = slots_[slot];
      if (s.kind != Kind::kListener || !s.paused) return;
      s.paused = false;
      update(slot);
    });
    epoll_event events[kMaxEvents];
    counters_.syscalls.add();
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t value;
        counters_.syscalls.add();
        [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &value, sizeof(value));
        sink.on_wake();
        continue;
      }
      handle(static_cast<uint32_t>(tag), events[i].events, sink);
    }
    if (n > 0) {
      counters_.events.add(static_cast<uint64_t>(n));
      handled += n;
    }
    return handled + report_deferred(sink);
  }

  void wake() noexcept override {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_fd_.get(), &one, sizeof(one));
  }

 private:
  enum class Kind : uint8_t { kNone, kListener, kConnection };
  struct Slot {
    int fd = -1;
    Kind kind = Kind::kNone;
    bool reading = false;     // listener: accepting; connection: reading
    bool connecting = false;
    bool sending = false;
    bool paused = false;      // listener after an accept error
    bool read_paused = false; // connection: read backpressure (pause_reading)
    bool in_epoll = false;
    uint32_t mask = 0;        // the events registered now
    std::vector<iovec> send_iov;  // the send in progress; [send_first, end) still to write
    std::size_t send_first = 0;
    std::size_t send_left = 0;
    std::size_t send_done = 0;
  };
  enum class Report : uint8_t { kSent, kError, kConnected, kReleased };
  struct Deferred {
    Report kind;
    uint32_t slot;
    int64_t value;
  };

  Slot& reset_slot(uint32_t slot, int fd, Kind kind) noexcept {
    Slot& s = slots_[slot];
    std::vector<iovec> iov = std::move(s.send_iov);  // keeps its capacity across reuses
    s = Slot{};
    s.fd = fd;
    s.kind = kind;
    iov.clear();
    s.send_iov = std::move(iov);
    return s;
  }

  void defer(Report kind, uint32_t slot, int64_t value) noexcept {
    try {
      deferred_.push_back({kind, slot, value});
    } catch (...) {
      // Out of memory: nothing sane remains; the report is lost and the slot
      // stays busy until stop (counted: net_lost_reports).
      counters_.lost_reports.add();
    }
  }

  // Registers, changes or removes the slot's interest set (one epoll_ctl, only on change).
  void update(uint32_t slot) noexcept {
    Slot& s = slots_[slot];
    uint32_t want = 0;
    if (s.kind == Kind::kListener) {
      if (s.reading && !s.paused) want = EPOLLIN;
    } else if (s.kind == Kind::kConnection) {
      if (s.reading && !s.read_paused) want |= EPOLLIN;
      if (s.sending || s.connecting) want |= EPOLLOUT;
    }
    if (want == s.mask && (want != 0) == s.in_epoll) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = slot;
    int op = want == 0 ? EPOLL_CTL_DEL : (s.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
    counters_.syscalls.add();
    if (::epoll_ctl(epoll_.get(), op, s.fd, &ev) == 0) {
      s.in_epoll = want != 0;
      s.mask = want;
    }
  }

  int report_deferred(BackendSink& sink) noexcept {
    if (deferred_.empty()) return 0;
    std::vector<Deferred> batch;
    batch.swap(deferred_);  // callbacks may defer more: they wait for the next round
    for (const Deferred& d : batch) {
      switch (d.kind) {
        case Report::kSent: sink.on_sent(d.slot, static_cast<std::size_t>(d.value)); break;
        case Report::kError: sink.on_error(d.slot, static_cast<int>(d.value)); break;
        case Report::kConnected: sink.on_connected(d.slot, static_cast<int>(d.value)); break;
        case Report::kReleased: sink.on_released(d.slot); break;
      }
    }
    const int n = static_cast<int>(batch.size());
    batch.clear();
    if (deferred_.empty()) deferred_.swap(batch);  // keep the capacity
    return n;
  }

  void handle(uint32_t slot, uint32_t events, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    if (s.kind == Kind::kListener) {
      if (s.reading && !s.paused) accept_some(slot, sink);
      return;
    }
    if (s.kind != Kind::kConnection) return;  // closed earlier in this batch
    const bool out = (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
    if (s.connecting) {
      if (out) finish_connect(slot, sink);
      return;
    }
    if (s.sending && out) {
      write_some(slot, /*in_poll=*/true, &sink);
      if (s.kind != Kind::kConnection) return;
    }
    if (s.reading && !s.read_paused && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) read_once(slot, sink);
  }

  void accept_some(uint32_t slot, BackendSink& sink) noexcept {
    for (int i = 0; i < kAcceptsPerEvent; ++i) {
      Slot& s = slots_[slot];
      if (s.kind != Kind::kListener) return;
      counters_.syscalls.add();
      const int fd = ::accept4(s.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        sink.on_accept(slot, fd);
        continue;
      }
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: pause, retry later.
      s.paused = true;
      update(slot);
      retry_.pause(slot);
      counters_.accept_pauses.add();
      sink.on_accept_error(slot, err);
      return;
    }
  }

  void finish_connect(uint32_t slot, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    int err = 0;
    socklen_t len = sizeof(err);
    counters_.syscalls.add();
    if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    s.connecting = false;
    if (err == 0) s.reading = true;
    update(slot);
    sink.on_connected(slot, err);
  }

  void read_once(uint32_t slot, BackendSink& sink) noexcept {
    Slot& s = slots_[slot];
    counters_.syscalls.add();
    const ssize_t n = ::recv(s.fd, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      sink.on_data(slot, {buffer_.data(), static_cast<std::size_t>(n)}, /*adoptable=*/false);
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    // recv() may return 0 after a reset (the kernel marks the socket done):
    // the pending error, if any, says which it was.
    const int err = n == 0 ? pending_error(s.fd) : errno;
    s.reading = false;
    update(slot);
    if (err == 0) sink.on_eof(slot); else sink.on_error(slot, err);
  }

  // Writes what the kernel takes; completes (on_sent) when all is written,
  // arms EPOLLOUT while a part waits.
  void write_some(uint32_t slot, bool in_poll, BackendSink* sink) noexcept {
    Slot& s = slots_[slot];
    while (s.send_left > 0) {
      counters_.syscalls.add();
      // One buffer left (the common case: one reply queued): send(), the
      // cheaper call; several: one sendmsg() for all of them.
      const std::size_t left = s.send_iov.size() - s.send_first;
      ssize_t n;
      if (left == 1) {
        const iovec& v = s.send_iov[s.send_first];
        n = ::send(s.fd, v.iov_base, v.iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
      } else {
        msghdr msg{};
        msg.msg_iov = s.send_iov.data() + s.send_first;
        msg.msg_iovlen = left;
        n = ::sendmsg(s.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      if (n > 0) {
        s.send_done += static_cast<std::size_t>(n);
        s.send_left -= static_cast<std::size_t>(n);
        // Past the iovecs written whole; into the one written in part.
        for (std::size_t took = static_cast<std::size_t>(n); took > 0;) {
          iovec& v = s.send_iov[s.send_first];
          const std::size_t step = std::min(took, v.iov_len);
          v.iov_base = static_cast<char*>(v.iov_base) + step;
          v.iov_len -= step;
          took -= step;
          if (v.iov_len == 0) ++s.send_first;
        }
        while (s.send_first < s.send_iov.size() && s.send_iov[s.send_first].iov_len == 0) ++s.send_first;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        update(slot);  // arm EPOLLOUT
        return;
      }
      const int err = n < 0 ? errno : EPIPE;
      s.sending = false;
      s.reading = false;
      update(slot);
      if (in_poll) sink->on_error(slot, err); else defer(Report::kError, slot, err);
      return;
    }
    s.sending = false;
    update(slot);
    const std::size_t done = s.send_done;
    if (in_poll) sink->on_sent(slot, done); else defer(Report::kSent, slot, static_cast<int64_t>(done));
  }

  std::vector<Slot> slots_;
  std::vector<std::byte> buffer_;
  std::vector<Deferred> deferred_;
  AcceptRetry retry_;
  UniqueFd epoll_;
  UniqueFd wake_fd_;
};

}  // namespace

std::unique_ptr<Backend> make_epoll_backend(const BackendOptions& options) {
  return std::make_unique<EpollBackend>(options);
}

}  // namespace actorlab::io
