// tests/perf/clock_machine_test.cpp: sanity of clocks and machine probes.
// Guards: a clock that is not monotonic or not in ns, RSS probes returning
// 0 on Linux, and machine fields left empty (they must degrade to "unknown").
#include <chrono>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "perf/clock.hpp"
#include "perf/machine.hpp"

namespace actorlab::perf {
namespace {

TEST(Clock, MonotonicNanoseconds) {
  const uint64_t before = now_ns();
  Stopwatch watch;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const uint64_t elapsed = watch.elapsed_ns();
  EXPECT_GE(now_ns(), before);
  EXPECT_GE(elapsed, 5'000'000U);
  EXPECT_LT(elapsed, 5'000'000'000U);
  watch.start();
  EXPECT_LT(watch.elapsed_ns(), elapsed);
}

TEST(Clock, ProcessCpuAdvancesUnderWork) {
  const uint64_t before = process_cpu_ns();
  volatile uint64_t sink = 0;
  const uint64_t start = now_ns();
  while (now_ns() - start < 2'000'000) sink = sink + 1;
  EXPECT_GT(process_cpu_ns(), before);
}

TEST(Clock, ResidentSetSize) {
  std::vector<char> block(16 << 20, 1);  // touch 16 MiB
  EXPECT_GE(current_rss_bytes(), 16U << 20);
  EXPECT_GE(peak_rss_bytes(), current_rss_bytes() / 2);
  EXPECT_EQ(block[12345], 1);
}

TEST(Machine, FieldsFilled) {
  const MachineInfo info = read_machine_info();
  EXPECT_FALSE(info.host_name.empty());
  EXPECT_FALSE(info.cpu_model.empty());
  EXPECT_FALSE(info.kernel.empty());
  EXPECT_FALSE(info.governor.empty());
  EXPECT_FALSE(info.commit.empty());
  EXPECT_GE(info.num_cpus, 1);
  EXPECT_GE(info.load_avg[0], 0.0);
  for (const CacheInfo& cache : info.caches) {
    EXPECT_GE(cache.level, 1);
    EXPECT_GT(cache.size_bytes, 0);
  }
}

// Checks "dddd-dd-ddTdd:dd:dd+dd:dd" ('d' a digit, '+' either sign). No
// std::regex: GCC 12 warns (-Wmaybe-uninitialized) inside it under ASan.
bool is_iso8601(const std::string& text) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd+dd:dd";
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    bool ok = c == static_cast<unsigned char>(shape[i]);
    if (shape[i] == 'd') ok = std::isdigit(c) != 0;
    if (shape[i] == '+') ok = c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TEST(Machine, Iso8601Format) {
  EXPECT_TRUE(is_iso8601(iso8601_now())) << iso8601_now();
  EXPECT_FALSE(is_iso8601("2024-01-02 03:04:05+00:00"));
  EXPECT_NE(executable_path().find("perf_clock_machine"), std::string::npos) << executable_path();
}

}  // namespace
}  // namespace actorlab::perf
