// net_hostile_test.cpp: the io layer under hostile clients, for
// every backend x driver: socket ids that never come back, read
// backpressure, the send limit and budget, the send timeout, and close()
// racing the slot's reuse. Each test's first comment names what it caught
// on the code before the stale-id, budget and timeout fixes. Loopback only; bounded in time.
// Threads: the test thread, the clients' threads, the server actors (workers).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "io/net_service.hpp"
#include "tests/io/net_support.hpp"

namespace {

using namespace net_support;
using namespace std::chrono_literals;

class NetHostile : public ::testing::TestWithParam<std::string> {};

constexpr uint32_t kPoke = core::kFirstUserType + 1;   // "consume what you hold"
constexpr uint32_t kRetry = core::kFirstUserType + 2;  // "send the refused echoes again"

// A byte of a checkable stream: position i holds pattern(i).
std::byte pattern(std::size_t i) { return static_cast<std::byte>((i * 7 + i / 251) & 0xff); }

// What the recording server tells the test.
struct Recorded {
  std::atomic<uint16_t> port{0};
  std::atomic<uint32_t> accepted{0};
  std::atomic<uint32_t> closed{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint32_t> dead_sends{0};
  std::mutex mutex;
  std::vector<core::SocketId> ids;  // accepted connections, in order (guarded by mutex)
  core::SocketId id(std::size_t i) {
    std::lock_guard guard(mutex);
    return i < ids.size() ? ids[i] : core::SocketId{};
  }
};

// Echo server that records every accepted id. Data waits in unsent_, in
// order: with `hold` until a kPoke arrives (not consumed: its read credit
// stays charged), and an echo the send budget refuses until a kRetry the
// actor sends itself. It never waits inside a turn, where it would keep a
// worker that may have to drive the sockets (--net=worker) from draining the
// budget.
class RecordingEcho : public core::Actor {
 public:
  RecordingEcho(Recorded& state, bool hold) : state_(state), hold_(hold) {}
  void on_start(core::Context& ctx) override {
    listener_ = listen_on_loopback(ctx, state_.port);
  }
  void on_message(core::Context& ctx, core::Message& msg) override {
    core::SocketApi& net = *ctx.sockets();
    if (msg.type == kPoke) {
      hold_ = false;
      flush(ctx, net);  // frees the payloads it sends: the credit goes back
      return;
    }
    if (msg.type == kRetry) {
      retry_posted_ = false;
      flush(ctx, net);
      return;
    }
    if (msg.type == core::kTypeSocketData) {
      state_.bytes.fetch_add(msg.size());
      unsent_.push_back(std::move(msg));
      if (!hold_) flush(ctx, net);
      return;
    }
    if (msg.type != core::kTypeSocketEvent) return;
    const auto ev = msg.as<core::SocketEvent>();
    if (ev.kind == core::SocketEventKind::kAccepted) {
      {
        std::lock_guard guard(state_.mutex);
        state_.ids.push_back(ev.other);
      }
      state_.accepted.fetch_add(1);
      net.start(ev.other, ctx.self());
    } else if (ev.kind == core::SocketEventKind::kEof || ev.kind == core::SocketEventKind::kError) {
      net.close(ev.socket);
    } else if (ev.kind == core::SocketEventKind::kClosed) {
      state_.closed.fetch_add(1);
    }
  }

