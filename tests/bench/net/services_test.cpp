// services_test.cpp: the echo and http service actors (bench/net/net_services)
// against a fake SocketApi, so their logic is tested without a net thread:
// frames echoed byte-exact across any split, raw echo, an oversize frame
// closing the connection with a counted error, the peer's EOF answered by
// close(), the connection actor ending on kClosed or kError, HTTP
// keep-alive / Connection: close / 400 answers, and the timeouts (a head
// dribbled byte by byte closed at the header timeout; complete requests
// clearing the head deadline, then the idle timeout closing).
// Threads: the engine's workers run the actors; the test thread plays the
// net thread (FakeSockets is locked).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "bench/net/net_services.hpp"
#include "bench/net/framing.hpp"
#include "sched/select.hpp"

namespace actorlab::bench {
namespace {

using core::SocketEvent;
using core::SocketEventKind;
using core::SocketId;

// Records what the services ask of the socket layer.
class FakeSockets final : public core::SocketApi {
 public:
  SocketId listen(core::ActorId owner, std::string_view, uint16_t, int*) noexcept override {
    std::lock_guard lock(mutex_);
    listener_owner_ = owner;
    return SocketId::from_value(1);
  }
  uint16_t bound_port(SocketId) const noexcept override { return 4242; }
  SocketId connect(core::ActorId, std::string_view, uint16_t, int* error) noexcept override {
    *error = ENOTSUP;
    return {};
  }
  void start(SocketId socket, core::ActorId owner) noexcept override {
    std::lock_guard lock(mutex_);
    owners_[socket.value()] = owner;
  }
  core::SocketStatus send(SocketId socket, std::span<const std::byte> bytes) noexcept override {
    std::lock_guard lock(mutex_);
    if (send_status_ != core::SocketStatus::kOk) return send_status_;
    sent_[socket.value()].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return core::SocketStatus::kOk;
  }
  void set_send_status(core::SocketStatus status) {
    std::lock_guard lock(mutex_);
    send_status_ = status;
  }
  void close(SocketId socket) noexcept override {
    std::lock_guard lock(mutex_);
    closed_.insert(socket.value());
  }
  void shutdown_write(SocketId) noexcept override {}

  core::ActorId listener_owner() {
    std::lock_guard lock(mutex_);
    return listener_owner_;
  }
  core::ActorId owner(uint32_t socket) {
    std::lock_guard lock(mutex_);
    auto it = owners_.find(socket);
    return it == owners_.end() ? core::kNoActor : it->second;
  }
  std::string sent(uint32_t socket) {
    std::lock_guard lock(mutex_);
    return sent_[socket];
  }
  bool closed(uint32_t socket) {
    std::lock_guard lock(mutex_);
    return closed_.count(socket) != 0;
  }

