// net_zero_copy_test.cpp: zero-copy reads (--zero-copy-reads), every backend
// and driver. Guards: an adopted read whose bytes are wrong or reordered (a
// buffer given back to the ring while its message still reads it: the
// kernel then overwrites it), a buffer never given back (the ring shrinks
// until the socket starves: the run stalls), or given back twice (counted:
// returned must equal adopted), and actors that keep their messages taking
// more than half the ring (then other reads could starve) or stalling the
// socket. epoll never adopts (it reads into one buffer per recv).
// Threads: the engine's workers (or net thread) and the test's main thread
// as the blocking client.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/io/net_support.hpp"

namespace {

using namespace net_support;

std::byte pattern(std::size_t k) { return static_cast<std::byte>((k * 131 + (k >> 9)) & 0xff); }

bool is_uring(const std::string& param) { return param.rfind("uring", 0) == 0; }

// The client's side of the exchange: writes `total` bytes of the pattern
// in 4 KiB writes from a thread while this one reads `echoed` bytes back.
void send_pattern(int fd, std::size_t total) {
  std::vector<std::byte> chunk(4096);
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t n = std::min(chunk.size(), total - sent);
    for (std::size_t k = 0; k < n; ++k) chunk[k] = pattern(sent + k);
    ASSERT_TRUE(write_all(fd, chunk.data(), n));
    sent += n;
  }
}

class NetZeroCopy : public ::testing::TestWithParam<std::string> {};

TEST_P(NetZeroCopy, LargeReadsEchoInPlaceAndEveryBufferComesBack) {
  io::NetOptions options;
  options.backend.zero_copy_reads = 512;
  NetEngine ne = make_net_engine(GetParam(), options);
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  ServerState state;
  ne.engine->spawn<EchoServer>(state);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
  io::UniqueFd client = connect_client(state.port.load());
  ASSERT_TRUE(client.valid());
  const std::size_t total = 4u << 20;
  std::thread writer([&] { send_pattern(client.get(), total); });
  std::vector<std::byte> back(64 * 1024);
  std::size_t got = 0, wrong = 0;
  while (got < total) {
    const ssize_t n = ::recv(client.get(), back.data(), std::min(back.size(), total - got), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t k = 0; k < n; ++k)
      if (back[static_cast<std::size_t>(k)] != pattern(got + static_cast<std::size_t>(k))) ++wrong;
    got += static_cast<std::size_t>(n);
  }
  writer.join();
  EXPECT_EQ(got, total) << "echo stopped early";
  EXPECT_EQ(wrong, 0u) << "echoed bytes differ: a buffer reused while its message still read it?";
  client.reset();
  const auto settled = [&] {
    const auto s = ne.engine->stats();
    return s.get("net_buffers_returned") == s.get("net_adopted_reads");
  };
  EXPECT_TRUE(wait_until(settled, std::chrono::seconds(5))) << "an adopted buffer never came back";
  const auto stats = ne.engine->stats();
  if (is_uring(GetParam())) EXPECT_GT(stats.get("net_adopted_reads"), 0u) << "nothing adopted: vacuous";
  else EXPECT_EQ(stats.get("net_adopted_reads"), 0u);
  ne.engine->stop();
}

// Keeps every data message until `total` bytes came, then checks them,
// answers one byte and lets them go.
struct HoardState {
  std::atomic<uint16_t> port{0};
  std::atomic<uint32_t> max_adopted_held{0};
  std::atomic<uint32_t> wrong{0};
  std::atomic<bool> answered{false};
};

class Hoarder : public core::Actor {
 public:
  Hoarder(HoardState& state, std::size_t total) : state_(state), total_(total) {}
  void on_start(core::Context& ctx) override { listen_on_loopback(ctx, state_.port); }
  void on_message(core::Context& ctx, core::Message& msg) override {
    core::SocketApi& net = *ctx.sockets();
    if (msg.type == core::kTypeSocketEvent) {
      const auto ev = msg.as<core::SocketEvent>();
      if (ev.kind == core::SocketEventKind::kAccepted) net.start(ev.other, ctx.self());
      return;
    }
    if (msg.type != core::kTypeSocketData) return;
    socket_ = msg.session;
    bytes_ += msg.size();
    if (msg.adopted_payload()) ++adopted_held_;
    state_.max_adopted_held.store(std::max(state_.max_adopted_held.load(), adopted_held_));
    held_.push_back(std::move(msg));
    if (bytes_ < total_) return;
    std::size_t at = 0;
    for (const core::Message& m : held_)
      for (std::byte b : m.bytes())
        if (b != pattern(at++)) state_.wrong.fetch_add(1);
    held_.clear();  // every adopted buffer goes back here
    adopted_held_ = 0;
    const std::byte ok{1};
    net.send(core::SocketId::from_value(socket_), std::span<const std::byte>(&ok, 1));
    state_.answered.store(true);
  }

 private:
  HoardState& state_;
  const std::size_t total_;
  std::size_t bytes_ = 0;
  uint32_t adopted_held_ = 0;
  uint64_t socket_ = 0;
  std::vector<core::Message> held_;
};

// uring_buffers = ring: an actor keeps every read; at most half the ring is
// adopted, the rest are copied, and the socket keeps reading.
void hoard(const std::string& param, uint32_t ring) {
  io::NetOptions options;
  options.backend.zero_copy_reads = 1;
  options.backend.uring_buffers = ring;
  options.backend.uring_buffer_size = 4096;
  options.read_budget = 64u << 20;  // no pause: the point is the ring
  NetEngine ne = make_net_engine(param, options);
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  HoardState state;
  const std::size_t total = 512 * 1024;
  ne.engine->spawn<Hoarder>(state, total);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
  io::UniqueFd client = connect_client(state.port.load());
  ASSERT_TRUE(client.valid());
  send_pattern(client.get(), total);
  std::byte answer{};
  ASSERT_TRUE(read_exact(client.get(), &answer, 1)) << "no answer: the socket stalled while the actor kept its reads";
  EXPECT_EQ(state.wrong.load(), 0u);
  EXPECT_LE(state.max_adopted_held.load(), ring / 2) << "more than half the ring adopted at once";
  if (is_uring(param) && ring >= 2) EXPECT_GT(state.max_adopted_held.load(), 0u) << "nothing adopted: vacuous";
  if (!is_uring(param)) EXPECT_EQ(state.max_adopted_held.load(), 0u);
  const auto settled = [&] {
    const auto s = ne.engine->stats();
    return s.get("net_buffers_returned") == s.get("net_adopted_reads");
  };
  EXPECT_TRUE(wait_until(settled, std::chrono::seconds(5))) << "an adopted buffer never came back";
  ne.engine->stop();
}

TEST_P(NetZeroCopy, KeptReadsHoldAtMostHalfOfAnEightBufferRing) { hoard(GetParam(), 8); }
TEST_P(NetZeroCopy, KeptReadsHoldAtMostHalfOfATwoBufferRing) { hoard(GetParam(), 2); }

INSTANTIATE_TEST_SUITE_P(Backends, NetZeroCopy, all_drivers(), backend_name);

}  // namespace
