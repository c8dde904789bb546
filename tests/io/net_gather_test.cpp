// net_gather_test.cpp: gathered sends (--send-gather), every backend and
// driver. Guards: the driver writing several queued frames in one sendmsg
// and losing, repeating or reordering bytes when the kernel takes part of the
// sequence (a cut inside a frame, or exactly at a frame's end), and on_sent
// popping too many or too few frames. The server queues 2,000 numbered
// frames of 1..8 KiB (direct writes off, so every frame goes through the
// queue) to a client that reads nothing at first: the socket blocks, the
// queue grows, and each EPOLLOUT then writes a gathered run cut wherever the
// kernel's buffer ends. The client checks every byte. With --send-gather=1
// the same holds and no send is gathered (the knob switches it off).
#include <gtest/gtest.h>

#include <fcntl.h>

#include <chrono>
#include <thread>

#include "tests/io/net_support.hpp"

namespace {

using namespace net_support;

constexpr int kFrames = 2000;

// Frame i: its size 1 KiB .. 8 KiB (varied so cuts fall anywhere), every byte from (i, offset).
std::size_t frame_size(int i) { return 1024 + static_cast<std::size_t>((i * 2654435761u) % 7169); }
std::byte frame_byte(int i, std::size_t k) { return static_cast<std::byte>((i * 31 + k * 7) & 0xff); }

struct GatherState {
  std::atomic<uint16_t> port{0};
  std::atomic<int> queued{0};      // frames the actor's send() accepted
  std::atomic<int> refused{0};
};

// On accept: queues every frame, then closes (the close flushes the queue first).
class Burst : public core::Actor {
 public:
  explicit Burst(GatherState& state) : state_(state) {}
  void on_start(core::Context& ctx) override { listen_on_loopback(ctx, state_.port); }
  void on_message(core::Context& ctx, core::Message& msg) override {
    if (msg.type != core::kTypeSocketEvent) return;
    const auto ev = msg.as<core::SocketEvent>();
    if (ev.kind != core::SocketEventKind::kAccepted) return;
    core::SocketApi& net = *ctx.sockets();
    net.start(ev.other, ctx.self());
    std::vector<std::byte> frame;
    for (int i = 0; i < kFrames; ++i) {
      frame.resize(frame_size(i));
      for (std::size_t k = 0; k < frame.size(); ++k) frame[k] = frame_byte(i, k);
      if (net.send(ev.other, frame) == core::SocketStatus::kOk) state_.queued.fetch_add(1);
      else state_.refused.fetch_add(1);
    }
    net.close(ev.other);
  }

 private:
  GatherState& state_;
};

class NetGather : public ::testing::TestWithParam<std::string> {
 protected:
  void run(uint32_t gather, bool expect_gathered) {
    io::NetOptions options;
    options.direct_writes = 0;
    options.send_gather = gather;
    NetEngine ne = make_net_engine(GetParam(), options);
    if (!ne.engine) GTEST_SKIP() << ne.skip;
    GatherState state;
    ne.engine->spawn<Burst>(state);
    ne.engine->start();
    ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
    io::UniqueFd client = client_socket();
    const int small = 16 * 1024;  // a small receive buffer: the server's socket blocks early
    ::setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    ASSERT_TRUE(connect_to(client.get(), state.port.load()));
    ASSERT_TRUE(wait_until([&] { return state.queued.load() + state.refused.load() == kFrames; },
                           std::chrono::seconds(10)));
    ASSERT_EQ(state.refused.load(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the queue block (not needed to pass)
    std::vector<std::byte> buf(9000);
    for (int i = 0; i < kFrames; ++i) {
      const std::size_t size = frame_size(i);
      ASSERT_TRUE(read_exact(client.get(), buf.data(), size)) << "frame " << i;
      for (std::size_t k = 0; k < size; ++k)
        ASSERT_EQ(buf[k], frame_byte(i, k)) << "frame " << i << " byte " << k;
    }
    char extra;
    EXPECT_EQ(::recv(client.get(), &extra, 1, 0), 0) << "EOF after the last frame";
    const auto stats = ne.engine->stats();
    if (GetParam().rfind("epoll", 0) == 0) {
      if (expect_gathered) EXPECT_GT(stats.get("net_gathered_sends"), 0u);
      else EXPECT_EQ(stats.get("net_gathered_sends"), 0u);
    }
    EXPECT_LE(stats.get("net_gathered_frames"), uint64_t{kFrames});
    ne.engine->stop();
  }
};

TEST_P(NetGather, QueuedFramesGoOutGatheredInOrder) { run(64, true); }
TEST_P(NetGather, GatherOneSendsFrameByFrame) { run(1, false); }

INSTANTIATE_TEST_SUITE_P(Backends, NetGather, all_drivers(), backend_name);

}  // namespace
