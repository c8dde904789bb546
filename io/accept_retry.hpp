// accept_retry.hpp: the paused listeners of one backend. A listener whose
// accept failed (EMFILE, ENFILE, ENOBUFS, ENOMEM) is paused; it is resumed
// after kRetryMs or as soon as any fd of the backend is closed (one may be
// free now). Connections wait in the kernel's backlog meanwhile.
// Threads: the backend's driving thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace actorlab::io {

class AcceptRetry {
 public:
  static constexpr int kRetryMs = 10;  // guessed: short against a client's connect timeout

  void pause(uint32_t slot) {
    paused_.push_back(slot);
    retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRetryMs);
    fd_freed_ = false;
  }
  void fd_freed() noexcept { fd_freed_ = true; }

  // If it is time, hands every paused slot to resume(slot) and returns
  // true; else returns false and shortens *timeout_ms (-1: none) to the
  // retry time.
  template <class Resume>
  bool resume_due(int* timeout_ms, Resume&& resume) {
    if (paused_.empty()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (fd_freed_ || now >= retry_at_) {
      std::vector<uint32_t> due;
      due.swap(paused_);
      fd_freed_ = false;
      for (uint32_t slot : due) resume(slot);
      return true;
    }
    const int left =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now).count()) + 1;
    *timeout_ms = *timeout_ms < 0 ? left : std::min(*timeout_ms, left);
    return false;
  }

 private:
  std::vector<uint32_t> paused_;
  std::chrono::steady_clock::time_point retry_at_{};
  bool fd_freed_ = false;
};

}  // namespace actorlab::io
