// interrupt.hpp: Ctrl-C for long runs. While an InterruptScope lives, the
// first SIGINT asks the runner to stop after the current run (it then writes
// the partial result set); the second also raises abort_current_run()
// (workload_support.hpp), so the current run ends at once; a third exits
// the process with status 130 (a last resort if a run cannot be stopped).
// The handler only touches lock-free atomics and write(2).
// Threads: construct and destroy on the main thread; interrupted() from any.
#pragma once

#include <csignal>

namespace actorlab::bench {

class InterruptScope {
 public:
  InterruptScope();   // installs the handler, clears earlier requests
  ~InterruptScope();  // restores the previous handler
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // True once the user pressed Ctrl-C.
  static bool interrupted() noexcept;

 private:
  struct sigaction previous_ {};
};

}  // namespace actorlab::bench
