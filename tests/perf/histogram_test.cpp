// tests/perf/histogram_test.cpp: LatencyHistogram accuracy and bookkeeping.
// Guards: a percentile off by more than 1% of the exact sorted value (bucket
// arithmetic or rank rounding errors), wrong min/max/count, and merge()
// differing from recording everything into one histogram.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "perf/histogram.hpp"

namespace actorlab::perf {
namespace {

constexpr double kPercentiles[] = {0.0,  0.1,  1.0,  10.0, 25.0,  50.0, 75.0,
                                   90.0, 99.0, 99.9, 99.99, 99.999, 100.0};

// Same rank rule as LatencyHistogram::percentile: ceil(p/100 * n), in [1, n].
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
  if (p <= 0.0) return sorted.front();
  if (p >= 100.0) return sorted.back();
  const double wanted = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  std::size_t rank = wanted < 1.0 ? 1 : static_cast<std::size_t>(wanted);
  rank = std::min(rank, sorted.size());
  return sorted[rank - 1];
}

void expect_within_one_percent(std::vector<uint64_t> values, const char* what) {
  LatencyHistogram histogram;
  for (uint64_t value : values) histogram.record(value);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(histogram.count(), values.size());
  EXPECT_EQ(histogram.min(), values.front()) << what;
  EXPECT_EQ(histogram.max(), values.back()) << what;
  for (double p : kPercentiles) {
    const auto exact = static_cast<double>(exact_percentile(values, p));
    const auto reported = static_cast<double>(histogram.percentile(p));
    EXPECT_LE(std::abs(reported - exact), 0.01 * exact) << what << " p" << p;
  }
}

TEST(LatencyHistogram, UniformWithinOnePercent) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> dist(0, 1'000'000);
  std::vector<uint64_t> values(200'000);
  for (auto& value : values) value = dist(rng);
  expect_within_one_percent(values, "uniform");
}

TEST(LatencyHistogram, LogUniformOneNsToTenSecondsWithinOnePercent) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> exponent(0.0, std::log(1e10));
  std::vector<uint64_t> values(200'000);
  for (auto& value : values) value = static_cast<uint64_t>(std::exp(exponent(rng)));
  expect_within_one_percent(values, "log-uniform");
}

TEST(LatencyHistogram, ConstantIsExact) {
  for (uint64_t constant : {uint64_t{0}, uint64_t{7}, uint64_t{1234567}, uint64_t{1} << 62}) {
    LatencyHistogram histogram;
    for (int i = 0; i < 1000; ++i) histogram.record(constant);
    for (double p : kPercentiles) EXPECT_EQ(histogram.percentile(p), constant) << p;
    EXPECT_DOUBLE_EQ(histogram.mean(), static_cast<double>(constant));
  }
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (uint64_t value = 0; value < 256; ++value) histogram.record(value);
  for (uint64_t rank = 1; rank <= 256; ++rank) {
    const double p = 100.0 * static_cast<double>(rank) / 256.0;
    EXPECT_EQ(histogram.percentile(p), rank - 1) << p;
  }
}

TEST(LatencyHistogram, HugeValuesAndFullRange) {
  // Every power of two and its neighbours up to 2^64-1: the top bucket's
  // midpoint must not overflow and the 1% bound must hold everywhere.
  std::vector<uint64_t> values;
  for (unsigned bit = 0; bit < 64; ++bit) {
    const uint64_t power = uint64_t{1} << bit;
    values.push_back(power);
    values.push_back(power - 1);
    values.push_back(power + power / 3);
  }
  values.push_back(UINT64_MAX);
  expect_within_one_percent(values, "full range");
}

TEST(LatencyHistogram, BucketsTileTheRange) {
  // Each bucket starts where the previous ended and its width is at most
  // 1/128 of its lower bound (above the exact region).
  uint64_t expected_low = 0;
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    const uint64_t low = LatencyHistogram::bucket_low(i);
    const uint64_t width = LatencyHistogram::bucket_width(i);
    ASSERT_EQ(low, expected_low) << i;
    ASSERT_EQ(LatencyHistogram::bucket_index(low), i);
    ASSERT_EQ(LatencyHistogram::bucket_index(low + (width - 1)), i);
    if (i >= 256) {
      ASSERT_LE(width * 128, low) << i;
    }
    expected_low = low + width;  // wraps to 0 after the last bucket
  }
  EXPECT_EQ(expected_low, 0U);
  EXPECT_EQ(LatencyHistogram::bucket_index(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogram, EmptyAndReset) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0U);
  EXPECT_EQ(histogram.min(), 0U);
  EXPECT_EQ(histogram.max(), 0U);
  EXPECT_EQ(histogram.percentile(50), 0U);
  EXPECT_EQ(histogram.mean(), 0.0);
  histogram.record(5);
  histogram.record(500);
  histogram.reset();
  EXPECT_EQ(histogram.count(), 0U);
  EXPECT_EQ(histogram.percentile(99), 0U);
  histogram.record(42);
  EXPECT_EQ(histogram.min(), 42U);
  EXPECT_EQ(histogram.max(), 42U);
}

TEST(LatencyHistogram, MinMaxCountMean) {
  LatencyHistogram histogram;
  histogram.record(300);
  histogram.record(10);
  histogram.record_n(1000, 3);
  histogram.record_n(5, 0);  // records nothing
  EXPECT_EQ(histogram.count(), 5U);
  EXPECT_EQ(histogram.min(), 10U);
  EXPECT_EQ(histogram.max(), 1000U);
  EXPECT_DOUBLE_EQ(histogram.mean(), (300.0 + 10.0 + 3000.0) / 5.0);
  EXPECT_EQ(histogram.percentile(0), 10U);
  EXPECT_EQ(histogram.percentile(100), 1000U);
}

TEST(LatencyHistogram, MergeEqualsRecordingIntoOne) {
  // Per-thread histograms merged after join must equal one histogram that saw
  // everything (bucket for bucket, hence every percentile).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(0.0, std::log(1e9));
  LatencyHistogram all;
  std::vector<LatencyHistogram> parts(4);
  for (int i = 0; i < 100'000; ++i) {
    const auto value = static_cast<uint64_t>(std::exp(exponent(rng)));
    all.record(value);
    parts[static_cast<std::size_t>(i) % parts.size()].record(value);
  }
  LatencyHistogram merged;
  merged.merge(LatencyHistogram{});  // merging an empty one changes nothing
  for (const auto& part : parts) merged.merge(part);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_NEAR(merged.mean(), all.mean(), 1e-9 * all.mean());
  for (double p = 0.0; p <= 100.0; p += 0.5) {
    EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
  }
  EXPECT_EQ(merged.percentile(99.9), all.percentile(99.9));
}

TEST(LatencyHistogram, LatencyCounters) {
  LatencyHistogram histogram;
  for (uint64_t value = 1; value <= 1000; ++value) histogram.record(value);
  const auto counters = latency_counters(histogram);
  EXPECT_EQ(counters.at("samples"), 1000.0);
  EXPECT_EQ(counters.at("max_ns"), 1000.0);
  EXPECT_NEAR(counters.at("p50_ns"), 500.0, 5.0);
  EXPECT_NEAR(counters.at("p99_ns"), 990.0, 9.9);
  EXPECT_NEAR(counters.at("p999_ns"), 999.0, 9.99);
  EXPECT_NEAR(counters.at("mean_ns"), 500.5, 1e-9);
  EXPECT_TRUE(counters.count("p90_ns"));
}

}  // namespace
}  // namespace actorlab::perf
