// floor_echo.cpp: the floor for scripts/netperf, a minimal single-threaded
// echo server with no runtime (no actors, no messages, no net thread), so that
// every netperf figure of `actorlab echo` states its ratio to what one thread
// and the kernel cost on this machine.
//
//   floor_echo --backend=epoll|uring [--port=N]   (N = 0: an ephemeral port)
//
// It prints "floor_echo: listening on 127.0.0.1:PORT (backend B)" first and
// exits 0 on SIGTERM or SIGINT (read from a signalfd in the same loop).
// - epoll: level-triggered; one recv() per readable socket per epoll_wait,
//   sent straight back. A short send (never seen under netperf's 64 B closed
//   loop) waits in poll() until the rest is written: simple and in order.
// - uring: multishot accept, multishot recv into a provided-buffer ring, the
//   echo sent from that buffer (returned to the ring when the send completes),
//   one io_uring_submit_and_wait() per loop, SINGLE_ISSUER | DEFER_TASKRUN.
//   A connection has at most one send in flight; later reads wait in its
//   queue, so bytes go back in the order they came.
// Sockets are TCP_NODELAY, as actorlab's are. Threads: one (main). Exit 2
// on a bad flag, 1 when set-up fails.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "io/fd.hpp"

namespace {

using actorlab::io::UniqueFd;

constexpr unsigned kBuffers = 1024;      // provided buffers (a power of two; guessed: 100 connections x a few)
constexpr unsigned kBufferSize = 4096;   // bytes each; epoll's recv buffer is 64 KiB
constexpr int kGroup = 1;

bool send_all(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) { data += n; size -= static_cast<std::size_t>(n); continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, -1);
  }
  return true;
}

int run_epoll(int listen_fd, int signal_fd) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  std::vector<UniqueFd> conns;  // by fd
  std::vector<char> buf(65536);
  auto watch = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  if (!ep.valid() || !watch(listen_fd) || !watch(signal_fd)) return 1;
  epoll_event events[256];
  for (;;) {
    const int n = ::epoll_wait(ep.get(), events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd) return 0;
      if (fd == listen_fd) {
        int c;
        while ((c = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (conns.size() <= static_cast<std::size_t>(c)) conns.resize(c + 1);
          conns[c].reset(c);
          if (!watch(c)) conns[c].reset();
        }
        continue;
      }
      const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0 || !send_all(fd, buf.data(), static_cast<std::size_t>(got)))
        conns[fd].reset();  // close() also leaves the epoll set
    }
  }
}

enum Op : uint64_t { kAccept, kRecv, kSend, kSignal };
uint64_t tag(Op op, int fd, unsigned bid = 0) { return (uint64_t{op} << 56) | (uint64_t(fd) << 16) | bid; }

struct Conn {
  UniqueFd fd;
  bool sending = false, eof = false;
  std::deque<std::pair<unsigned, unsigned>> queue;  // (buffer id, bytes) waiting to be sent
  unsigned done = 0;                                // bytes of the front already sent
};

