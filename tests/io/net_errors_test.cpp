// net_errors_test.cpp: errors become messages or counters, never crashes,
// for every backend: peer reset mid-stream, half-close, EMFILE on accept
// (in a forked child with a lowered RLIMIT_NOFILE), stop with connections
// open (nothing leaked: fds counted, ASan/LSan clean), sends to closed and
// stale socket ids (kDead, counted).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "io/net_service.hpp"
#include "tests/io/net_support.hpp"

namespace {

using namespace net_support;

class NetErrors : public ::testing::TestWithParam<std::string> {};

std::unique_ptr<ServerState> start_echo(NetEngine& ne, EchoServer::Options options = {}) {
  auto state = std::make_unique<ServerState>();
  ne.engine->spawn<EchoServer>(*state, options);
  ne.engine->start();
  wait_until([&] { return state->port.load() != 0; }, std::chrono::seconds(5));
  return state;
}

// The client resets the connection (SO_LINGER 0) while echoes are in
// flight: the owner gets kError (ECONNRESET, or EPIPE if its write found the
// reset first); nothing crashes and the socket is released.
TEST_P(NetErrors, PeerResetMidStream) {
  NetEngine ne = make_net_engine(GetParam());
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  auto state = start_echo(ne);
  ASSERT_NE(state->port.load(), 0);
  {
    io::UniqueFd c = connect_client(state->port.load());
    ASSERT_TRUE(c.valid()) << "connect: " << std::strerror(errno);
    std::vector<char> data(256 * 1024, 'x');
    ASSERT_TRUE(write_all(c.get(), data.data(), data.size()));
    ASSERT_TRUE(wait_until([&] { return state->bytes.load() > 0; }, std::chrono::seconds(5)));
    linger lg{1, 0};
    ::setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }  // close: RST
  // The reader may see the reset as EOF first (kEof) if a write found it
  // first; kError comes either way.
  ASSERT_TRUE(wait_until([&] { return state->errors.load() > 0; }, std::chrono::seconds(5)))
      << "no kError; kEof seen " << state->eofs.load() << " times";
  EXPECT_EQ(state->errors.load(), 1u);
  const int err = state->last_error.load();
  EXPECT_TRUE(err == ECONNRESET || err == EPIPE) << std::strerror(err);
  EXPECT_GE(ne.engine->stats().get("net_resets"), 1u);
  EXPECT_TRUE(wait_until([&] { return ne.engine->stats().get("net_sockets_open") == 1; }, std::chrono::seconds(5)))
      << "the reset socket was not released";
}

// The client shuts its write side: the server sees kEof, and can still
// send ("bye:" + what it read) before closing.
TEST_P(NetErrors, HalfCloseStillSends) {
  NetEngine ne = make_net_engine(GetParam());
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  auto state = start_echo(ne, EchoServer::Options{.half_close_reply = true});
  io::UniqueFd c = connect_client(state->port.load());
  ASSERT_TRUE(c.valid()) << "connect: " << std::strerror(errno);
  ASSERT_TRUE(write_all(c.get(), "half-closed", 11));
  ASSERT_EQ(::shutdown(c.get(), SHUT_WR), 0);
  EXPECT_EQ(read_to_eof(c.get()), "bye:half-closed");
  EXPECT_EQ(state->eofs.load(), 1u);
  EXPECT_TRUE(wait_until([&] { return state->closed.load() == 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(state->errors.load(), 0u);
}

// In a child process (RLIMIT_NOFILE is per process): with fds exhausted,
// accept fails with EMFILE (counted, one kWarning); connections wait in
// the backlog and are served once fds free up.
TEST_P(NetErrors, EmfileOnAcceptRecovers) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);  // the child never outlives a hung test
    int code = 0;
    {
      // The limit goes down before the engine exists: io_uring's accept reads
      // RLIMIT_NOFILE when the (multishot) accept is prepared.
      rlimit lim{};
      ::getrlimit(RLIMIT_NOFILE, &lim);
      rlimit low{static_cast<rlim_t>(open_fd_count()) + 32, lim.rlim_max};
      if (::setrlimit(RLIMIT_NOFILE, &low) != 0) ::_exit(11);
      NetEngine ne = make_net_engine(GetParam());
      if (!ne.engine) ::_exit(77);
      auto state = start_echo(ne);
      if (state->port.load() == 0) ::_exit(10);
      // One connection in and out first, so that the listener is armed: an
      // io_uring accept being armed holds an fd number for a moment, which
      // would race the filling below.
      {
        io::UniqueFd warm = connect_client(state->port.load());
        if (!warm.valid() || !wait_until([&] { return state->accepted.load() == 1; }, std::chrono::seconds(5)))
          ::_exit(17);
      }
      if (!wait_until([&] { return state->closed.load() == 1; }, std::chrono::seconds(5))) ::_exit(18);
      // Take every fd left, then give back exactly three for the clients:
      // the server has none when their connections arrive.
      std::vector<io::UniqueFd> fillers;
      for (;;) {
        io::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) break;
        fillers.push_back(std::move(fd));
      }
      if (errno != EMFILE || fillers.size() < 6) ::_exit(12);
      for (int i = 0; i < 3; ++i) fillers.pop_back();
      std::vector<io::UniqueFd> clients;  // all three fds taken before the first connect
      for (int i = 0; i < 3; ++i) clients.push_back(client_socket());
      // Take again any fd another thread held for a moment while we filled
      // (the allocator or the C library may open a file briefly).
      for (;;) {
        io::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) break;
        fillers.push_back(std::move(fd));
      }
      for (auto& c : clients)
        if (!c.valid() || !connect_to(c.get(), state->port.load())) ::_exit(13);
      if (!wait_until([&] { return ne.engine->stats().get("net_emfile") > 0; }, std::chrono::seconds(5))) ::_exit(14);
      // Not all three can be in: an fd that a thread held while we filled
      // may have let one through, never three.
      if (state->accepted.load() >= 1 + 3) ::_exit(15);
      if (!wait_until([&] { return state->warnings.load() >= 1; }, std::chrono::seconds(5))) ::_exit(16);
      // Free three fds: the three waiting connections get accepted.
      for (int i = 0; i < 3; ++i) fillers.pop_back();
      for (int i = 0; i < 3 && code == 0; ++i) {
        char msg[8] = {'p', 'i', 'n', 'g', char('0' + i), 0, 0, 0};
        char back[8] = {};
        if (!write_all(clients[i].get(), msg, 8) || !read_exact(clients[i].get(), back, 8) ||
            std::memcmp(msg, back, 8) != 0)
          code = 20 + i;
      }
      if (code == 0 && state->accepted.load() < 1 + 3) code = 30;
      ::setrlimit(RLIMIT_NOFILE, &lim);
      fillers.clear();
      clients.clear();
      ne.engine->stop();
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "backend unavailable";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed at step " << WEXITSTATUS(status)
                                    << " (see the test body for the step numbers)";
}

// Stopping the engine with connections open (data in flight, one
// accepted-but-not-started, one listener) closes every socket: the clients
// see EOF or reset, no fd stays open, and ASan/LSan see no leak.
TEST_P(NetErrors, StopWithConnectionsOpen) {
  const std::size_t fds_before = open_fd_count();
  std::vector<io::UniqueFd> clients;
  {
    NetEngine ne = make_net_engine(GetParam());
    if (!ne.engine) GTEST_SKIP() << ne.skip;
    auto state = start_echo(ne);
    ASSERT_NE(state->port.load(), 0);
    for (int i = 0; i < 20; ++i) {
      clients.push_back(connect_client(state->port.load()));
      ASSERT_TRUE(clients.back().valid()) << "connect: " << std::strerror(errno);
      std::vector<char> data(64 * 1024, char('a' + i));
      ASSERT_TRUE(write_all(clients.back().get(), data.data(), data.size()));
    }
    ASSERT_TRUE(wait_until([&] { return state->accepted.load() == 20; }, std::chrono::seconds(5)));
    ne.engine->stop();
    EXPECT_EQ(ne.engine->stats().get("net_sockets_open"), 0u);
  }
  for (auto& c : clients) {
    char buf[65536];
    ssize_t n;
    do n = ::recv(c.get(), buf, sizeof(buf), 0);  // echoed data, then EOF or reset
    while (n > 0);
    EXPECT_TRUE(n == 0 || errno == ECONNRESET) << std::strerror(errno);
  }
  clients.clear();
  EXPECT_EQ(open_fd_count(), fds_before);
}

// Sends to a socket after close() (kDead at once), after kClosed (stale
// id), and to an id that never existed: all kDead and counted.
class DeadSender : public core::Actor {
 public:
  DeadSender(ServerState& state, std::atomic<int>& result) : state_(state), result_(result) {}
  void on_start(core::Context& ctx) override {
    listener_ = listen_on_loopback(ctx, state_.port);
  }
  void on_message(core::Context& ctx, core::Message& msg) override {
    core::SocketApi& net = *ctx.sockets();
    if (msg.type != core::kTypeSocketEvent) return;
    auto ev = msg.as<core::SocketEvent>();
    const auto bytes = std::as_bytes(std::span("x", 1));
    if (ev.kind == core::SocketEventKind::kAccepted) {
      conn_ = ev.other;
      net.start(conn_, ctx.self());
      if (net.send(conn_, bytes) != core::SocketStatus::kOk) return result_.store(-1);
      net.close(conn_);
      if (net.send(conn_, bytes) != core::SocketStatus::kDead) return result_.store(-2);
    } else if (ev.kind == core::SocketEventKind::kClosed) {
      if (net.send(conn_, bytes) != core::SocketStatus::kDead) return result_.store(-3);
      if (net.send(core::SocketId::from_value(0x7ff00005), bytes) != core::SocketStatus::kDead)
        return result_.store(-4);
      if (net.send(core::SocketId{}, bytes) != core::SocketStatus::kDead) return result_.store(-5);
      result_.store(1);
    }
  }