 private:
  // Echoes what waits, in order, until the budget refuses one.
  void flush(core::Context& ctx, core::SocketApi& net) {
    while (!unsent_.empty()) {
      const core::Message& m = unsent_.front();
      if (net.send(core::SocketId::from_value(m.session), m.bytes()) == core::SocketStatus::kNoMemory) {
        if (!retry_posted_) retry_posted_ = ctx.send(ctx.self(), core::Message(kRetry, 0, nullptr, 0)) ==
                                            core::SendStatus::kOk;
        return;
      }
      unsent_.pop_front();
    }
  }
  Recorded& state_;
  bool hold_;
  bool retry_posted_ = false;
  core::SocketId listener_;
  std::deque<core::Message> unsent_;  // held or refused echoes, oldest first
};

struct Server {
  NetEngine ne;
  Recorded state;
  core::ActorId actor;
};

std::unique_ptr<Server> start_server(const std::string& param, const io::NetOptions& options, bool hold = false,
                                     std::function<void(io::NetService&)> before_start = {}) {
  auto s = std::make_unique<Server>();
  s->ne = make_net_engine(param, options);
  if (!s->ne.engine) return s;
  if (before_start) before_start(*dynamic_cast<io::NetService*>(s->ne.sockets));
  s->actor = s->ne.engine->spawn<RecordingEcho>(s->state, hold);
  s->ne.engine->start();
  wait_until([&] { return s->state.port.load() != 0; }, 5s);
  return s;
}

// Caught: 12-bit generations and a LIFO free list gave connection #4096 the
// id of #1 (with one connection slot every connection reuses it), and a
// send on the old id reached the new client. Here: >= 5000 sequential
// connections through one slot, then send(first id) is kDead and the
// newest client receives only its own echo.
TEST_P(NetHostile, StaleIdNeverReachesANewerClient) {
  io::NetOptions options;
  options.max_sockets = 2;  // the listener and one connection: every connection reuses slot 1
  auto server = start_server(GetParam(), options);
  if (!server->ne.engine) GTEST_SKIP() << server->ne.skip;
  const uint16_t port = server->state.port.load();
  ASSERT_NE(port, 0);
  const uint32_t count = static_cast<uint32_t>(std::max<uint64_t>(scale(5000), 4200));  // past 4096 always
  for (uint32_t i = 0; i < count; ++i) {
    io::UniqueFd c = connect_client(port);
    ASSERT_TRUE(c.valid()) << "connection " << i;
    ASSERT_TRUE(write_all(c.get(), "x", 1));
    char got = 0;
    ASSERT_TRUE(read_exact(c.get(), &got, 1)) << "connection " << i;
    ::shutdown(c.get(), SHUT_WR);
    EXPECT_EQ(read_to_eof(c.get()), "");  // the server closes on EOF
    ASSERT_TRUE(wait_until([&] { return server->state.closed.load() == i + 1; }, 5s)) << "connection " << i;
  }
  io::UniqueFd newest = connect_client(port);
  ASSERT_TRUE(newest.valid());
  ASSERT_TRUE(wait_until([&] { return server->state.accepted.load() == count + 1; }, 5s));
  const core::SocketId first = server->state.id(0), last = server->state.id(count);
  EXPECT_NE(first, last);
  EXPECT_EQ(io::SocketTable::index_of(first), io::SocketTable::index_of(last)) << "not the same slot";
  const std::string stale = "for the first client only";
  EXPECT_EQ(server->ne.sockets->send(first, std::as_bytes(std::span(stale))), core::SocketStatus::kDead);
  EXPECT_GE(server->ne.engine->stats().get("net_stale_ids"), 1u);
  ASSERT_TRUE(write_all(newest.get(), "new", 3));
  char got[3] = {};
  ASSERT_TRUE(read_exact(newest.get(), got, 3));
  EXPECT_EQ(std::string(got, 3), "new") << "bytes for an older socket reached the newest client";
}

// Caught (id layout): a slot whose generation would wrap is retired, never
// handed out again, so no id comes back even then (preset near the end).
TEST_P(NetHostile, SlotRetiresBeforeItsGenerationWraps) {
  io::NetOptions options;
  options.max_sockets = 3;  // the listener (slot 0), slots 1 and 2
  auto server = start_server(GetParam(), options, false, [](io::NetService& net) {
    net.table_for_test().set_generation_for_test(1, io::SocketTable::kMaxGeneration);
  });
  if (!server->ne.engine) GTEST_SKIP() << server->ne.skip;
  for (uint32_t i = 0; i < 4; ++i) {
    io::UniqueFd c = connect_client(server->state.port.load());
    ASSERT_TRUE(c.valid());
    ::shutdown(c.get(), SHUT_WR);
    read_to_eof(c.get());
    ASSERT_TRUE(wait_until([&] { return server->state.closed.load() == i + 1; }, 5s));
  }
  EXPECT_EQ(io::SocketTable::index_of(server->state.id(0)), 1u);
  for (uint32_t i = 1; i < 4; ++i)
    EXPECT_EQ(io::SocketTable::index_of(server->state.id(i)), 2u) << "slot 1 came back after its last generation";
  EXPECT_EQ(server->ne.engine->stats().get("net_slots_retired"), 1u);
}

// Caught: every read became a message however much was queued (a pipelining
// client grew server RSS to GiBs). Here the owner holds every data message;
// the client writes 8 MiB: reading pauses near the 64 KiB budget (bytes in
// and unconsumed bytes stop growing), resumes once the owner frees them,
// and every byte comes back in order.
TEST_P(NetHostile, ReadBackpressureBoundsUnconsumedBytes) {
  io::NetOptions options;
  options.read_budget = 64 * 1024;
  // uring: what the kernel put in provided buffers before the cancel is
  // still delivered; a 256 KiB ring bounds it (epoll: one 64 KiB recv).
  options.backend.uring_buffers = 64;
  options.backend.uring_buffer_size = 4096;
  constexpr uint64_t kBound = 64 * 1024 + 64 * 4096 + 64 * 1024;  // budget + ring + message costs
  auto server = start_server(GetParam(), options, /*hold=*/true);
  if (!server->ne.engine) GTEST_SKIP() << server->ne.skip;
  io::UniqueFd c = connect_client(server->state.port.load());
  ASSERT_TRUE(c.valid());
  const std::size_t total = std::max<std::size_t>(scale(8u << 20), 2u << 20);
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    std::vector<std::byte> data(total);
    for (std::size_t i = 0; i < total; ++i) data[i] = pattern(i);
    wrote.store(write_all(c.get(), data.data(), data.size()));
  });
  auto& engine = *server->ne.engine;
  ASSERT_TRUE(wait_until([&] { return engine.stats().get("net_read_pauses") > 0; }, 10s)) << "never paused";
  std::this_thread::sleep_for(200ms);  // let in-flight reads land
  const uint64_t in_before = engine.stats().get("net_bytes_in");
  std::this_thread::sleep_for(300ms);
  const auto stats = engine.stats();
  EXPECT_EQ(stats.get("net_bytes_in"), in_before) << "still reading while paused";
  // Budget + what is read past the pause (epoll: one recv; uring: at most
  // the buffer ring) + per-message costs.
  EXPECT_LE(stats.get("net_read_unconsumed_bytes"), kBound);
  EXPECT_LT(in_before, total) << "the whole stream was read: no backpressure";
  std::printf("%s: paused after %llu bytes in, %llu unconsumed\n", GetParam().c_str(),
              (unsigned long long)in_before, (unsigned long long)stats.get("net_read_unconsumed_bytes"));
  engine.send(server->actor, core::Message(kPoke, 0, nullptr, 0));
  std::vector<std::byte> back(total);
  ASSERT_TRUE(read_exact(c.get(), back.data(), back.size())) << "echo incomplete";
  writer.join();
  EXPECT_TRUE(wrote.load());
  std::size_t bad = total;
  for (std::size_t i = 0; i < total && bad == total; ++i)
    if (back[i] != pattern(i)) bad = i;
  EXPECT_EQ(bad, total) << "byte " << bad << " lost or reordered";
  EXPECT_GT(engine.stats().get("net_read_resumes"), 0u);
  EXPECT_TRUE(wait_until([&] { return engine.stats().get("net_read_unconsumed_bytes") == 0; }, 5s));
}

