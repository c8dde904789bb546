// hang_watchdog.cpp: a hang report for every GoogleTest program (linked into
// each through gtest_watchdog_dep, tests/meson.build). meson's timeout only
// says TIMEOUT; this says which test hung and where each thread waits.
// Two triggers:
//   - one test running past ACTORLAB_TEST_HANG_S seconds (default 50, 100
//     under a sanitizer; 0 switches it off; alarm() per test): every
//     thread's stack through gdb when gdb is installed, then the test's
//     name and each thread's name, state, kernel wait channel and system
//     call (/proc/PID/task); then abort(), so the test fails with the
//     report in its log;
//   - SIGTERM (meson's timeout kill, which turns into SIGKILL soon after):
//     the name and the /proc part only, then the default action.
// No thread of its own (tests fork, and TSan refuses threads in a child of
// a multi-threaded process): the signal handler forks a shell that writes
// the report (fork, execve, waitpid: async-signal-safe), in its own session
// so meson's kill of the test's process group does not cut it short.
// Threads: the listener runs on the test's main thread; the handler reads
// the test's name, written before the alarm is armed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

char test_name[512] = "(between tests)";
unsigned limit_s = 0;

// $1 pid, $2 test, $3 "stacks" or not, $4 why. Stacks first, summary last:
// meson prints a failed test's last 100 lines.
constexpr const char* kReport = R"sh(
exec 1>&2
pid=$1
if [ "$3" = stacks ] && command -v gdb >/dev/null 2>&1; then
  timeout 120 gdb -nx -q -batch -p "$pid" -ex 'set pagination off' -ex 'thread apply all bt 8' </dev/null 2>&1 |
    grep -E '^(Thread|#)' | cut -c1-160
fi
echo
echo "[  HUNG    ] $2: $4"
for t in /proc/$pid/task/*; do
  call=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)
  case "$call" in
    0) call="0 read" ;; 1) call="1 write" ;; 7) call="7 poll" ;; 35) call="35 nanosleep" ;;
    44) call="44 sendto" ;; 45) call="45 recvfrom" ;; 61) call="61 wait4" ;; 202) call="202 futex" ;;
    230) call="230 clock_nanosleep" ;; 232) call="232 epoll_wait" ;; 281) call="281 epoll_pwait" ;;
    426) call="426 io_uring_enter" ;; 441) call="441 epoll_pwait2" ;;
  esac
  printf '  thread %-7s %-16s state %s  wchan %-28s syscall %s\n' "${t##*/}" "$(cat "$t/comm")" \
    "$(sed 's/.*) \(.\).*/\1/' "$t/stat")" "$(cat "$t/wchan" 2>/dev/null)" "$call"
done
)sh";

// std::to_chars allocates nothing and takes no lock: safe in the handler.
void write_decimal(char* out, std::size_t size, long v) { *std::to_chars(out, out + size - 1, v).ptr = '\0'; }

extern "C" void on_hang_signal(int sig) {
  char pid[24];
  write_decimal(pid, sizeof pid, ::getpid());
  char why[96] = "killed by SIGTERM (a meson timeout?)";
  if (sig == SIGALRM) {
    char secs[24];
    write_decimal(secs, sizeof secs, static_cast<long>(limit_s));
    std::strcpy(why, "still running after ");
    std::strcat(why, secs);
    std::strcat(why, " s (ACTORLAB_TEST_HANG_S)");
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    char sh[] = "/bin/sh", dash_c[] = "-c", name[] = "hang-report";
    char stacks[] = "stacks", quick[] = "quick";
    char* argv[] = {sh, dash_c, const_cast<char*>(kReport), name, pid, test_name, sig == SIGALRM ? stacks : quick,
                    why, nullptr};
    ::execve("/bin/sh", argv, environ);
    ::_exit(127);
  }
  if (child > 0) {
    int status;
    ::waitpid(child, &status, 0);
  }
  if (sig == SIGTERM) {  // die of it, as without the handler (it is blocked while we run)
    ::signal(SIGTERM, SIG_DFL);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::sigprocmask(SIG_UNBLOCK, &term, nullptr);
    ::raise(SIGTERM);
  }
  ::abort();
}

class HangWatchdog : public ::testing::EmptyTestEventListener {
 public:
  HangWatchdog() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    limit_s = 100;
#else
    limit_s = 50;
#endif
    if (const char* s = std::getenv("ACTORLAB_TEST_HANG_S")) limit_s = static_cast<unsigned>(std::atoi(s));
    ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);  // gdb, a child, may attach to us
    struct sigaction sa {};
    sa.sa_handler = on_hang_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
  }

  void OnTestStart(const ::testing::TestInfo& info) override {
    std::snprintf(test_name, sizeof test_name, "%s.%s", info.test_suite_name(), info.name());
    if (limit_s > 0) ::alarm(limit_s);
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    ::alarm(0);
    std::snprintf(test_name, sizeof test_name, "(between tests)");
  }
};

// Registered before main() runs the tests (gtest_main's RUN_ALL_TESTS).
const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new HangWatchdog);
  return true;
}();

}  // namespace