int run_uring(int listen_fd, int signal_fd) {
  io_uring ring;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (const int r = io_uring_queue_init_params(256, &ring, &params); r < 0) {
    std::fprintf(stderr, "floor_echo: io_uring_queue_init_params: %s (backend unavailable)\n", std::strerror(-r));
    return 1;
  }
  struct RingOwner {  // RAII: the ring goes on every return
    io_uring* ring;
    ~RingOwner() { io_uring_queue_exit(ring); }
  } owner{&ring};
  std::vector<char> memory(std::size_t{kBuffers} * kBufferSize);
  // The provided-buffer ring (page-aligned; liburing 2.3 has no io_uring_setup_buf_ring).
  std::unique_ptr<void, decltype(&std::free)> ring_memory(std::aligned_alloc(4096, kBuffers * sizeof(io_uring_buf)),
                                                         &std::free);
  auto* br = static_cast<io_uring_buf_ring*>(ring_memory.get());
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = kBuffers;
  reg.bgid = kGroup;
  if (const int r = io_uring_register_buf_ring(&ring, &reg, 0); r != 0) {
    std::fprintf(stderr, "floor_echo: buffer ring: %s\n", std::strerror(-r));
    return 1;
  }
  auto give_back = [&](unsigned bid) {
    io_uring_buf_ring_add(br, &memory[std::size_t{bid} * kBufferSize], kBufferSize, bid,
                          io_uring_buf_ring_mask(kBuffers), 0);
    io_uring_buf_ring_advance(br, 1);
  };
  for (unsigned i = 0; i < kBuffers; ++i) give_back(i);
  auto sqe = [&] {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (!s) { io_uring_submit(&ring); s = io_uring_get_sqe(&ring); }
    return s;
  };
  auto arm_recv = [&](int fd) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
    io_uring_sqe_set_data64(s, tag(kRecv, fd));
  };
  std::vector<Conn> conns;  // by fd
  auto send_front = [&](int fd) {
    Conn& c = conns[fd];
    const auto [bid, len] = c.queue.front();
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, fd, &memory[std::size_t{bid} * kBufferSize + c.done], len - c.done, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, tag(kSend, fd, bid));
    c.sending = true;
  };
  auto drop = [&](int fd) {  // once nothing of it is in flight
    Conn& c = conns[fd];
    for (const auto& [bid, len] : c.queue) give_back(bid);
    c = Conn{};
  };
  auto arm_accept = [&] {
    io_uring_sqe* s = sqe();
    io_uring_prep_multishot_accept(s, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, tag(kAccept, listen_fd));
  };
  signalfd_siginfo info;
  io_uring_sqe* sig = sqe();
  io_uring_prep_read(sig, signal_fd, &info, sizeof(info), 0);
  io_uring_sqe_set_data64(sig, tag(kSignal, signal_fd));
  arm_accept();
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const uint64_t data = cqe->user_data;
      const int fd = static_cast<int>((data >> 16) & 0xffffffffu);
      const int res = cqe->res;
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      switch (static_cast<Op>(data >> 56)) {
        case kSignal: return 0;
        case kAccept:
          if (res >= 0) {
            if (conns.size() <= static_cast<std::size_t>(res)) conns.resize(res + 1);
            conns[res].fd.reset(res);
            arm_recv(res);
          }
          if (!more) arm_accept();
          break;
        case kRecv: {
          Conn& c = conns[fd];
          if (res > 0) {
            c.queue.emplace_back(cqe->flags >> IORING_CQE_BUFFER_SHIFT, static_cast<unsigned>(res));
            if (!c.sending) send_front(fd);
            if (!more) arm_recv(fd);
          } else if (res == -ENOBUFS) {
            arm_recv(fd);
          } else if (!more) {
            c.eof = true;
            if (!c.sending) drop(fd);
          }
          break;
        }
        case kSend: {
          Conn& c = conns[fd];
          c.sending = false;
          if (res > 0 && c.done + static_cast<unsigned>(res) < c.queue.front().second) {
            c.done += static_cast<unsigned>(res);  // short send: the rest next
            send_front(fd);
            break;
          }
          give_back(c.queue.front().first);
          c.queue.pop_front();
          c.done = 0;
          if (res < 0) c.eof = true;
          if (c.eof) drop(fd);  // a recv still armed ends with the close
          else if (!c.queue.empty()) send_front(fd);
          break;
        }
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}

int usage(const char* why) {
  std::fprintf(stderr, "floor_echo: %s\nusage: floor_echo --backend=epoll|uring [--port=N (0..65535, default 0)]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend;
  long port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--backend=", 0) == 0) {
      backend = arg.substr(10);
    } else if (arg.rfind("--port=", 0) == 0) {
      char* end = nullptr;
      port = std::strtol(arg.c_str() + 7, &end, 10);
      if (end == arg.c_str() + 7 || *end != '\0' || port < 0 || port > 65535)
        return usage("--port: expected an integer in 0..65535");
    } else {
      return usage(("unknown argument '" + arg + "'").c_str());
    }
  }
  if (backend != "epoll" && backend != "uring") return usage("--backend: expected epoll or uring");
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd signal_fd(::signalfd(-1, &mask, SFD_CLOEXEC));
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // Accepted sockets inherit it: no Nagle, as on actorlab's sockets (without
  // it a reply cut into pieces waits ~40 ms for the peer's delayed ACK).
  ::setsockopt(listener.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (!signal_fd.valid() || !listener.valid() ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener.get(), 1024) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::fprintf(stderr, "floor_echo: listen on 127.0.0.1:%ld: %s\n", port, std::strerror(errno));
    return 1;
  }
  std::printf("floor_echo: listening on 127.0.0.1:%u (backend %s)\n", ntohs(addr.sin_port), backend.c_str());
  std::fflush(stdout);
  return backend == "epoll" ? run_epoll(listener.get(), signal_fd.get())
                            : run_uring(listener.get(), signal_fd.get());
}
