// load_test.cpp: the load generator (bench/net/net_load) against a tiny poll()
// echo server living in the test: closed loop with a message count (also
// with zero-length messages), closed loop over a duration, open loop at a fixed rate (about rate x duration
// measured), and a server that alters one byte or closes early failing the
// run with a clear error.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "bench/net/net_load.hpp"

namespace actorlab::bench {
namespace {

// Echoes raw bytes on 127.0.0.1:<port()> until destroyed. corrupt_at >= 0
// flips the byte at that offset of the first connection's stream;
// close_after > 0 closes every connection after echoing that many bytes.
class TinyEchoServer {
 public:
  explicit TinyEchoServer(long corrupt_at = -1, long close_after = 0)
      : corrupt_at_(corrupt_at), close_after_(close_after) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 512);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyEchoServer() {
    stop_.store(true);
    thread_.join();
    for (auto& p : fds_) ::close(p.fd);
  }
  uint16_t port() const { return port_; }

 private:
  void loop() {
    fds_.push_back({listen_fd_, POLLIN, 0});
    std::vector<long> echoed(1, 0);
    char buf[65536];
    while (!stop_.load()) {
      if (::poll(fds_.data(), fds_.size(), 20) <= 0) continue;
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (!(fds_[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (i == 0) {
          const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (fd >= 0) {
            fds_.push_back({fd, POLLIN, 0});
            echoed.push_back(0);
          }
          continue;
        }
        const ssize_t n = ::recv(fds_[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          fds_[i].events = 0;
          continue;
        }
        for (ssize_t k = 0; k < n; ++k)
          if (i == 1 && echoed[i] + k == corrupt_at_) buf[k] ^= 1;
        // Blocking send: fine for a test server at these rates.
        ::send(fds_[i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        echoed[i] += n;
        if (close_after_ > 0 && echoed[i] >= close_after_) {
          ::shutdown(fds_[i].fd, SHUT_RDWR);
          fds_[i].events = 0;
        }
      }
    }
  }

  long corrupt_at_;
  long close_after_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<pollfd> fds_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Load, ClosedLoopWithACountVerifiesEveryEcho) {
  TinyEchoServer server;
  LoadOptions o;
  o.port = server.port();
  o.connections = 10;
  o.size = 100;
  o.messages = 2003;  // not a multiple of the connections
  o.threads = 2;
  o.max_run_s = 20;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.echoed, 2003u);
  EXPECT_EQ(r.sent, 2003u);
  EXPECT_EQ(r.measured, 2003u);
  EXPECT_EQ(r.latency.count(), 2003u);
  EXPECT_GT(r.msgs_per_second(), 0.0);
}

TEST(Load, ZeroLengthMessages) {
  TinyEchoServer server;
  LoadOptions o;
  o.port = server.port();
  o.connections = 3;
  o.size = 0;  // frames of a bare 4-byte header
  o.messages = 300;
  o.max_run_s = 20;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.echoed, 300u);
}

TEST(Load, ClosedLoopOverADurationMeasuresOnlyTheWindow) {
  TinyEchoServer server;
  LoadOptions o;
  o.port = server.port();
  o.connections = 4;
  o.size = 4096;
  o.duration_s = 0.3;
  o.warmup_s = 0.1;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.measured, 0u);
  EXPECT_LT(r.measured, r.echoed);  // the warm-up's echoes are checked, not measured
  EXPECT_EQ(r.sent, r.echoed);
  EXPECT_EQ(r.window_ns, 300'000'000u);
}

TEST(Load, OpenLoopKeepsItsRate) {
  TinyEchoServer server;
  LoadOptions o;
  o.port = server.port();
  o.connections = 5;
  o.size = 16;
  o.rate = 2000;
  o.duration_s = 0.5;
  o.warmup_s = 0.1;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  // 2000/s for 0.5 s: 1000 messages intended in the window (a few at the edges).
  EXPECT_GE(r.measured, 990u);
  EXPECT_LE(r.measured, 1010u);
  EXPECT_EQ(r.sent, r.echoed);
}

TEST(Load, AnAlteredByteFailsTheRun) {
  TinyEchoServer server(/*corrupt_at=*/150);
  LoadOptions o;
  o.port = server.port();
  o.connections = 1;
  o.size = 64;
  o.messages = 100;
  o.max_run_s = 10;
  const LoadResult r = run_load(o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("differs"), std::string::npos) << r.error;
}

TEST(Load, AServerThatClosesFailsTheRun) {
  TinyEchoServer server(-1, /*close_after=*/680);
  LoadOptions o;
  o.port = server.port();
  o.connections = 2;
  o.size = 64;
  o.messages = 1000;
  o.max_run_s = 10;
  const LoadResult r = run_load(o);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("closed by the server"), std::string::npos) << r.error;
}

TEST(Load, BadOptionsAreRefused) {
  LoadOptions o;
  EXPECT_TRUE(validate(o).has_value());  // no port
  o.port = 1;
  EXPECT_FALSE(validate(o).has_value());
  o.rate = 10;
  o.messages = 5;
  EXPECT_TRUE(validate(o).has_value());
  LoadOptions refused;
  refused.port = 1;  // nothing listens on port 1
  refused.connections = 1;
  const LoadResult r = run_load(refused);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace actorlab::bench
