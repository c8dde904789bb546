// perf/histogram.hpp: LatencyHistogram, a log-linear (HDR-style) histogram of
// nanosecond values covering the whole uint64_t range.
//
// Layout: values below 2 * kSubBuckets (256) get one exact bucket each; above
// that, every power of two [2^m, 2^(m+1)) is split into kSubBuckets (128)
// equal buckets of width 2^(m-7). A bucket's width is thus at most 1/128 of
// any value in it, and a percentile is reported at the bucket's midpoint
// (clamped to the exact min/max), so its relative error is at most 1/256
// (~0.4%), well inside the promised 1%.
// Invariants: count() == sum of all bucket counts; min() <= every reported
// percentile <= max(); percentile(0) == min(), percentile(100) == max().
// Threads: single writer, no atomics. Each thread owns its own histogram and
// merges it into a shared one after the thread is joined.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace actorlab::perf {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 128
  // Highest index: value 2^64-1 has msb 63 -> shift 56 -> 56*128 + 255.
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits) * kSubBuckets + kSubBuckets;

  // Allocates the bucket array once (kBucketCount * 8 bytes, ~58 KiB).
  LatencyHistogram();

  // Hot path: one count-leading-zeros, a shift, two adds, two compares.
  void record(uint64_t ns) noexcept {
    counts_[bucket_index(ns)] += 1;
    count_ += 1;
    sum_ += static_cast<double>(ns);
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  // Records `n` occurrences of `ns` (n == 0 records nothing).
  void record_n(uint64_t ns, uint64_t n) noexcept;
  // Adds every value recorded in `other`; equals recording them all here.
  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  [[nodiscard]] uint64_t count() const noexcept { return count_; }
  // Exact; 0 when empty.
  [[nodiscard]] uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  [[nodiscard]] uint64_t max() const noexcept { return max_; }
  // Exact up to double rounding of the running sum; 0 when empty.
  [[nodiscard]] double mean() const noexcept;
  // The value at rank ceil(p/100 * count) (1-based, clamped to [1, count]) of
  // the sorted recorded values, within 1/256 relative error; p is clamped to
  // [0, 100]; p == 0 gives min(), p == 100 gives max(); 0 when empty.
  [[nodiscard]] uint64_t percentile(double p) const noexcept;

  // Bucket arithmetic, public for tests and exporters.
  [[nodiscard]] static std::size_t bucket_index(uint64_t value) noexcept {
    // shift = max(msb, 7) - 7, so values < 256 map to themselves.
    const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(value | 1U));
    const unsigned shift = (msb > kSubBucketBits ? msb : kSubBucketBits) - kSubBucketBits;
    return static_cast<std::size_t>(shift) * kSubBuckets + static_cast<std::size_t>(value >> shift);
  }
  [[nodiscard]] static uint64_t bucket_low(std::size_t index) noexcept;
  [[nodiscard]] static uint64_t bucket_width(std::size_t index) noexcept;

 private:
  std::vector<uint64_t> counts_;  // kBucketCount entries, sized in the constructor
  uint64_t count_ = 0;
  double sum_ = 0.0;  // double: cannot overflow, ample precision for a mean
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

// The latency counters every workload reports, in ns: mean_ns, p50_ns,
// p90_ns, p99_ns, p999_ns, max_ns, plus samples (the count).
[[nodiscard]] std::map<std::string, double> latency_counters(const LatencyHistogram& histogram);

}  // namespace actorlab::perf