 private:
  std::mutex mutex_;
  core::ActorId listener_owner_;
  std::map<uint32_t, core::ActorId> owners_;
  std::map<uint32_t, std::string> sent_;
  std::set<uint32_t> closed_;
  core::SocketStatus send_status_ = core::SocketStatus::kOk;
};

template <class F>
bool eventually(F&& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

class ServiceTest : public ::testing::Test {
 protected:
  void start(const NetServiceOptions& options) {
    core::Config config;
    config.threads = 2;
    engine_ = sched::make_engine(config);
    engine_->runtime().attach_sockets(&fake_);
    auto listening = spawn_net_service(*engine_, options, stats_);
    engine_->start();
    ASSERT_EQ(listening.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const ListenResult r = listening.get();
    ASSERT_TRUE(r.socket.valid());
    EXPECT_EQ(r.port, 4242);
  }
  // Delivers kAccepted for `socket` to the listener; returns the connection actor.
  core::ActorId accept(uint32_t socket) {
    const SocketEvent ev{SocketEventKind::kAccepted, SocketId::from_value(1), SocketId::from_value(socket), 0};
    engine_->send(fake_.listener_owner(), core::Message::of(core::kTypeSocketEvent, ev, 1));
    EXPECT_TRUE(eventually([&] { return fake_.owner(socket).valid(); }));
    return fake_.owner(socket);
  }
  void data(core::ActorId to, uint32_t socket, std::string_view bytes) {
    engine_->send(to, core::Message(core::kTypeSocketData, socket, bytes.data(), bytes.size()));
  }
  void event(core::ActorId to, uint32_t socket, SocketEventKind kind, int error = 0) {
    const SocketEvent ev{kind, SocketId::from_value(socket), {}, error};
    engine_->send(to, core::Message::of(core::kTypeSocketEvent, ev, socket));
  }
  void TearDown() override {
    if (engine_) engine_->stop();
  }

  FakeSockets fake_;
  NetServiceStats stats_{2};
  std::unique_ptr<core::Engine> engine_;
};

std::string frame(const std::string& payload) {
  std::vector<std::byte> out;
  io::append_frame(out, std::as_bytes(std::span(payload.data(), payload.size())));
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

TEST_F(ServiceTest, EchoFramesAcrossRandomSplits) {
  NetServiceOptions options;
  start(options);
  const core::ActorId conn = accept(7);
  std::mt19937_64 rng(99);
  std::string stream;
  for (int i = 0; i < 300; ++i) {
    std::string payload(rng() % 200, '\0');
    for (auto& c : payload) c = static_cast<char>(rng());
    stream += frame(payload);
  }
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t piece = std::min<std::size_t>(stream.size() - at, 1 + rng() % 700);
    data(conn, 7, std::string_view(stream).substr(at, piece));
    at += piece;
  }
  ASSERT_TRUE(eventually([&] { return fake_.sent(7).size() >= stream.size(); }));
  EXPECT_EQ(fake_.sent(7), stream);
  EXPECT_EQ(stats_.get(NetServiceStats::k_messages), 300u);
  EXPECT_EQ(stats_.get(NetServiceStats::k_accepted), 1u);
  EXPECT_FALSE(fake_.closed(7));
  // The peer closes: the actor counts it and exits.
  event(conn, 7, SocketEventKind::kClosed);
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
}

TEST_F(ServiceTest, OversizeFrameClosesTheConnectionAndIsCounted) {
  NetServiceOptions options;
  options.max_frame = 100;
  start(options);
  const core::ActorId conn = accept(7);
  const std::string good = frame(std::string(100, 'a'));
  const std::string bad = frame(std::string(101, 'b'));
  data(conn, 7, good + bad + good);
  ASSERT_TRUE(eventually([&] { return fake_.closed(7); }));
  EXPECT_EQ(fake_.sent(7), good);  // the frame before the bad one, nothing after
  EXPECT_EQ(stats_.get(NetServiceStats::k_oversize_frames), 1u);
  data(conn, 7, good);  // data racing the close is ignored
  event(conn, 7, SocketEventKind::kClosed);
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
  EXPECT_EQ(fake_.sent(7), good);
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 0u);
}

TEST_F(ServiceTest, PeerEofClosesAfterTheEchoes) {
  NetServiceOptions options;
  start(options);
  const core::ActorId conn = accept(5);
  const std::string f = frame("last words");
  data(conn, 5, f);
  event(conn, 5, SocketEventKind::kEof);
  ASSERT_TRUE(eventually([&] { return fake_.closed(5); }));
  EXPECT_EQ(fake_.sent(5), f);  // echoed before the close was asked
  EXPECT_EQ(stats_.get(NetServiceStats::k_closed), 0u);
  event(conn, 5, SocketEventKind::kClosed);
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 0u);
}

TEST_F(ServiceTest, RawEchoAndSocketErrorsAreCounted) {
  NetServiceOptions options;
  options.framing = Framing::kRaw;
  start(options);
  const core::ActorId conn = accept(3);
  data(conn, 3, "hello ");
  data(conn, 3, "");
  data(conn, 3, "world");
  ASSERT_TRUE(eventually([&] { return fake_.sent(3).size() >= 11; }));
  EXPECT_EQ(fake_.sent(3), "hello world");
  event(conn, 3, SocketEventKind::kError, ECONNRESET);
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 1u);
}

TEST_F(ServiceTest, ABrokenSocketEndsTheActorOnItsError) {
  NetServiceOptions options;
  start(options);
  const core::ActorId conn = accept(4);
  fake_.set_send_status(core::SocketStatus::kDead);  // a write failed: the socket broke
  data(conn, 4, frame("x"));
  event(conn, 4, SocketEventKind::kError, EPIPE);  // no kClosed follows: close() was not asked
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 1u);
  EXPECT_FALSE(fake_.closed(4));
}

TEST_F(ServiceTest, AFullSendQueueClosesTheConnection) {
  NetServiceOptions options;
  start(options);
  const core::ActorId conn = accept(4);
  fake_.set_send_status(core::SocketStatus::kNoMemory);
  data(conn, 4, frame("x"));
  ASSERT_TRUE(eventually([&] { return fake_.closed(4); }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_send_refused), 1u);
  event(conn, 4, SocketEventKind::kError, ECONNRESET);  // after close(): kClosed still follows
  event(conn, 4, SocketEventKind::kClosed);
  EXPECT_TRUE(eventually([&] { return stats_.get(NetServiceStats::k_closed) == 1; }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_socket_errors), 0u);
}

