// tests/bench/workload_fault_test.cpp: every workload's self-check must
// notice one lost message. The test-only fault hook (bench/
// workload_support.hpp) drops the Nth send of a run; the run must then fail,
// by its own check (verdict failed) or by stalling (a lost request leaves
// its sender waiting: the progress watch of run_on_engine sees no message
// dispatched for its stall window, 1 s here, and says "stalled"). Guards: a workload that counts
// what it sent instead of what arrived, a check that lets a lost ack or
// reply through, the hook dropping nothing or more than one message, and the
// hook left armed (clean runs must pass).
// Every workload in the catalogue must have a row in kSmall below: a new
// workload without one fails the test until its author adds it.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "bench/workloads/workload.hpp"
#include "bench/workloads/workload_support.hpp"
#include "core/config.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

// Small runs of each workload: (count, extras).
const std::map<std::string, std::pair<uint64_t, std::map<std::string, std::string>>> kSmall = {
    {"pingpong", {2000, {}}},
    {"flood", {20000, {}}},
    {"skynet", {1000, {}}},
    {"ring", {5000, {}}},
    {"fanout", {10000, {}}},
    {"chameneos", {2000, {{"creatures", "10"}}}},
    {"big", {4000, {{"actors", "20"}}}},
    {"skewed", {1000, {{"cold", "10"}, {"window", "512"}}}},
    {"timers", {2000, {{"actors", "20"}, {"delay-us", "200"}}}},
    {"echo", {2000, {{"connections", "10"}, {"size", "64"}}}},
};

core::Config config_for(const std::string& policy) {
  core::Config config;
  config.policy = policy;
  config.threads = 2;
  return config;
}

class WorkloadFault : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override { fault_hook().disarm(); }
};

TEST_P(WorkloadFault, CleanRunPassesAndALostMessageFails) {
  const std::string name = GetParam();
  const Workload* workload = find_workload(name);
  ASSERT_NE(workload, nullptr);
  const auto small = kSmall.find(name);
  ASSERT_NE(small, kSmall.end()) << "add a small run of workload '" << name << "' to kSmall";
  WorkloadParams params;
  params.count = small->second.first;
  params.values = small->second.second;
  ASSERT_NO_THROW(validate_params(*workload, params));
  for (const char* policy : {"skynet", "steal"}) {
    const core::Config config = config_for(policy);
    fault_hook().disarm();
    perf::Stopwatch clock;
    const WorkloadResult clean = workload->run(config, params);
    const auto clean_ms = static_cast<int64_t>(clock.elapsed_s() * 1000.0);
    ASSERT_TRUE(clean.ok) << name << "/" << policy << " clean run: " << clean.error;
    EXPECT_GT(clean.operations, 0U);
    EXPECT_EQ(clean.verdict, Verdict::kPassed);
    // One send well inside the run under both policies; the very first under one
    // (a start message). A lost message must end as failed or stalled, never
    // as passed, refused or too slow; a stall within the window (+ slack).
    WorkloadParams faulty_params = params;
    faulty_params.watch.stall = std::chrono::milliseconds(1000);
    for (uint64_t nth : {uint64_t{150}, uint64_t{1}}) {
      if (nth == 1 && std::string(policy) != "skynet") continue;
      fault_hook().arm(nth);
      perf::Stopwatch faulty_clock;
      const WorkloadResult faulty = workload->run(config, faulty_params);
      const double faulty_s = faulty_clock.elapsed_s();
      const uint64_t dropped = fault_hook().dropped.load();
      fault_hook().disarm();
      ASSERT_EQ(dropped, 1U) << name << ": the run made fewer than " << nth << " sends";
      EXPECT_FALSE(faulty.ok) << name << "/" << policy << ": send " << nth
                              << " was dropped and the self-check did not notice";
      EXPECT_TRUE(faulty.verdict == Verdict::kFailed || faulty.verdict == Verdict::kStalled)
          << name << "/" << policy << ": " << to_string(faulty.verdict) << ": " << faulty.error;
      if (faulty.verdict == Verdict::kStalled) {
        // "no message dispatched", or "no progress" for a workload that counts
        // its own (skewed: the cold replies, while the hot flood goes on).
        EXPECT_NE(faulty.error.find("stalled: no "), std::string::npos) << faulty.error;
        EXPECT_LT(faulty_s, 1.0 + 5.0 + clean_ms / 1000.0) << name << ": the stall took too long to notice";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, WorkloadFault, ::testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (const auto& w : workloads()) names.push_back(w.name);
                           return names;
                         }()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(FaultHook, InertUnlessArmed) {
  fault_hook().disarm();
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(fault_drops_this_send());
  fault_hook().arm(3);
  EXPECT_FALSE(fault_drops_this_send());
  EXPECT_FALSE(fault_drops_this_send());
  EXPECT_TRUE(fault_drops_this_send());
  EXPECT_FALSE(fault_drops_this_send());
  EXPECT_EQ(fault_hook().dropped.load(), 1U);
  fault_hook().disarm();
}

}  // namespace
}  // namespace actorlab::bench