// Floods its accepted connections (whose clients never read) until each
// send is refused, then closes them all; counts the outcomes.
struct FloodState {
  std::atomic<uint16_t> port{0};
  std::atomic<uint32_t> accepted{0};
  std::atomic<uint32_t> refused{0};   // sockets flooded until refused (or dead)
  std::atomic<uint32_t> closed{0};
  std::atomic<uint32_t> errors{0};
  std::atomic<bool> close_all{false};
};
class Flooder : public core::Actor {
 public:
  Flooder(FloodState& state, uint32_t expect) : state_(state), expect_(expect) {}
  void on_start(core::Context& ctx) override {
    listener_ = listen_on_loopback(ctx, state_.port);
  }
  void on_message(core::Context& ctx, core::Message& msg) override {
    core::SocketApi& net = *ctx.sockets();
    if (msg.type == kPoke) {
      for (auto s : sockets_) net.close(s);
      return;
    }
    if (msg.type != core::kTypeSocketEvent) return;
    const auto ev = msg.as<core::SocketEvent>();
    if (ev.kind == core::SocketEventKind::kAccepted) {
      net.start(ev.other, ctx.self());
      sockets_.push_back(ev.other);
      state_.accepted.fetch_add(1);
      if (sockets_.size() < expect_) return;
      // Until refused for 50 ms in a row: the net thread (uring: every send
      // is queued) keeps moving queued bytes into the kernel until its
      // buffers are full too.
      const std::vector<std::byte> chunk(16 * 1024, std::byte{'z'});
      for (auto s : sockets_) {
        int refusals = 0;
        for (int i = 0; i < 4096 && refusals < 50;) {  // 64 MiB at most: kernel buffers take a few MiB
          const auto st = net.send(s, chunk);
          if (st == core::SocketStatus::kDead) break;
          if (st == core::SocketStatus::kOk) { ++i; refusals = 0; continue; }
          ++refusals;
          std::this_thread::sleep_for(1ms);
        }
        state_.refused.fetch_add(1);
      }
    } else if (ev.kind == core::SocketEventKind::kClosed) {
      state_.closed.fetch_add(1);
    } else if (ev.kind == core::SocketEventKind::kError) {
      state_.errors.fetch_add(1);
    }
  }

