// tests/bench/run_watch_test.cpp: the run watch of run_on_engine (progress,
// not time) and what the runner makes of its verdicts. Targets:
//  - a run that lost a message waiting out a fixed limit, or being told
//    apart from a slow one only by time (the old 120 s "a message was lost
//    or the run stalled"): a dropped message must end as "stalled" within
//    the stall window, a run slowed far past that window but still moving
//    must pass, and only --run-limit may cut it ("too slow");
//  - a refused spawn in a workload's set-up (pingpong --max-actors=1)
//    waiting for a time-out instead of failing at once, naming --max-actors;
//  - a spawn refused while running (skynet, fanout) doing the same;
//  - --stall / --run-limit accepting nan, inf, 0, negative or empty values;
//  - outliers: find_outliers flagging noise or missing a 5x run, and the
//    runner not marking the outlier run (and only it) in the JSON with the
//    machine sample, or the exit status not telling a stall (3) from a
//    failed check (1).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/runner/report_table.hpp"
#include "bench/runner/runner.hpp"
#include "bench/workloads/workload.hpp"
#include "bench/workloads/workload_support.hpp"
#include "core/config.hpp"
#include "perf/clock.hpp"

namespace actorlab::bench {
namespace {

using std::chrono::milliseconds;

core::Config two_workers() {
  core::Config config;
  config.policy = "skynet";
  config.threads = 2;
  return config;
}

WorkloadParams params_of(uint64_t count, milliseconds stall, milliseconds run_limit = milliseconds(600'000)) {
  WorkloadParams params;
  params.count = count;
  params.watch.stall = stall;
  params.watch.run_limit = run_limit;
  return params;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class RunWatchTest : public ::testing::Test {
 protected:
  void TearDown() override { fault_hook().disarm(); }
};

TEST_F(RunWatchTest, ALostMessageStallsWithinTheWindow) {
  const Workload* pingpong = find_workload("pingpong");
  ASSERT_NE(pingpong, nullptr);
  fault_hook().arm(500);  // a ping or pong well inside the run: both actors then wait forever
  perf::Stopwatch clock;
  const WorkloadResult r = pingpong->run(two_workers(), params_of(10'000'000, milliseconds(400)));
  const double took = clock.elapsed_s();
  EXPECT_EQ(fault_hook().dropped.load(), 1U);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.verdict, Verdict::kStalled) << r.error;
  EXPECT_TRUE(contains(r.error, "stalled: no message dispatched for")) << r.error;
  // What it last saw: 499 sends went, plus the two starts.
  EXPECT_TRUE(contains(r.error, "last progress: 501 messages dispatched")) << r.error;
  EXPECT_TRUE(contains(r.error, "of about 20,000,002")) << r.error;
  EXPECT_GE(took, 0.4);
  EXPECT_LT(took, 3.0) << "the stall was noticed long after the window";
}

TEST_F(RunWatchTest, ASlowButSteadyRunPassesFarBeyondTheWindow) {
  const Workload* pingpong = find_workload("pingpong");
  fault_hook().slow_sends(std::chrono::microseconds(2000));  // 2 ms a send: ~4 ms a round trip
  perf::Stopwatch clock;
  const WorkloadResult r = pingpong->run(two_workers(), params_of(250, milliseconds(300)));
  const double took = clock.elapsed_s();
  EXPECT_TRUE(r.ok) << to_string(r.verdict) << ": " << r.error;
  EXPECT_EQ(r.verdict, Verdict::kPassed);
  EXPECT_EQ(r.operations, 250U);
  // Meaningful only if the run outlasted the stall window several times over.
  EXPECT_GT(took, 3 * 0.3);
}

TEST_F(RunWatchTest, TheRunLimitCutsASlowRunAsTooSlowNotLost) {
  const Workload* ring = find_workload("ring");
  fault_hook().slow_sends(std::chrono::microseconds(1000));
  perf::Stopwatch clock;
  const WorkloadResult r = ring->run(two_workers(), params_of(1'000'000, milliseconds(300), milliseconds(1000)));
  const double took = clock.elapsed_s();
  EXPECT_EQ(r.verdict, Verdict::kTooSlow) << r.error;
  EXPECT_TRUE(contains(r.error, "too slow: cut by --run-limit")) << r.error;
  EXPECT_TRUE(contains(r.error, "still making progress")) << r.error;
  EXPECT_FALSE(contains(r.error, "stalled")) << r.error;
  EXPECT_LT(took, 4.0);
}

TEST_F(RunWatchTest, ARefusedSpawnInTheSetUpFailsAtOnceNamingMaxActors) {
  core::Config config = two_workers();
  config.max_actors = 1;  // pingpong needs 2
  perf::Stopwatch clock;
  const WorkloadResult r = find_workload("pingpong")->run(config, params_of(1000, milliseconds(10'000)));
  EXPECT_EQ(r.verdict, Verdict::kRefused) << r.error;
  EXPECT_TRUE(contains(r.error, "set-up refused")) << r.error;
  EXPECT_TRUE(contains(r.error, "--max-actors=1")) << r.error;
  EXPECT_LT(clock.elapsed_s(), 1.0) << "a refused spawn waited for a time-out";
}

TEST_F(RunWatchTest, ASpawnRefusedWhileRunningFailsAtOnce) {
  for (const char* name : {"skynet", "fanout"}) {
    core::Config config = two_workers();
    config.max_actors = 50;  // skynet 1000 leaves needs 1111 actors, fanout 1001
    perf::Stopwatch clock;
    const WorkloadResult r = find_workload(name)->run(config, params_of(1000, milliseconds(10'000)));
    EXPECT_EQ(r.verdict, Verdict::kRefused) << name << ": " << r.error;
    EXPECT_TRUE(contains(r.error, "--max-actors=50")) << name << ": " << r.error;
    EXPECT_LT(clock.elapsed_s(), 2.0) << name << ": a refused spawn waited for a time-out";
  }
}

TEST(WatchVerdict, StallBeatsTheRunLimitAndNeitherFiresEarly) {
  RunWatch watch;
  watch.stall = milliseconds(1000);
  watch.run_limit = milliseconds(5000);
  EXPECT_EQ(watch_verdict(watch, milliseconds(4000), milliseconds(999)), Verdict::kPassed);
  EXPECT_EQ(watch_verdict(watch, milliseconds(4000), milliseconds(1000)), Verdict::kStalled);
  EXPECT_EQ(watch_verdict(watch, milliseconds(5000), milliseconds(10)), Verdict::kTooSlow);
  EXPECT_EQ(watch_verdict(watch, milliseconds(6000), milliseconds(6000)), Verdict::kStalled);
}

TEST(WatchFlags, BadValuesAreRefusedNamingTheFlag) {
  for (const char* flag : {"stall", "run-limit"}) {
    for (const char* bad : {"", "0", "-1", "nan", "inf", "-inf", "1e300", "abc", "5s", "0x"}) {
      RunWatch watch;
      try {
        set_watch_flag(watch, flag, bad);
        ADD_FAILURE() << "--" << flag << "=" << bad << " was accepted";
      } catch (const core::ConfigError& e) {
        EXPECT_TRUE(contains(e.what(), std::string("--") + flag + ": '" + bad + "'")) << e.what();
        EXPECT_TRUE(contains(e.what(), "seconds")) << e.what();
      }
    }
  }
  RunWatch watch;
  set_watch_flag(watch, "stall", "0.5");
  set_watch_flag(watch, "run-limit", "30");
  EXPECT_EQ(watch.stall, milliseconds(500));
  EXPECT_EQ(watch.run_limit, milliseconds(30'000));
}

TEST(Outliers, FiveTimesOffTheMedianEitherWay) {
  EXPECT_EQ(find_outliers({1.0, 1.1, 0.9, 1.0, 6.0}), (std::vector<std::size_t>{4}));
  EXPECT_EQ(find_outliers({1.0, 1.1, 0.15, 1.0, 0.9}), (std::vector<std::size_t>{2}));
  EXPECT_TRUE(find_outliers({1.0, 2.0, 3.0, 4.0, 4.9}).empty()) << "ordinary spread flagged";
  EXPECT_TRUE(find_outliers({1.0, 4.9, 1.0}).empty());
  EXPECT_EQ(find_outliers({1.0, 5.1, 1.0}), (std::vector<std::size_t>{1}));
  EXPECT_TRUE(find_outliers({1.0, 100.0}).empty()) << "two runs have no median to be off";
  EXPECT_TRUE(find_outliers({}).empty());
}

// A fake workload for the runner: each call returns the next of `outcomes`
// (per-op wall time in ns, or a verdict other than passed).
struct Scripted {
  std::vector<std::pair<double, Verdict>> outcomes;
  std::size_t next = 0;
};

Workload scripted_workload(std::shared_ptr<Scripted> script) {
  Workload w{"scripted", "test", "op", "", 1000, nullptr};
  w.run = [script](const core::Config&, const WorkloadParams&) {
    const auto [ns, verdict] = script->outcomes.at(script->next++ % script->outcomes.size());
    WorkloadResult r;
    r.verdict = verdict;
    r.ok = verdict == Verdict::kPassed;
    if (!r.ok) r.error = std::string(to_string(verdict)) + ": scripted";
    r.operations = 1000;
    r.wall_ns = static_cast<uint64_t>(ns * 1000);
    return r;
  };
  return w;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("actorlab_run_watch_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int run(const Workload& workload, int repetitions, nlohmann::json* out) {
    RunPlan plan;
    plan.workloads.push_back({&workload, WorkloadParams{}, "scripted"});
    plan.workloads.back().params.count = 1000;
    plan.configs.push_back({"policy:skynet/threads:1", "skynet", core::Config{}});
    plan.repetitions = repetitions;
    plan.out_path = (dir_ / "out.json").string();
    testing::internal::CaptureStdout();
    const int rc = run_plan(plan);
    table_ = testing::internal::GetCapturedStdout();
    std::ifstream in(plan.out_path);
    *out = nlohmann::json::parse(in);
    return rc;
  }
  std::filesystem::path dir_;
  std::string table_;
};

TEST_F(RunnerTest, TheOutlierRunIsFlaggedInTheTableAndTheJson) {
  auto script = std::make_shared<Scripted>();
  script->outcomes = {{100, Verdict::kPassed}, {110, Verdict::kPassed}, {900, Verdict::kPassed},
                      {95, Verdict::kPassed},  {105, Verdict::kPassed}};
  const Workload w = scripted_workload(script);
  nlohmann::json doc;
  EXPECT_EQ(run(w, 5, &doc), kExitOk);
  int flagged = 0;
  for (const auto& b : doc["benchmarks"]) {
    if (b["run_type"] != "iteration") continue;
    EXPECT_EQ(b["actorlab_verdict"], "passed");
    const bool outlier = b.value("actorlab_outlier", false);
    EXPECT_EQ(outlier, b["repetition_index"] == 2) << b.dump();
    if (!outlier) continue;
    ++flagged;
    EXPECT_NEAR(b["actorlab_outlier_ratio"].get<double>(), 900.0 / 105.0, 1e-9);
    ASSERT_TRUE(b.contains("actorlab_hygiene"));
    EXPECT_TRUE(b["actorlab_hygiene"].contains("load_1min"));
    EXPECT_TRUE(b["actorlab_hygiene"]["warnings"].is_array());
  }
  EXPECT_EQ(flagged, 1);
  EXPECT_EQ(doc["context"]["actorlab_outliers"], 1);
  EXPECT_TRUE(contains(table_, "outliers:")) << table_;
  EXPECT_TRUE(contains(table_, "scripted/policy:skynet/threads:1 rep 3: 8.6x the median; load ")) << table_;
}

TEST_F(RunnerTest, ExitStatusTellsAStallFromAFailedCheck) {
  auto stalls = std::make_shared<Scripted>();
  stalls->outcomes = {{100, Verdict::kPassed}, {0, Verdict::kStalled}, {0, Verdict::kTooSlow}};
  const Workload stalling = scripted_workload(stalls);
  nlohmann::json doc;
  EXPECT_EQ(run(stalling, 3, &doc), kExitStalled);
  EXPECT_TRUE(contains(table_, "1/3")) << table_;
  EXPECT_EQ(doc["benchmarks"][1]["actorlab_verdict"], "stalled");
  EXPECT_EQ(doc["benchmarks"][2]["actorlab_verdict"], "too slow");

  auto mixed = std::make_shared<Scripted>();
  mixed->outcomes = {{0, Verdict::kStalled}, {0, Verdict::kFailed}, {0, Verdict::kRefused}};
  const Workload failing = scripted_workload(mixed);
  EXPECT_EQ(run(failing, 3, &doc), kExitFailed) << "a failed check must win over a stall";
  EXPECT_TRUE(contains(table_, "all runs failed")) << table_;
}

}  // namespace
}  // namespace actorlab::bench
