// floor_echo_test.cpp: bench/floor/floor_echo, the floor scripts/netperf
// measures actorlab against, per backend (program path in $FLOOR_ECHO).
// Guards: a floor that drops, reorders or corrupts bytes (a uring send from a
// provided buffer returned to the ring too early, two sends in flight on one
// socket, a short send not resumed, a multishot recv not re-armed after
// ENOBUFS) would make every netperf ratio meaningless. So: several
// connections interleaved, sizes from 1 B to 6 MiB (more than the whole
// uring buffer ring, so buffers are recycled mid-stream and sends go short),
// every byte checked; a client that leaves does not disturb the others;
// SIGTERM exits 0; a bad flag exits 2. A backend the kernel refuses is skipped.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "io/fd.hpp"

extern char** environ;

namespace {

using actorlab::io::UniqueFd;

struct Spawned {
  pid_t pid = -1;
  UniqueFd out;
  std::string first_line;
};

Spawned spawn_floor(const std::vector<std::string>& flags) {
  Spawned s;
  const char* program = std::getenv("FLOOR_ECHO");
  if (!program) return s;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return s;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  std::vector<char*> argv{const_cast<char*>(program)};
  for (const std::string& f : flags) argv.push_back(const_cast<char*>(f.c_str()));
  argv.push_back(nullptr);
  const int rc = posix_spawn(&s.pid, program, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  UniqueFd write_end(out[1]);
  s.out.reset(out[0]);
  if (rc != 0) { s.pid = -1; return s; }
  write_end.reset();
  char c;
  pollfd p{s.out.get(), POLLIN, 0};
  while (::poll(&p, 1, 10'000) > 0 && ::read(s.out.get(), &c, 1) == 1 && c != '\n') s.first_line += c;
  return s;
}

int wait_exit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 1000; ++i) {  // 10 s
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ::usleep(10'000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -2;
}

UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
  if (fd.valid()) ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  return fd;
}

// Sends `data` and reads the echo at the same time (a big echo fills both
// socket buffers); true when exactly `data` came back within 10 s.
bool exchange(int fd, const std::string& data) {
  std::size_t sent = 0;
  std::string back;
  for (int idle_ms = 0; back.size() < data.size() && idle_ms < 10'000;) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < data.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 100) <= 0) { idle_ms += 100; continue; }
    if (sent < data.size() && (p.revents & POLLOUT)) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n > 0) back.append(buf, static_cast<std::size_t>(n));
  }
  return back == data;
}

std::string pattern(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) { x = x * 1664525u + 1013904223u; c = static_cast<char>(x >> 24); }
  return s;
}

class FloorEcho : public ::testing::TestWithParam<std::string> {};

TEST_P(FloorEcho, EchoesEveryByteInOrderThenStopsOnSigterm) {
  ASSERT_NE(std::getenv("FLOOR_ECHO"), nullptr) << "FLOOR_ECHO must name floor_echo (set by meson test)";
  Spawned server = spawn_floor({"--backend=" + GetParam(), "--port=0"});
  ASSERT_GT(server.pid, 0);
  std::smatch m;
  if (!std::regex_search(server.first_line, m, std::regex("listening on [^ ]+:([0-9]+)"))) {
    const int rc = wait_exit(server.pid);
    if (rc == 1 && server.first_line.find("backend unavailable") != std::string::npos)
      GTEST_SKIP() << "the kernel refuses the backend: " << server.first_line;
    FAIL() << "no port line (exit " << rc << "): " << server.first_line;
  }
  const uint16_t port = static_cast<uint16_t>(std::stoi(m[1]));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(connect_to(port));
    ASSERT_TRUE(clients.back().valid()) << "connect " << i;
  }
  const std::size_t sizes[] = {1, 64, 4095, 4096, 4097, 65536, 300'000, 6 << 20};
  unsigned seed = 0;
  for (std::size_t size : sizes)
    for (std::size_t c = 0; c < clients.size(); ++c)
      ASSERT_TRUE(exchange(clients[c].get(), pattern(size, ++seed))) << "client " << c << ", " << size << " B";
  clients[0].reset();  // one leaves; the others go on
  for (int round = 0; round < 200; ++round)
    for (std::size_t c = 1; c < clients.size(); ++c)
      ASSERT_TRUE(exchange(clients[c].get(), pattern(64, ++seed))) << "client " << c << ", round " << round;
  ASSERT_EQ(::kill(server.pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(server.pid), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, FloorEcho, ::testing::Values("epoll", "uring"),
                         [](const auto& info) { return info.param; });

TEST(FloorEchoFlags, BadFlagExitsTwoNamingIt) {
  ASSERT_NE(std::getenv("FLOOR_ECHO"), nullptr);
  for (const char* flag : {"--backend=kqueue", "--port=70000", "--bogus"}) {
    Spawned s = spawn_floor({flag});
    ASSERT_GT(s.pid, 0);
    EXPECT_EQ(wait_exit(s.pid), 2) << flag;
    EXPECT_NE(s.first_line.find(std::string(flag).substr(0, 6)), std::string::npos) << s.first_line;
  }
}

}  // namespace