TEST_F(ServiceTest, HttpKeepAliveThenClose) {
  NetServiceOptions options;
  options.kind = NetServiceKind::kHttp;
  start(options);
  const core::ActorId conn = accept(9);
  data(conn, 9, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n");
  data(conn, 9, "\r\n");
  const std::string ok =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world\n";
  ASSERT_TRUE(eventually([&] { return fake_.sent(9).size() >= 2 * ok.size(); }));
  EXPECT_EQ(fake_.sent(9), ok + ok);
  EXPECT_FALSE(fake_.closed(9));
  data(conn, 9, "HEAD / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return fake_.closed(9); }));
  EXPECT_EQ(fake_.sent(9), ok + ok +
                               "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
                               "Connection: close\r\n\r\n");
  EXPECT_EQ(stats_.get(NetServiceStats::k_messages), 3u);
}

TEST_F(ServiceTest, HttpBadRequestGets400AndClose) {
  NetServiceOptions options;
  options.kind = NetServiceKind::kHttp;
  start(options);
  const core::ActorId conn = accept(9);
  data(conn, 9, "BROKEN\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return fake_.closed(9); }));
  EXPECT_EQ(fake_.sent(9).rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << fake_.sent(9);
  EXPECT_NE(fake_.sent(9).find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(stats_.get(NetServiceStats::k_bad_requests), 1u);
}

// Slowloris dribbling: a client sending one byte of its head every 40 ms
// must not push the header deadline back (each read would, if the stamp
// followed the last byte instead of the head's first). Closed at ~300 ms.
TEST_F(ServiceTest, HttpHeadDribbledByteByByteIsClosedAtTheHeaderTimeout) {
  NetServiceOptions options;
  options.kind = NetServiceKind::kHttp;
  options.header_timeout_ns = 300'000'000;
  options.idle_timeout_ns = 0;
  start(options);
  const core::ActorId conn = accept(9);
  const auto started = std::chrono::steady_clock::now();
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz";
  for (std::size_t i = 0; i < head.size() && !fake_.closed(9); ++i) {
    data(conn, 9, head.substr(i, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  ASSERT_TRUE(eventually([&] { return fake_.closed(9); }));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::milliseconds(900));
  EXPECT_EQ(stats_.get(NetServiceStats::k_header_timeouts), 1u);
  EXPECT_EQ(fake_.sent(9), "");
}

// Keep-alive: a whole request clears the head deadline, so a client that
// completes requests every 60 ms outlives several header timeouts (100 ms),
// and is closed by the idle timeout (250 ms) once it stops.
TEST_F(ServiceTest, HttpCompleteHeadsClearTheHeaderDeadlineThenIdleCloses) {
  NetServiceOptions options;
  options.kind = NetServiceKind::kHttp;
  options.header_timeout_ns = 100'000'000;
  options.idle_timeout_ns = 250'000'000;
  start(options);
  const core::ActorId conn = accept(9);
  for (int i = 0; i < 8; ++i) {
    data(conn, 9, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
  EXPECT_FALSE(fake_.closed(9));
  ASSERT_TRUE(eventually([&] { return fake_.closed(9); }));
  EXPECT_EQ(stats_.get(NetServiceStats::k_idle_timeouts), 1u);
  EXPECT_EQ(stats_.get(NetServiceStats::k_header_timeouts), 0u);
  EXPECT_EQ(stats_.get(NetServiceStats::k_messages), 8u);
}

TEST(NetServiceStats, SumsWorkersAndNamesEveryCounter) {
  NetServiceStats stats(3);
  stats.add(0, NetServiceStats::k_bytes_in, 5);
  stats.add(2, NetServiceStats::k_bytes_in, 7);
  stats.add(-1, NetServiceStats::k_bytes_in, 1);  // outside the workers: slot 0
  stats.add(9, NetServiceStats::k_bytes_in, 1);   // wraps
  EXPECT_EQ(stats.get(NetServiceStats::k_bytes_in), 14u);
  const auto all = stats.snapshot();
  EXPECT_EQ(all.size(), static_cast<std::size_t>(NetServiceStats::kCount));
  EXPECT_EQ(all.at("bytes_in"), 14u);
  EXPECT_THROW(parse_framing("lines"), core::ConfigError);
  EXPECT_EQ(parse_framing("raw"), Framing::kRaw);
}

}  // namespace
}  // namespace actorlab::bench