 private:
  FloodState& state_;
  uint32_t expect_;
  core::SocketId listener_;
  std::vector<core::SocketId> sockets_;
};

// Caught: no global send budget (six non-readers pinned 412 MiB) and a
// closing socket with unsent bytes stayed closing forever. Here four
// clients that never read: queued bytes across them stay within the budget
// (kNoMemory past it), and once closed every socket is released after the
// short send timeout, its queue dropped.
TEST_P(NetHostile, NonReadersBoundedByBudgetAndReleasedByTimeout) {
  io::NetOptions options;
  options.max_queued_bytes = 192 * 1024;
  options.send_budget = 256 * 1024;
  options.send_timeout_ns = 1'000'000'000;
  NetEngine ne = make_net_engine(GetParam(), options);
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  FloodState state;
  const core::ActorId flooder = ne.engine->spawn<Flooder>(state, 4u);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, 5s));
  std::vector<io::UniqueFd> clients;
  for (int i = 0; i < 4; ++i) {
    io::UniqueFd c = client_socket();
    const int small = 4096;
    ::setsockopt(c.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));  // little kernel room
    ASSERT_TRUE(connect_to(c.get(), state.port.load()));
    clients.push_back(std::move(c));
  }
  ASSERT_TRUE(wait_until([&] { return state.refused.load() == 4; }, 20s)) << "refused " << state.refused.load();
  auto stats = ne.engine->stats();
  // A partial direct write may queue its rest past the budget: 16 KiB per socket at most.
  EXPECT_LE(stats.get("net_send_queued_bytes"), 256u * 1024 + 4 * 16 * 1024);
  EXPECT_GT(stats.get("net_send_budget_refusals"), 0u);
  std::printf("%s: queued %llu, limit refusals %llu, budget refusals %llu\n", GetParam().c_str(),
              (unsigned long long)stats.get("net_send_queued_bytes"),
              (unsigned long long)stats.get("net_send_limit_refusals"),
              (unsigned long long)stats.get("net_send_budget_refusals"));
  ne.engine->send(flooder, core::Message(kPoke, 0, nullptr, 0));
  // Released after the timeout (or failed by the no-progress timeout
  // first): closed once each, nothing queued, only the listener open.
  ASSERT_TRUE(wait_until([&] { return state.closed.load() + state.errors.load() >= 4; }, 10s))
      << "closing sockets never released: closed " << state.closed.load();
  EXPECT_TRUE(wait_until([&] { return ne.engine->stats().get("net_sockets_open") == 1; }, 5s));
  stats = ne.engine->stats();
  EXPECT_EQ(stats.get("net_send_queued_bytes"), 0u);
  EXPECT_GE(stats.get("net_close_timeouts") + stats.get("net_send_timeouts"), 1u);
}

