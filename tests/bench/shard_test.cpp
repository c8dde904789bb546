// tests/bench/shard_test.cpp: the shard split and its sources
// (bench/runner/shard.hpp), without running anything.
// Guards: shards that overlap, miss a cell or come out of the runner's order
// for any matrix shape and N up to the cell count; a workload's
// configurations split over two shards while there are at least as many
// workloads as shards; block sizes that differ by more than one; an array
// from 1 or with a step read as the wrong index; a variable or flag that is
// not a whole number, out of range or in disagreement with another source
// accepted instead of refused with its name; the sha256 of a suite file not
// matching the standard digest.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "bench/runner/shard.hpp"
#include "core/config.hpp"

namespace actorlab::bench {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

Shard flag(int i, int n) {
  Shard s;
  s.index = i;
  s.count = n;
  return s;
}

TEST(ShardSplit, DisjointCoveringOrderedForEveryShape) {
  for (std::size_t workloads = 1; workloads <= 7; ++workloads) {
    for (std::size_t configs = 1; configs <= 5; ++configs) {
      const std::size_t total = workloads * configs;
      for (std::size_t n = 1; n <= total; ++n) {
        std::vector<std::size_t> all;
        std::size_t smallest = total, largest = 0;
        for (std::size_t i = 0; i < n; ++i) {
          const auto cells = shard_cells(workloads, configs, flag(static_cast<int>(i), static_cast<int>(n)));
          ASSERT_FALSE(cells.empty()) << workloads << "x" << configs << " shard " << i << "/" << n;
          ASSERT_TRUE(std::is_sorted(cells.begin(), cells.end()));
          if (n <= workloads) {  // whole workloads: every configuration of a row together
            ASSERT_EQ(cells.size() % configs, 0u);
            ASSERT_EQ(cells.front() % configs, 0u) << "a shard starts at a workload's first configuration";
            smallest = std::min(smallest, cells.size() / configs);
            largest = std::max(largest, cells.size() / configs);
          } else {
            smallest = std::min(smallest, cells.size());
            largest = std::max(largest, cells.size());
          }
          all.insert(all.end(), cells.begin(), cells.end());
        }
        ASSERT_LE(largest - smallest, 1u) << workloads << "x" << configs << " in " << n;
        ASSERT_EQ(all.size(), total);
        for (std::size_t c = 0; c < total; ++c) ASSERT_EQ(all[c], c) << "concatenated shards are the plan";
      }
    }
  }
}

TEST(ShardSplit, WholeWorkloadsWhileThereAreEnough) {
  // 10 workloads x 4 configurations (the quick suite) in 3: rows 0-2, 3-5, 6-9.
  EXPECT_EQ(shard_cells(10, 4, flag(0, 3)).size(), 12u);
  EXPECT_EQ(shard_cells(10, 4, flag(2, 3)).front(), 24u);
  EXPECT_EQ(split_kind(10, 10), "workloads");
  EXPECT_EQ(split_kind(10, 11), "cells");
  EXPECT_THROW(shard_cells(10, 4, flag(0, 41)), core::ConfigError);
}

TEST(ShardSource, FlagAndNone) {
  Shard s = resolve_shard({"2/5", ""}, env_of({}));
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.source, "--shard");
  s = resolve_shard({}, env_of({}));
  EXPECT_EQ(s.index, 0);
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.source, "none");
}

