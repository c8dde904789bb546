// interrupt.cpp: see interrupt.hpp.
// The count of SIGINTs is a file-local atomic, the one global a signal
// handler needs. Relaxed everywhere: it is a flag polled between runs, it
// guards no data.
#include "bench/cli/interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>

#include "bench/workloads/workload_support.hpp"

namespace actorlab::bench {
namespace {

std::atomic<int> g_sigints{0};
static_assert(std::atomic<int>::is_always_lock_free, "used in a signal handler");

void write_stderr(const char* text) noexcept {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

extern "C" void on_sigint(int) {
  const int count = g_sigints.fetch_add(1, std::memory_order_relaxed) + 1;
  if (count == 1) {
    write_stderr("\ninterrupted: stopping after the current run (Ctrl-C again to stop it now)\n");
  } else if (count == 2) {
    abort_current_run().store(true, std::memory_order_relaxed);
    write_stderr("\ninterrupted again: ending the current run now\n");
  } else {
    _exit(130);
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  g_sigints.store(0, std::memory_order_relaxed);
  abort_current_run().store(false, std::memory_order_relaxed);
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }

bool InterruptScope::interrupted() noexcept { return g_sigints.load(std::memory_order_relaxed) > 0; }

}  // namespace actorlab::bench
