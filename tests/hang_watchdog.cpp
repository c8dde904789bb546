// hang_watchdog.cpp: a hang report for every GoogleTest program (linked into
// each through gtest_watchdog_dep, tests/meson.build). meson's timeout only
// says TIMEOUT; this says which test hung and where each thread waits.
// Two triggers:
//   - one test running past ACTORLAB_TEST_HANG_S seconds (default 50, 100
//     under a sanitizer; 0 switches it off): the test's
//     name, each thread's name, state, kernel wait channel and system call
//     (/proc/self/task), then every thread's stack through gdb when gdb is
//     installed; then abort(), so the test fails with the report in its log;
//   - SIGTERM (meson's timeout kill, which turns into SIGKILL soon after):
//     the name and the /proc part only, then the default action.
// Threads: the listener's callbacks run on the test's main thread and
// publish under mutex_; the watchdog thread (started with the first test)
// reads it. The SIGTERM handler only writes a byte to a pipe.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace {

int term_pipe[2] = {-1, -1};

extern "C" void on_sigterm(int) {
  const char byte = 1;
  [[maybe_unused]] ssize_t r = ::write(term_pipe[1], &byte, 1);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The x86_64 numbers of the calls a hung runtime thread is usually in.
const char* syscall_name(long nr) {
  switch (nr) {
    case 0: return "read";
    case 1: return "write";
    case 7: return "poll";
    case 35: return "nanosleep";
    case 44: return "sendto";
    case 45: return "recvfrom";
    case 61: return "wait4";
    case 202: return "futex";
    case 230: return "clock_nanosleep";
    case 232: return "epoll_wait";
    case 271: return "ppoll";
    case 281: return "epoll_pwait";
    case 426: return "io_uring_enter";
    case 441: return "epoll_pwait2";
    default: return "";
  }
}

// One line per thread: tid, name, state, wait channel, system call.
void print_threads() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string task = std::string("/proc/self/task/") + entry->d_name;
    const std::string stat = read_first_line(task + "/stat");
    const std::size_t paren = stat.rfind(')');
    const char state = paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
    const std::string call = read_first_line(task + "/syscall");
    long nr = -1;
    if (!(std::istringstream(call) >> nr)) nr = -1;  // "running": in user space
    std::fprintf(stderr, "  thread %s %-16s state %c  wchan %-28s syscall %s %s\n", entry->d_name,
                 read_first_line(task + "/comm").c_str(), state, read_first_line(task + "/wchan").c_str(),
                 call.substr(0, call.find(' ')).c_str(), syscall_name(nr));
  }
  ::closedir(dir);
}

class HangWatchdog : public ::testing::EmptyTestEventListener {
 public:
  HangWatchdog() {
    if (const char* s = std::getenv("ACTORLAB_TEST_HANG_S")) limit_s_ = std::atoi(s);
    if (::pipe2(term_pipe, O_CLOEXEC) == 0) {
      struct sigaction sa {};
      sa.sa_handler = on_sigterm;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGTERM, &sa, nullptr);
    }
  }

  void OnTestStart(const ::testing::TestInfo& info) override {
    std::lock_guard lock(mutex_);
    test_ = std::string(info.test_suite_name()) + "." + info.name();
    started_ = std::chrono::steady_clock::now();
    running_ = true;
    if (!thread_started_) {
      thread_started_ = true;
      std::thread([this] { watch(); }).detach();
    }
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::lock_guard lock(mutex_);
    running_ = false;
  }

 private:
  void watch() {
    for (;;) {
      pollfd p{term_pipe[0], POLLIN, 0};
      if (::poll(&p, term_pipe[0] >= 0 ? 1 : 0, 1000) > 0) {
        report("killed by SIGTERM (a meson timeout?)", false);
        ::signal(SIGTERM, SIG_DFL);
        ::raise(SIGTERM);
      }
      {
        std::lock_guard lock(mutex_);
        if (!running_ || limit_s_ <= 0 || std::chrono::steady_clock::now() - started_ < std::chrono::seconds(limit_s_))
          continue;
      }
      report("still running after " + std::to_string(limit_s_) + " s (ACTORLAB_TEST_HANG_S)", true);
      std::abort();
    }
  }

  void report(const std::string& why, bool with_stacks) {
    std::string test;
    {
      std::lock_guard lock(mutex_);
      test = running_ ? test_ : "(between tests)";
    }
    // The stacks first, the summary last: meson prints a failed test's last
    // 100 lines. Frames are cut to 160 characters (template names run long).
    if (with_stacks && std::system("command -v gdb >/dev/null 2>&1") == 0) {
      ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
      const std::string cmd = "timeout 120 gdb -nx -q -batch -p " + std::to_string(::getpid()) +
                              " -ex 'set pagination off' -ex 'thread apply all bt 8' </dev/null 2>&1 | "
                              "grep -E '^(Thread|#)' | cut -c1-160 1>&2";
      [[maybe_unused]] int r = std::system(cmd.c_str());
    }
    std::fprintf(stderr, "\n[  HUNG    ] %s: %s\n", test.c_str(), why.c_str());
    print_threads();
    std::fflush(stderr);
  }

  std::mutex mutex_;
  std::string test_;
  std::chrono::steady_clock::time_point started_;
  bool running_ = false;
  bool thread_started_ = false;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  int limit_s_ = 100;
#else
  int limit_s_ = 50;
#endif
};

// Registered before main() runs the tests (gtest_main's RUN_ALL_TESTS).
const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new HangWatchdog);
  return true;
}();

}  // namespace
