// perf/histogram.cpp: the cold half of LatencyHistogram (merge, percentile
// queries, bucket bounds). record() lives inline in the header.
// Threads: as the header says, one owner thread per histogram.
#include "perf/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace actorlab::perf {

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

void LatencyHistogram::record_n(uint64_t ns, uint64_t n) noexcept {
  if (n == 0) return;
  counts_[bucket_index(ns)] += n;
  count_ += n;
  sum_ += static_cast<double>(ns) * static_cast<double>(n);
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), uint64_t{0});
  count_ = 0;
  sum_ = 0.0;
  min_ = UINT64_MAX;
  max_ = 0;
}

double LatencyHistogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

uint64_t LatencyHistogram::bucket_low(std::size_t index) noexcept {
  if (index < 2 * kSubBuckets) return index;
  const std::size_t shift = index / kSubBuckets - 1;
  const uint64_t sub = index - shift * kSubBuckets;  // in [128, 256)
  return sub << shift;
}

uint64_t LatencyHistogram::bucket_width(std::size_t index) noexcept {
  if (index < 2 * kSubBuckets) return 1;
  return uint64_t{1} << (index / kSubBuckets - 1);
}

uint64_t LatencyHistogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  if (!(p > 0.0)) return min_;  // also catches NaN
  if (p >= 100.0) return max_;
  const double wanted = std::ceil(p / 100.0 * static_cast<double>(count_));
  uint64_t rank = wanted < 1.0 ? 1 : static_cast<uint64_t>(wanted);
  rank = std::min(rank, count_);

  uint64_t seen = 0;
  for (std::size_t i = bucket_index(min_); i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // Midpoint without overflow in the top bucket; clamping to the exact
      // extremes only moves the answer towards the true value.
      const uint64_t mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable while count_ equals the sum of counts_
}

std::map<std::string, double> latency_counters(const LatencyHistogram& histogram) {
  return {
      {"samples", static_cast<double>(histogram.count())},
      {"mean_ns", histogram.mean()},
      {"p50_ns", static_cast<double>(histogram.percentile(50.0))},
      {"p90_ns", static_cast<double>(histogram.percentile(90.0))},
      {"p99_ns", static_cast<double>(histogram.percentile(99.0))},
      {"p999_ns", static_cast<double>(histogram.percentile(99.9))},
      {"max_ns", static_cast<double>(histogram.max())},
  };
}

}  // namespace actorlab::perf
