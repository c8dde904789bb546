// net_support.hpp: helpers for the net suite: an engine with a net service
// for one backend, a test echo server actor, and blocking loopback clients.
// Loopback (127.0.0.1) and port 0 only. Threads: ServerState is shared
// between the server actor (a worker) and the test thread, so it is atomic.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/actor.hpp"
#include "core/engine.hpp"
#include "core/services.hpp"
#include "io/fd.hpp"
#include "io/net.hpp"
#include "sched/select.hpp"
#include "tests/test_support.hpp"

namespace net_support {

namespace core = actorlab::core;
namespace io = actorlab::io;
using testing_support::scale;
using testing_support::wait_until;

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Every backend, each driven by the net thread and by idle workers.
inline auto all_drivers() { return ::testing::Values("epoll", "uring", "epoll_worker", "uring_worker"); }

// An engine with a net service; nullptr (and *skip set) when the kernel
// refuses the backend (e.g. io_uring disabled).
struct NetEngine {
  std::unique_ptr<core::Engine> engine;
  core::SocketApi* sockets = nullptr;
  std::string skip;
};

// param: "epoll" | "uring", with "_worker" for --net=worker.
inline NetEngine make_net_engine(const std::string& param, io::NetOptions options = {}, int threads = 2) {
  NetEngine out;
  core::Config config;
  config.threads = threads;
  const auto underscore = param.find('_');
  const std::string backend = param.substr(0, underscore);
  config.backend = backend;
  if (underscore != std::string::npos) config.net = param.substr(underscore + 1);
  out.engine = actorlab::sched::make_engine(config);
  try {
    out.sockets = &io::attach_net(*out.engine, config, options);
  } catch (const std::runtime_error& e) {
    out.skip = std::string("backend ") + backend + " unavailable here: " + e.what();
    out.engine.reset();
  }
  return out;
}

// For a test server's on_start: listens on 127.0.0.1, an ephemeral port,
// and publishes the bound port to the test thread once the listener is
// valid (the test waits for a non-zero port). *error as SocketApi::listen.
inline core::SocketId listen_on_loopback(core::Context& ctx, std::atomic<uint16_t>& port, int* error = nullptr) {
  const core::SocketId listener = ctx.sockets()->listen(ctx.self(), "127.0.0.1", 0, error);
  if (listener.valid()) port.store(ctx.sockets()->bound_port(listener));
  return listener;
}

// What the server actor tells the test.
struct ServerState {
  std::atomic<uint16_t> port{0};
  std::atomic<int> listen_error{0};
  std::atomic<uint32_t> accepted{0};
  std::atomic<uint32_t> eofs{0};
  std::atomic<uint32_t> closed{0};
  std::atomic<uint32_t> errors{0};
  std::atomic<int> last_error{0};
  std::atomic<uint32_t> warnings{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint32_t> dead_sends{0};
};

// Echo server: listens on 127.0.0.1:0, starts every accepted connection,
// writes back what it reads, closes on EOF. Options change the behaviour
// for single tests (half_close_reply: on EOF, send "bye:" + all bytes read).
class EchoServer : public core::Actor {
 public:
  struct Options {
    bool half_close_reply = false;
  };
  EchoServer(ServerState& state, Options options) : state_(state), options_(options) {}
  explicit EchoServer(ServerState& state) : EchoServer(state, Options{}) {}

  void on_start(core::Context& ctx) override {
    int error = 0;
    listener_ = listen_on_loopback(ctx, state_.port, &error);
    state_.listen_error.store(error);
  }

  void on_message(core::Context& ctx, core::Message& msg) override {
    core::SocketApi& net = *ctx.sockets();
    const auto socket = core::SocketId::from_value(msg.session);
    if (msg.type == core::kTypeSocketData) {
      state_.bytes.fetch_add(msg.size());
      if (options_.half_close_reply) {
        auto b = msg.bytes();
        received_.insert(received_.end(), b.begin(), b.end());
      } else if (net.send(socket, msg.bytes()) == core::SocketStatus::kDead) {
        state_.dead_sends.fetch_add(1);
      }
      return;
    }
    if (msg.type != core::kTypeSocketEvent) return;
    const auto ev = msg.as<core::SocketEvent>();
    switch (ev.kind) {
      case core::SocketEventKind::kAccepted:
        state_.accepted.fetch_add(1);
        net.start(ev.other, ctx.self());
        break;
      case core::SocketEventKind::kEof:
        if (options_.half_close_reply) {
          const std::string prefix = "bye:";
          std::vector<std::byte> reply(prefix.size());
          std::memcpy(reply.data(), prefix.data(), prefix.size());
          reply.insert(reply.end(), received_.begin(), received_.end());
          net.send(socket, reply);
        }
        state_.eofs.fetch_add(1);
        net.close(socket);
        break;
      case core::SocketEventKind::kClosed: state_.closed.fetch_add(1); break;
      case core::SocketEventKind::kError:
        state_.last_error.store(ev.error);
        state_.errors.fetch_add(1);
        break;
      case core::SocketEventKind::kWarning: state_.warnings.fetch_add(1); break;
      case core::SocketEventKind::kConnected: break;
    }
  }

 private:
  ServerState& state_;
  Options options_;
  core::SocketId listener_;
  std::vector<std::byte> received_;
};

// A blocking TCP socket with 5 s receive/send timeouts, not connected yet.
inline io::UniqueFd client_socket() {
  io::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Connects; a connect interrupted (EINTR: io_uring's task-work
// notifications interrupt blocking calls in this process) goes on in the
// background, so it waits for the socket to be writable and reads SO_ERROR.
inline bool connect_to(int fd, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
  if (errno != EINTR) return false;
  pollfd p{fd, POLLOUT, 0};
  int r;
  do r = ::poll(&p, 1, 5000);
  while (r < 0 && errno == EINTR);
  if (r != 1) return false;
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return false;
  return true;
}

// A blocking client connected to 127.0.0.1:port (invalid on failure).
inline io::UniqueFd connect_client(uint16_t port) {
  io::UniqueFd fd = client_socket();
  if (fd.valid() && !connect_to(fd.get(), port)) fd.reset();
  return fd;
}

inline bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly size bytes (false on EOF, error or timeout).
inline bool read_exact(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::recv(fd, p, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until EOF (or error/timeout); returns what came.
inline std::string read_to_eof(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

inline std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace net_support
