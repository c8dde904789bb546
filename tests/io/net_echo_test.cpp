// net_echo_test.cpp: the loopback echo suite for every backend: many
// connections each echo random bytes and compare them byte for byte (lost,
// duplicated, reordered or cross-connection bytes all fail it); an
// outgoing connect() through the SocketApi; buffer-ring exhaustion (more
// connections than provided buffers) without loss.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "tests/io/net_support.hpp"

namespace {

using namespace net_support;

class NetEcho : public ::testing::TestWithParam<std::string> {};

// Drives `conns` non-blocking client connections from this thread: each
// sends `per_conn` bytes (its own rotation of one random block) and reads
// them back, compared as they arrive. Returns an empty string or the failure.
std::string echo_clients(uint16_t port, std::size_t conns, std::size_t per_conn, std::chrono::seconds limit) {
  std::vector<std::byte> block(1 << 20);
  std::mt19937_64 rng(12345);
  for (auto& b : block) b = static_cast<std::byte>(rng());
  auto expected = [&](std::size_t conn, std::size_t offset) {
    return block[(offset + conn * 7919) % block.size()];
  };
  struct Conn {
    io::UniqueFd fd;
    std::size_t sent = 0, received = 0;
  };
  std::vector<Conn> cs(conns);
  for (std::size_t i = 0; i < conns; ++i) {
    cs[i].fd = connect_client(port);
    if (!cs[i].fd.valid()) return "connect " + std::to_string(i) + " failed: " + std::strerror(errno);
    ::fcntl(cs[i].fd.get(), F_SETFL, O_NONBLOCK);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<pollfd> pfds(conns);
  std::vector<std::byte> out(64 * 1024), in(64 * 1024);
  std::size_t done = 0;
  while (done < conns) {
    if (std::chrono::steady_clock::now() > deadline)
      return "timed out with " + std::to_string(conns - done) + " connections unfinished";
    for (std::size_t i = 0; i < conns; ++i) {
      pfds[i].fd = cs[i].fd.get();
      pfds[i].events = 0;
      if (cs[i].received < per_conn) pfds[i].events |= POLLIN;
      // Keep at most 256 KiB in flight per connection.
      if (cs[i].sent < per_conn && cs[i].sent - cs[i].received < 256 * 1024) pfds[i].events |= POLLOUT;
    }
    if (::poll(pfds.data(), pfds.size(), 100) < 0 && errno != EINTR) return "poll failed";
    for (std::size_t i = 0; i < conns; ++i) {
      Conn& c = cs[i];
      if (pfds[i].revents & POLLOUT) {
        const std::size_t n = std::min({out.size(), per_conn - c.sent, 256 * 1024 - (c.sent - c.received)});
        for (std::size_t k = 0; k < n; ++k) out[k] = expected(i, c.sent + k);
        const ssize_t w = ::send(c.fd.get(), out.data(), n, MSG_NOSIGNAL);
        if (w > 0) c.sent += static_cast<std::size_t>(w);
        else if (w < 0 && errno != EAGAIN) return "send failed on " + std::to_string(i) + ": " + std::strerror(errno);
      }
      if (pfds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
        const ssize_t r = ::recv(c.fd.get(), in.data(), in.size(), 0);
        if (r == 0) return "connection " + std::to_string(i) + " closed early at " + std::to_string(c.received);
        if (r < 0 && errno != EAGAIN) return "recv failed on " + std::to_string(i) + ": " + std::strerror(errno);
        for (ssize_t k = 0; k < r; ++k)
          if (in[static_cast<std::size_t>(k)] != expected(i, c.received + static_cast<std::size_t>(k)))
            return "byte " + std::to_string(c.received + static_cast<std::size_t>(k)) + " of connection " +
                   std::to_string(i) + " differs";
        if (r > 0) {
          c.received += static_cast<std::size_t>(r);
          if (c.received > c.sent) return "connection " + std::to_string(i) + " got more than it sent";
          if (c.received == per_conn) ++done;
        }
      }
    }
  }
  return "";
}

// 100 connections x 1 MiB (scaled down in sanitizer builds) through an echo actor.
TEST_P(NetEcho, HundredConnectionsEchoRandomBytes) {
  NetEngine ne = make_net_engine(GetParam());
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  ServerState state;
  ne.engine->spawn<EchoServer>(state);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)))
      << "listen failed: " << std::strerror(state.listen_error.load());
  const std::size_t per_conn = scale(1 << 20);
  EXPECT_EQ(echo_clients(state.port.load(), 100, per_conn, std::chrono::seconds(30)), "");
  EXPECT_TRUE(wait_until([&] { return state.closed.load() == 100; }, std::chrono::seconds(5)))
      << "closed " << state.closed.load();
  auto stats = ne.engine->stats();
  EXPECT_EQ(stats.get("net_accepts"), 100u);
  EXPECT_EQ(stats.get("net_bytes_in"), 100 * per_conn);
  EXPECT_EQ(stats.get("net_bytes_out"), 100 * per_conn);
  EXPECT_EQ(state.errors.load(), 0u);
  std::printf("%s: syscalls %llu, polls %llu, events %llu, direct writes %llu, setup fallbacks %llu\n",
              GetParam().c_str(), (unsigned long long)stats.get("net_syscalls"),
              (unsigned long long)stats.get("net_polls"), (unsigned long long)stats.get("net_events"),
              (unsigned long long)stats.get("net_direct_writes"), (unsigned long long)stats.get("net_setup_fallbacks"));
  ne.engine->stop();
  EXPECT_EQ(ne.engine->stats().get("net_sockets_open"), 0u);
}