// Caught: the net thread kept reading and discarding a closing socket's
// input for as long as the client sent. Here a closing socket (its queue
// stuck behind a client that never reads) discards at most read_budget
// bytes more, then stops reading; the send timeout releases it later.
TEST_P(NetHostile, ClosingSocketStopsReading) {
  io::NetOptions options;
  options.max_queued_bytes = 64 * 1024;
  options.read_budget = 64 * 1024;
  options.send_timeout_ns = 2'000'000'000;
  options.backend.uring_buffers = 64;  // uring reads past a stop at most the ring (256 KiB here)
  options.backend.uring_buffer_size = 4096;
  constexpr uint64_t kBound = 64 * 1024 + 64 * 4096 + 64 * 1024;  // budget + ring + one epoll recv
  NetEngine ne = make_net_engine(GetParam(), options);
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  FloodState state;
  const core::ActorId flooder = ne.engine->spawn<Flooder>(state, 1u);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, 5s));
  io::UniqueFd c = client_socket();
  const int small = 4096;
  ::setsockopt(c.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_TRUE(connect_to(c.get(), state.port.load()));
  ASSERT_TRUE(wait_until([&] { return state.refused.load() == 1; }, 20s));
  ne.engine->send(flooder, core::Message(kPoke, 0, nullptr, 0));  // close: the socket stays closing
  std::this_thread::sleep_for(50ms);
  const uint64_t in_before = ne.engine->stats().get("net_bytes_in");
  std::vector<char> data(16 * 1024, 'q');
  std::size_t sent = 0;
  for (int i = 0; i < 200 && sent < (4u << 20); ++i) {  // what the kernel takes, for up to ~1 s
    const ssize_t n = ::send(c.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<std::size_t>(n); else std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(wait_until([&] { return ne.engine->stats().get("net_closing_read_stops") == 1; }, 5s))
      << "a closing socket read " << ne.engine->stats().get("net_bytes_in") - in_before << " bytes";
  const uint64_t read_after_close = ne.engine->stats().get("net_bytes_in") - in_before;
  // read_budget, plus what the backend had read before the stop took effect
  // (epoll: one 64 KiB recv; uring: buffers already filled).
  EXPECT_LE(read_after_close, kBound) << "sent " << sent;
  EXPECT_GT(sent, kBound) << "the kernel took too little for the test to mean anything";
  EXPECT_TRUE(wait_until([&] { return state.closed.load() + state.errors.load() == 1; }, 10s));
}

// Caught: close() stored write_closed after an unlocked find(); when the
// slot was freed and reused in between, the newer socket was marked
// write-closed (all its sends kDead). The hook holds the test's close(A)
// between its lookup and its flag while A ends and B takes A's slot.
TEST_P(NetHostile, CloseRacingSlotReuseLeavesTheNewSocketAlone) {
  io::NetOptions options;
  options.max_sockets = 2;  // one connection slot: B reuses A's
  std::atomic<bool> armed{false};
  const auto test_thread = std::this_thread::get_id();
  std::function<void()> during_close;
  auto server = start_server(GetParam(), options, false, [&](io::NetService& net) {
    net.set_close_hook_for_test([&] {
      if (std::this_thread::get_id() == test_thread && armed.exchange(false)) during_close();
    });
  });
  if (!server->ne.engine) GTEST_SKIP() << server->ne.skip;
  const uint16_t port = server->state.port.load();
  io::UniqueFd a = connect_client(port);
  ASSERT_TRUE(a.valid());
  ASSERT_TRUE(wait_until([&] { return server->state.accepted.load() == 1; }, 5s));
  const core::SocketId a_id = server->state.id(0);
  io::UniqueFd b;
  during_close = [&] {
    ::shutdown(a.get(), SHUT_WR);  // A ends: the server closes it on EOF, its slot is freed
    read_to_eof(a.get());
    wait_until([&] { return server->state.closed.load() == 1; }, 5s);
    b = connect_client(port);
    wait_until([&] { return server->state.accepted.load() == 2; }, 5s);
  };
  armed.store(true);
  server->ne.sockets->close(a_id);
  ASSERT_EQ(server->state.accepted.load(), 2u);
  ASSERT_TRUE(b.valid());
  EXPECT_EQ(io::SocketTable::index_of(server->state.id(1)), io::SocketTable::index_of(a_id));
  ASSERT_TRUE(write_all(b.get(), "still mine", 10));
  char got[10] = {};
  ASSERT_TRUE(read_exact(b.get(), got, 10)) << "the new socket was closed by the old close";
  EXPECT_EQ(std::string(got, 10), "still mine");
  EXPECT_EQ(server->state.dead_sends.load(), 0u);
  EXPECT_GE(server->ne.engine->stats().get("net_stale_ids"), 1u);
}

// Caught: a send that found the slot's lock busy went to the net thread as
// a command, and apply_send appended it without checking the send limit.
// The test holds the slot's lock so that every send takes the command path.
TEST_P(NetHostile, SendLimitHoldsOnTheCommandPath) {
  io::NetOptions options;
  options.max_queued_bytes = 128 * 1024;
  auto server = start_server(GetParam(), options);
  if (!server->ne.engine) GTEST_SKIP() << server->ne.skip;
  io::UniqueFd c = connect_client(server->state.port.load());
  ASSERT_TRUE(c.valid());
  ASSERT_TRUE(wait_until([&] { return server->state.accepted.load() == 1; }, 5s));
  const core::SocketId id = server->state.id(0);
  auto& net = *dynamic_cast<io::NetService*>(server->ne.sockets);
  std::vector<std::byte> chunk(64 * 1024);
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = pattern(i);
  io::SocketSlot& slot = net.table_for_test().at(io::SocketTable::index_of(id));
  std::vector<core::SocketStatus> results;
  slot.lock.lock();
  for (int i = 0; i < 4; ++i) results.push_back(net.send(id, chunk));
  slot.lock.unlock();
  EXPECT_EQ(results[0], core::SocketStatus::kOk);
  EXPECT_EQ(results[1], core::SocketStatus::kOk);
  EXPECT_EQ(results[2], core::SocketStatus::kNoMemory) << "the limit was bypassed through the command queue";
  EXPECT_EQ(results[3], core::SocketStatus::kNoMemory);
  EXPECT_EQ(server->ne.engine->stats().get("net_send_limit_refusals"), 2u);
  EXPECT_GE(server->ne.engine->stats().get("net_command_sends"), 2u);
  std::vector<std::byte> got(2 * chunk.size());
  ASSERT_TRUE(read_exact(c.get(), got.data(), got.size()));
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], chunk[i % chunk.size()]) << "byte " << i;
}

