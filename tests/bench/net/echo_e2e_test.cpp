// echo_e2e_test.cpp: the echo service on the real net thread, per backend
// (epoll, uring), on 127.0.0.1 only: the load generator's closed loop over
// 100 connections (64 B) and 10 connections (4 KiB) with every byte checked;
// an oversize frame closing its connection with a counted error while the
// other connections go on; the `echo` bench workload (1 connection x 64 B,
// 1000 connections x 4 KiB). A backend the kernel refuses (io_uring
// disabled) is skipped with a note; one the build refuses fails.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include "bench/net/net_load.hpp"
#include "bench/net/net_services.hpp"
#include "bench/workloads/workload.hpp"
#include "tests/bench/net/service_fixture.hpp"
#include "bench/net/framing.hpp"
#include "io/net.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {
namespace {

class EchoEndToEnd : public ServiceTest {
 protected:
  EchoEndToEnd() : ServiceTest(2) {}
  bool start(uint32_t max_frame = io::kDefaultMaxFrameBytes) {
    core::Config config;
    config.threads = 2;
    config.backend = GetParam();
    NetServiceOptions options;
    options.max_frame = max_frame;
    return start_service(config, options);
  }
};

TEST_P(EchoEndToEnd, HundredConnectionsClosedLoop) {
  START_OR_SKIP();
  LoadOptions o;
  o.port = port_;
  o.connections = 100;
  o.size = 64;
  o.messages = 20'000;
  o.max_run_s = 30;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.echoed, 20'000u);
  engine_->stop();
  EXPECT_EQ(stats_.get(NetServiceStats::k_messages), 20'000u);
  EXPECT_EQ(stats_.get(NetServiceStats::k_accepted), 100u);
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 0u);
}

TEST_P(EchoEndToEnd, FourKiBMessagesOverADuration) {
  START_OR_SKIP();
  LoadOptions o;
  o.port = port_;
  o.connections = 10;
  o.size = 4096;
  o.duration_s = 0.5;
  o.warmup_s = 0.1;
  o.threads = 2;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.measured, 0u);
  EXPECT_EQ(r.sent, r.echoed);
}

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

TEST_P(EchoEndToEnd, OversizeFrameClosesOnlyThatConnection) {
  START_OR_SKIP(1000);
  const int bad = connect_to(port_);
  ASSERT_GE(bad, 0);
  std::vector<std::byte> bytes;
  io::append_frame(bytes, std::vector<std::byte>(1001, std::byte{7}));
  ASSERT_EQ(::send(bad, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  // The server closes: recv ends with EOF or a reset, not a timeout.
  char buf[64];
  ssize_t n;
  while ((n = ::recv(bad, buf, sizeof buf, 0)) > 0) {
  }
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << std::strerror(errno);
  ::close(bad);
  // Everyone else is still served.
  LoadOptions o;
  o.port = port_;
  o.connections = 4;
  o.size = 1000;
  o.messages = 400;
  o.max_run_s = 20;
  const LoadResult r = run_load(o);
  ASSERT_TRUE(r.ok) << r.error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (stats_.get(NetServiceStats::k_closed) < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(stats_.get(NetServiceStats::k_oversize_frames), 1u);
  EXPECT_GE(stats_.get(NetServiceStats::k_closed), 1u);
}

TEST_P(EchoEndToEnd, EchoWorkloadSelfChecks) {
  const Workload* echo = find_workload("echo");
  ASSERT_NE(echo, nullptr);
  core::Config config;
  config.threads = 2;
  config.backend = GetParam();
  const std::pair<const char*, const char*> cases[] = {{"1", "64"}, {"1000", "4096"}};
  for (const auto& [connections, size] : cases) {
    WorkloadParams params;
    params.count = 3000;
    params.values = {{"connections", connections}, {"size", size}};
    const WorkloadResult r = echo->run(config, params);
    if (!r.ok && r.error.find("backend unavailable") != std::string::npos) GTEST_SKIP() << r.error;
    ASSERT_TRUE(r.ok) << connections << " connections: " << r.error;
    EXPECT_EQ(r.operations, 3000u);
    ASSERT_TRUE(r.latency.has_value());
    EXPECT_EQ(r.latency->count(), 3000u);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EchoEndToEnd, ::testing::Values("epoll", "uring"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace actorlab::bench