// More connections than provided buffers (uring: 4 buffers of 4 KiB for 64
// connections): recv runs out of buffers (ENOBUFS) and re-arms as they come
// back; no byte is lost. On epoll the options do not apply: a plain echo.
TEST_P(NetEcho, BufferRingExhaustionLosesNothing) {
  io::NetOptions options;
  options.backend.uring_buffers = 4;
  options.backend.uring_buffer_size = 4096;
  NetEngine ne = make_net_engine(GetParam(), options);
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  ServerState state;
  ne.engine->spawn<EchoServer>(state);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
  // Not scaled below 64 KiB: the ring must run dry even in sanitizer builds.
  const std::size_t per_conn = std::max<std::size_t>(scale(256 * 1024), 64 * 1024);
  EXPECT_EQ(echo_clients(state.port.load(), 64, per_conn, std::chrono::seconds(30)), "");
  auto stats = ne.engine->stats();
  EXPECT_EQ(stats.get("net_bytes_in"), 64 * per_conn);
  if (GetParam().rfind("uring", 0) == 0) {
    EXPECT_GT(stats.get("net_enobufs"), 0u) << "the ring never ran dry: the test tests nothing";
    EXPECT_GT(stats.get("net_rearms"), 0u);
  }
}

// An actor connects through the SocketApi to the echo server, sends, reads
// the echo back, closes: kConnected, data and kClosed arrive in that order.
class Connector : public core::Actor {
 public:
  Connector(uint16_t port, std::atomic<int>& result) : port_(port), result_(result) {}
  void on_start(core::Context& ctx) override {
    int error = 0;
    socket_ = ctx.sockets()->connect(ctx.self(), "127.0.0.1", port_, &error);
    if (!socket_.valid()) result_.store(-error - 1000);
    // Sent before the connection is up: queued until it is.
    ctx.sockets()->send(socket_, std::as_bytes(std::span(kText, 5)));
  }
  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type == core::kTypeSocketEvent) {
      auto ev = msg.as<core::SocketEvent>();
      if (ev.kind == core::SocketEventKind::kConnected) {
        if (step_ != 0) result_.store(-1);
        step_ = 1;
        ctx.sockets()->send(socket_, std::as_bytes(std::span(kText + 5, 6)));
      } else if (ev.kind == core::SocketEventKind::kClosed) {
        result_.store(got_ == "hello world" && step_ == 2 ? 1 : -2);
      } else {
        result_.store(-3);
      }
    } else if (msg.type == core::kTypeSocketData) {
      got_.append(reinterpret_cast<const char*>(msg.data()), msg.size());
      if (got_.size() >= 11) {
        step_ = 2;
        ctx.sockets()->close(socket_);
      }
    }
  }

 private:
  static constexpr char kText[] = "hello world";
  uint16_t port_;
  std::atomic<int>& result_;
  core::SocketId socket_;
  int step_ = 0;
  std::string got_;
};

TEST_P(NetEcho, ConnectSendReceiveClose) {
  NetEngine ne = make_net_engine(GetParam());
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  ServerState state;
  ne.engine->spawn<EchoServer>(state);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
  std::atomic<int> result{0};
  ne.engine->spawn<Connector>(state.port.load(), result);
  ASSERT_TRUE(wait_until([&] { return result.load() != 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(result.load(), 1);
  EXPECT_EQ(ne.engine->stats().get("net_connects"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, NetEcho, all_drivers(), backend_name);

}  // namespace
