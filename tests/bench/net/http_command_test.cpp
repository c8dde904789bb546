// http_command_test.cpp: `actorlab http` as a user runs it, per backend: the
// program (path in $ACTORLAB) starts with --port=0 and prints its port; a
// keep-alive client gets several answers on one connection, pipelined
// requests are answered in order, `Connection: close` ends the connection
// after the answer; SIGTERM stops the server cleanly (exit 0) and its
// printed counters agree. 127.0.0.1 only. A backend the kernel refuses
// (io_uring disabled) is skipped with a note; one the build refuses fails.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>

extern char** environ;

namespace {

// Reads from fd until `done(text)` or 10 s pass; returns what was read.
template <class Done>
std::string read_until(int fd, Done&& done) {
  std::string text;
  char buf[4096];
  for (int waited_ms = 0; !done(text) && waited_ms < 10'000;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      waited_ms += 100;
      continue;
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

class HttpCommand : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const char* program = std::getenv("ACTORLAB");
    ASSERT_NE(program, nullptr) << "ACTORLAB must name the actorlab program (set by meson test)";
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
    const std::string backend = "--backend=" + GetParam();
    const char* argv[] = {program, "http", backend.c_str(), "--port=0", "--threads=1", nullptr};
    ASSERT_EQ(posix_spawn(&pid_, program, &actions, nullptr, const_cast<char**>(argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    stdout_ = out[0];
    const std::string first = read_until(stdout_, [](const std::string& t) { return t.find('\n') != std::string::npos; });
    std::smatch m;
    if (!std::regex_search(first, m, std::regex("listening on [^ ]+:([0-9]+)"))) {
      stop();
      if (exit_status_ == 1 && (first + rest_).find("backend unavailable") != std::string::npos)
        GTEST_SKIP() << "the kernel refuses the backend: " << first << rest_;
      FAIL() << "no port line: '" << first << rest_ << "'";
    }
    port_ = static_cast<uint16_t>(std::stoi(m[1]));
  }
  void TearDown() override {
    if (pid_ > 0) stop();
    if (stdout_ >= 0) ::close(stdout_);
  }
  void stop() {
    ::kill(pid_, SIGTERM);
    rest_ = read_until(stdout_, [](const std::string&) { return false; });
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int connect_client() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    return fd;
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  uint16_t port_ = 0;
  int exit_status_ = -1;
  std::string rest_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world\n";

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_P(HttpCommand, KeepAlivePipeliningAndClose) {
  const int fd = connect_client();
  const std::string get = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
  for (int i = 0; i < 3; ++i) {  // one at a time on one connection
    ASSERT_EQ(::send(fd, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
    EXPECT_EQ(read_until(fd, [](const std::string& t) { return t.size() >= kOk.size(); }), kOk) << "request " << i;
  }
  const std::string two = get + get;  // pipelined
  ASSERT_EQ(::send(fd, two.data(), two.size(), MSG_NOSIGNAL), static_cast<ssize_t>(two.size()));
  EXPECT_EQ(read_until(fd, [](const std::string& t) { return t.size() >= 2 * kOk.size(); }), kOk + kOk);
  const std::string last = "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, last.data(), last.size(), MSG_NOSIGNAL), static_cast<ssize_t>(last.size()));
  // Read to EOF: the server closes after this answer.
  const std::string answer = read_until(fd, [](const std::string&) { return false; });
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  EXPECT_EQ(count_of(answer, "HTTP/1.1"), 1u);
  ::close(fd);

  stop();
  EXPECT_EQ(exit_status_, 0) << rest_;
  EXPECT_TRUE(std::regex_search(rest_, std::regex("messages +6\n"))) << rest_;
  EXPECT_TRUE(std::regex_search(rest_, std::regex("accepted +1\n"))) << rest_;
}

TEST_P(HttpCommand, MalformedRequestGets400AndClose) {
  const int fd = connect_client();
  const std::string bad = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_EQ(::send(fd, bad.data(), bad.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bad.size()));
  const std::string answer = read_until(fd, [](const std::string&) { return false; });
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  ::close(fd);
  stop();
  EXPECT_EQ(exit_status_, 0) << rest_;
  EXPECT_TRUE(std::regex_search(rest_, std::regex("bad_requests +1\n"))) << rest_;
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpCommand, ::testing::Values("epoll", "uring"),
                         [](const auto& info) { return info.param; });

}  // namespace