INSTANTIATE_TEST_SUITE_P(Backends, NetHostile, all_drivers(), backend_name);

// Caught: the knobs came from ACTORLAB_* environment variables that never
// reached the result context. Now from the Config, each checked by
// validate_net with an error naming the flag and the range.
TEST(NetKnobs, FromConfigAndValidated) {
  core::Config config;
  config.max_connections = 100;
  config.send_limit = 1 << 20;
  config.send_budget = 8 << 20;
  config.read_budget = 128 * 1024;
  config.send_timeout_ns = 5'000'000'000;
  config.direct_writes = "off";
  config.uring_buffers = 64;
  config.uring_buffer_size = 4096;
  config.uring_sqpoll = true;
  const io::NetOptions o = io::NetOptions::from_config(config);
  EXPECT_EQ(o.max_sockets, 100u);
  EXPECT_EQ(o.max_queued_bytes, 1u << 20);
  EXPECT_EQ(o.send_budget, 8u << 20);
  EXPECT_EQ(o.read_budget, 128u * 1024);
  EXPECT_EQ(o.send_timeout_ns, 5'000'000'000u);
  EXPECT_EQ(o.direct_writes, 0);
  EXPECT_EQ(o.backend.uring_buffers, 64u);
  EXPECT_EQ(o.backend.uring_buffer_size, 4096u);
  EXPECT_TRUE(o.backend.uring_sqpoll);
  auto error_of = [](auto change) {
    core::Config c;
    change(c);
    try {
      io::validate_net(c);
    } catch (const core::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of([](core::Config& c) { c.read_budget = 10; }).find("--read-budget"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.send_budget = 0; }).find("--send-budget"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.send_limit = 1; }).find("--send-limit"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.max_connections = 1; }).find("--max-connections"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.send_timeout_ns = 5; }).find("--send-timeout"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.direct_writes = "yes"; }).find("--direct-writes"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.uring_buffers = 100; }).find("--uring-buffers"), std::string::npos);
  EXPECT_NE(error_of([](core::Config& c) { c.uring_buffer_size = 100; }).find("--uring-buffer-size"),
            std::string::npos);
  EXPECT_EQ(error_of([](core::Config& c) { c.send_timeout_ns = 0; }), "");  // 0 = never
  EXPECT_EQ(error_of([](core::Config&) {}), "");                            // the defaults pass
}