 private:
  ServerState& state_;
  std::atomic<int>& result_;
  core::SocketId listener_, conn_;
};

TEST_P(NetErrors, SendToClosedOrStaleIdIsDead) {
  NetEngine ne = make_net_engine(GetParam());
  if (!ne.engine) GTEST_SKIP() << ne.skip;
  ServerState state;
  std::atomic<int> result{0};
  ne.engine->spawn<DeadSender>(state, result);
  ne.engine->start();
  ASSERT_TRUE(wait_until([&] { return state.port.load() != 0; }, std::chrono::seconds(5)));
  io::UniqueFd c = connect_client(state.port.load());
  ASSERT_TRUE(c.valid()) << "connect: " << std::strerror(errno);
  ASSERT_TRUE(wait_until([&] { return result.load() != 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(result.load(), 1);
  EXPECT_EQ(read_to_eof(c.get()), "x");
  EXPECT_EQ(ne.engine->stats().get("net_dead_sends"), 4u);
}

INSTANTIATE_TEST_SUITE_P(Backends, NetErrors, all_drivers(), backend_name);

}  // namespace

namespace {

// Every composition parks through sched/idle.hpp, so --net=worker plugs into
// the pinned preset too (placement home: each worker's own park protocol
// may block in the driver). Target: a refusal left over from when pinned
// kept its own futex. And idle spin, which never parks, is refused naming
// the way out.
TEST(NetConfig, PinnedAcceptsNetWorker) {
  actorlab::core::Config config;
  config.policy = "pinned";
  config.net = "worker";
  auto engine = actorlab::sched::make_engine(config);
  EXPECT_NO_THROW(actorlab::io::attach_net(*engine, config));
  engine->start();
  engine->stop();
}

TEST(NetConfig, IdleSpinRejectsNetWorker) {
  actorlab::core::Config config;
  config.net = "worker";
  config.idle = "spin";
  try {
    auto engine = actorlab::sched::make_engine(config);
    ADD_FAILURE() << "make_engine accepted --net=worker with --idle=spin";
  } catch (const actorlab::core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--net=thread"), std::string::npos) << e.what();
  }
}

// The default driver (--net=auto) is a worker, but idle spin, which never
// parks, gets the net thread instead of a refusal: `--idle=spin` alone must
// keep working (the compositions' single change idle=spin caught this).
TEST(NetConfig, AutoDriverIsWorkerButThreadUnderIdleSpin) {
  actorlab::core::Config config;
  EXPECT_EQ(config.net, "auto");
  EXPECT_TRUE(config.net_worker_driven());
  config.idle = "spin";
  EXPECT_FALSE(config.net_worker_driven());
  auto engine = actorlab::sched::make_engine(config);
  EXPECT_NO_THROW(actorlab::io::attach_net(*engine, config));
  engine->start();
  engine->stop();
}

// --search-polls: a worker with nothing to do polls the backend while it
// spins (after 64 spin polls, then 128, 256, 512 under --spin=1000). With
// busy polls made impossible (no turns past the first, event_interval 10^6),
// every counted poll is a searching worker's; with 0 there are none.
TEST(NetConfig, SearchPollsReachTheBackend) {
  for (uint32_t polls : {0u, 32u}) {
    actorlab::core::Config config;
    config.threads = 1;
    config.net = "worker";
    config.event_interval = 1'000'000;
    config.search_polls = polls;
    auto engine = actorlab::sched::make_engine(config);
    actorlab::io::attach_net(*engine, config);
    engine->start();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // searches, then parks in the backend
    const uint64_t counted = engine->stats().get("net_worker_polls");
    engine->stop();
    if (polls == 0)
      EXPECT_EQ(counted, 0u);
    else
      EXPECT_GE(counted, 1u) << "no searching worker polled the backend";
  }
}

// The driver token: a parking worker that finds it held by a busy worker's
// poll() waits for that round and takes it, instead of sleeping on its
// futex. Caught: try_acquire() failed during any poll(), so the parker
// slept with nobody in the backend, and once the poller went back to a
// long turn (an actor retrying a refused send) no socket moved. Here one
// thread polls without pause and another takes the token as a parker
// would: it must never be refused, while the first thread's polls still
// get their turns. The engine is not started: these two are its workers.
TEST(NetDriver, ParkerWaitsOutABusyPoll) {
  actorlab::core::Config config;
  config.net = "worker";
  auto engine = actorlab::sched::make_engine(config);
  auto& driver = dynamic_cast<actorlab::io::NetService&>(actorlab::io::attach_net(*engine, config));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> polled{0};
  std::thread poller([&] {
    while (!done.load())
      if (driver.poll()) polled.fetch_add(1);
  });
  uint64_t taken = 0, refused = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) {
    if (driver.try_acquire()) {
      ++taken;
      driver.release();
    } else {
      ++refused;
    }
  }
  done.store(true);
  poller.join();
  EXPECT_EQ(refused, 0u) << "a parker was refused while only a poll() held the driver (" << taken << " taken)";
  EXPECT_GT(taken, 0u);
  EXPECT_GT(polled.load(), 0u);
}

}  // namespace