TEST(ShardSource, SlurmArraysFromZeroFromOneAndWithAStep) {
  for (int i = 0; i < 4; ++i) {
    const Shard zero = resolve_shard({}, env_of({{"SLURM_ARRAY_TASK_ID", std::to_string(i)},
                                                 {"SLURM_ARRAY_TASK_COUNT", "4"},
                                                 {"SLURM_ARRAY_TASK_MIN", "0"}}));
    const Shard one = resolve_shard({}, env_of({{"SLURM_ARRAY_TASK_ID", std::to_string(i + 1)},
                                                {"SLURM_ARRAY_TASK_COUNT", "4"},
                                                {"SLURM_ARRAY_TASK_MIN", "1"},
                                                {"SLURM_ARRAY_TASK_MAX", "4"}}));
    const Shard step = resolve_shard({}, env_of({{"SLURM_ARRAY_TASK_ID", std::to_string(10 + 3 * i)},
                                                 {"SLURM_ARRAY_TASK_COUNT", "4"},
                                                 {"SLURM_ARRAY_TASK_MIN", "10"},
                                                 {"SLURM_ARRAY_TASK_STEP", "3"},
                                                 {"SLURM_ARRAY_TASK_MAX", "19"}}));
    for (const Shard& s : {zero, one, step}) {
      EXPECT_EQ(s.index, i);
      EXPECT_EQ(s.count, 4);
      EXPECT_EQ(s.source, "SLURM_ARRAY_TASK_ID");
    }
    EXPECT_EQ(one.env["SLURM_ARRAY_TASK_MIN"], "1");
  }
}

TEST(ShardSource, IndexedJobNeedsShards) {
  const Shard s = resolve_shard({"", "6"}, env_of({{"JOB_COMPLETION_INDEX", "5"}}));
  EXPECT_EQ(s.index, 5);
  EXPECT_EQ(s.count, 6);
  EXPECT_EQ(s.source, "JOB_COMPLETION_INDEX");
}

void expect_refused(const ShardFlags& flags, std::map<std::string, std::string> vars, const std::string& says) {
  try {
    resolve_shard(flags, env_of(std::move(vars)));
    ADD_FAILURE() << "accepted; expected: " << says;
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(ShardSource, RefusalsNameTheFlagOrVariable) {
  const std::map<std::string, std::string> slurm1 = {
      {"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "0"}};
  expect_refused({"3/3", ""}, {}, "--shard=3/3");
  expect_refused({"0/0", ""}, {}, "--shard=0/0");
  expect_refused({"1/2/3", ""}, {}, "--shard: '1/2/3'");
  expect_refused({"0/100001", ""}, {}, "--shard");
  expect_refused({" 1/3", ""}, {}, "--shard");
  expect_refused({"", "abc"}, {{"JOB_COMPLETION_INDEX", "0"}}, "--shards: 'abc'");
  expect_refused({}, {{"JOB_COMPLETION_INDEX", "0"}}, "--shards is not");
  expect_refused({"", "2"}, {{"JOB_COMPLETION_INDEX", "-1"}}, "JOB_COMPLETION_INDEX: '-1'");
  expect_refused({"", "2"}, {{"JOB_COMPLETION_INDEX", ""}}, "JOB_COMPLETION_INDEX: ''");
  expect_refused({"", "2"}, {}, "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), which is not set");
  expect_refused({}, {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}, "SLURM_ARRAY_TASK_MIN");
  expect_refused({}, {{"SLURM_ARRAY_TASK_ID", "1.5"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "0"}},
                 "SLURM_ARRAY_TASK_ID: '1.5'");
  expect_refused({}, {{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}},
                 "SLURM_ARRAY_TASK_ID=4 is not in the array");
  expect_refused({}, {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                      {"SLURM_ARRAY_TASK_STEP", "2"}},
                 "not in the array");
  expect_refused({"0/3", ""}, slurm1, "disagrees with SLURM_ARRAY_TASK_ID=1");
  expect_refused({"", "4"}, slurm1, "--shards=4 disagrees with SLURM_ARRAY_TASK_COUNT=3");
  auto both = slurm1;
  both["JOB_COMPLETION_INDEX"] = "0";
  expect_refused({"", "3"}, both, "disagrees with JOB_COMPLETION_INDEX=0");
  expect_refused({"1/3", "4"}, {}, "--shards=4 disagrees with --shard=1/3");
}

TEST(ShardSource, AgreeingSourcesAreOne) {
  auto vars = std::map<std::string, std::string>{
      {"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}};
  const Shard s = resolve_shard({"1/3", ""}, env_of(vars));
  EXPECT_EQ(s.source, "--shard");
  EXPECT_NE(s.how.find("agrees with SLURM_ARRAY_TASK_ID"), std::string::npos) << s.how;
}

TEST(SuiteHash, IsTheStandardSha256) {
  EXPECT_EQ(sha256_text("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_text(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace actorlab::bench