// Counts releases per tag (the read credit's contract: once per message).
class CountingHook final : public core::PayloadHook {
 public:
  void payload_released(uint64_t tag, std::size_t size) noexcept override {
    std::lock_guard guard(mutex_);
    ++count_[tag];
    bytes_ += size;
  }
  std::map<uint64_t, int> counts() {
    std::lock_guard guard(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::map<uint64_t, int> count_;
  std::size_t bytes_ = 0;
};

class Sink : public core::Actor {
 public:
  void on_message(core::Context&, core::Message&) override {}
};
class Blocker : public core::Actor {
 public:
  explicit Blocker(std::atomic<bool>& go) : go_(go) {}
  void on_message(core::Context&, core::Message&) override {
    while (!go_.load()) std::this_thread::sleep_for(1ms);
  }

 private:
  std::atomic<bool>& go_;
};

// The read credit relies on it (a lost release pauses a socket forever, a
// double one lets it read past its budget): a hooked payload tells its hook
// exactly once however the message ends: destroyed, moved from, assigned
// over, consumed by an actor, a dead letter, or drained at stop.
TEST(NetKnobs, HookedPayloadReleasedExactlyOnce) {
  CountingHook hook;
  const char text[] = "hi";
  uint64_t tag = 0;
  auto make = [&] { return core::Message::hooked(core::kFirstUserType, 0, text, 2, &hook, ++tag); };
  { core::Message a = make(); }  // 1: destroyed
  {
    core::Message a = make();  // 2: moved into b, b destroyed
    core::Message b(std::move(a));
    EXPECT_EQ(b.size(), 2u);
    EXPECT_EQ(std::memcmp(b.data(), "hi", 2), 0);
  }
  {
    core::Message a = make();  // 3: assigned over by 4; 4 destroyed
    a = make();
  }
  core::Config config;
  config.threads = 2;
  auto engine = actorlab::sched::make_engine(config);
  const core::ActorId sink = engine->spawn<Sink>();
  std::atomic<bool> go{false};
  const core::ActorId blocker = engine->spawn<Blocker>(go);
  engine->start();
  engine->send(sink, make());                            // 5: consumed
  engine->send(core::ActorId::from_value(0x7fff0001), make());  // 6: dead letter
  engine->send(blocker, make());                         // 7: holds the blocker
  for (int i = 0; i < 3; ++i) engine->send(blocker, make());  // 8..10: queued at stop
  ASSERT_TRUE(wait_until([&] { return hook.counts().size() >= 6; }, 5s));
  std::thread release([&] {
    std::this_thread::sleep_for(50ms);  // stop() has begun: 8..10 are drained, not run
    go.store(true);
  });
  engine->stop();
  release.join();
  engine.reset();
  const auto counts = hook.counts();
  EXPECT_EQ(counts.size(), tag);
  for (const auto& [t, n] : counts) EXPECT_EQ(n, 1) << "tag " << t;
}

}  // namespace
