// perf/clock.hpp: clocks and process resource probes for measurement.
//
// now_ns() and Stopwatch read the monotonic (steady) clock; they are the only
// clocks a latency or throughput figure may come from. process_cpu_ns() gives
// CPU time summed over all threads of the process (for cpu_time in results).
// The RSS probes are cheap enough for once-per-run use, not per message.
// Threads: everything here is stateless or owned by one thread (a Stopwatch
// belongs to whoever made it); all functions are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include <sys/resource.h>
#include <unistd.h>

namespace actorlab::perf {

// Monotonic nanoseconds since an arbitrary epoch (steady_clock; on Linux this
// is CLOCK_MONOTONIC via the vDSO, ~20 ns a call).
[[nodiscard]] inline uint64_t now_ns() noexcept {
  const auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

// Measures wall time from construction (or the last start()).
class Stopwatch {
 public:
  Stopwatch() noexcept : start_ns_(now_ns()) {}

  void start() noexcept { start_ns_ = now_ns(); }
  [[nodiscard]] uint64_t elapsed_ns() const noexcept { return now_ns() - start_ns_; }
  [[nodiscard]] double elapsed_s() const noexcept {
    return static_cast<double>(elapsed_ns()) * 1e-9;
  }

 private:
  uint64_t start_ns_;
};

// CPU time consumed by all threads of this process, in ns; 0 if unavailable.
[[nodiscard]] inline uint64_t process_cpu_ns() noexcept {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<uint64_t>(ts.tv_nsec);
}

// Peak resident set size of this process in bytes (Linux reports ru_maxrss
// in KiB); 0 if unavailable.
[[nodiscard]] inline uint64_t peak_rss_bytes() noexcept {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024ULL;
}

// Current resident set size in bytes, from /proc/self/statm (second field,
// in pages); 0 if unreadable.
[[nodiscard]] inline uint64_t current_rss_bytes() noexcept {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int fields = std::fscanf(file, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(file);
  if (fields != 2) return 0;
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return 0;
  return static_cast<uint64_t>(resident_pages) * static_cast<uint64_t>(page_size);
}

}  // namespace actorlab::perf
