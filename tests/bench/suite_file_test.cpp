// tests/bench/suite_file_test.cpp: suite files (bench/runner/suite_file.hpp).
// Guards: the matrix product or a [[config]] table silently dropping or
// duplicating a configuration; workload parameters not reaching the run or
// the benchmark name; a malformed file accepted, or rejected with an error
// that does not say which file, line and key to fix; the shipped suites
// (bench/suites/*.toml) rotting as workloads and knobs change.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/runner/suite_file.hpp"
#include "core/config.hpp"

namespace actorlab::bench {
namespace {

std::vector<std::string> labels(const Suite& suite) {
  std::vector<std::string> out;
  for (const auto& c : suite.configs) out.push_back(c.label);
  return out;
}

TEST(SuiteFile, MatrixConfigsAndWorkloads) {
  const Suite suite = parse_suite(R"(
name = "unit"
description = "a test"
repetitions = 4
warmup = 2
[matrix]
policy = ["skynet", "steal"]
threads = [1, 2]
batch = ["weights", 8]
[[config]]
policy = "skynet-classic"
[[workload]]
name = "chameneos"
count = 500
creatures = 10
[[workload]]
name = "pingpong"
)",
                                  "unit.toml");
  EXPECT_EQ(suite.name, "unit");
  EXPECT_EQ(suite.description, "a test");
  EXPECT_EQ(suite.repetitions, 4);
  EXPECT_EQ(suite.warmup, 2);
  const std::vector<std::string> expected = {
      "policy:skynet/threads:1/batch:weights", "policy:skynet/threads:2/batch:weights",
      "policy:steal/threads:1/batch:weights",  "policy:steal/threads:2/batch:weights",
      "policy:skynet/threads:1/batch:8",       "policy:skynet/threads:2/batch:8",
      "policy:steal/threads:1/batch:8",        "policy:steal/threads:2/batch:8",
      "policy:skynet-classic/threads:2"};
  EXPECT_EQ(labels(suite), expected);
  EXPECT_EQ(suite.configs[4].config.batch.kind, core::BatchKnob::Kind::kFixed);
  EXPECT_EQ(suite.configs[4].config.batch.n, 8U);
  EXPECT_EQ(suite.configs[8].config.mailbox, core::MailboxKind::kSpinRing);  // the preset applied
  ASSERT_EQ(suite.workloads.size(), 2U);
  EXPECT_EQ(suite.workloads[0].name, "chameneos/creatures:10");
  EXPECT_EQ(suite.workloads[0].params.count, 500U);
  EXPECT_EQ(suite.workloads[0].params.get_text("creatures", ""), "10");
  EXPECT_EQ(suite.workloads[1].name, "pingpong");
  EXPECT_EQ(suite.workloads[1].params.count, suite.workloads[1].workload->default_count);
}

TEST(SuiteFile, NameDefaultsToTheFileStem) {
  const Suite suite = parse_suite("[matrix]\npolicy = \"steal\"\n[[workload]]\nname = \"ring\"\n", "dir/my-suite.toml");
  EXPECT_EQ(suite.name, "my-suite");
  EXPECT_EQ(suite.repetitions, 5);
  EXPECT_EQ(suite.warmup, 0);
  EXPECT_EQ(labels(suite), std::vector<std::string>{"policy:steal/threads:2"});
}

TEST(SuiteFile, ShippedSuitesParse) {
  for (const char* name : {"quick", "default", "full", "net"}) {
    const std::string path = std::string(ACTORLAB_SOURCE_DIR) + "/bench/suites/" + name + ".toml";
    Suite suite;
    ASSERT_NO_THROW(suite = load_suite(path)) << path;
    EXPECT_EQ(suite.name, name);
    EXPECT_FALSE(suite.workloads.empty());
    EXPECT_FALSE(suite.configs.empty());
  }
}

struct BadCase {
  const char* what;
  const char* text;
  int line;
  const char* key;
  const char* detail;  // a fragment of the reason
};

const std::string kWorkload = "\n[[workload]]\nname = \"pingpong\"\n";
const std::string kMatrix = "[matrix]\npolicy = \"skynet\"\n";

class BadSuite : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadSuite, ErrorNamesFileLineAndKey) {
  const BadCase& c = GetParam();
  try {
    (void)parse_suite(c.text, "bad.toml");
    FAIL() << c.what << ": accepted";
  } catch (const core::ConfigError& e) {
    const std::string message = e.what();
    const std::string where = "bad.toml:" + std::to_string(c.line) + ":";
    EXPECT_EQ(message.rfind(where, 0), 0U) << c.what << ": " << message;
    if (*c.key != '\0') {
      EXPECT_NE(message.find(std::string("key '") + c.key + "'"), std::string::npos) << c.what << ": " << message;
    }
    EXPECT_NE(message.find(c.detail), std::string::npos) << c.what << ": " << message;
  }
}

const std::string s_unknown_top = "repetitions = 3\nrepetition = 4\n" + kMatrix + kWorkload;
const std::string s_wrong_type = "repetitions = \"three\"\n" + kMatrix + kWorkload;
const std::string s_range = "warmup = 101\n" + kMatrix + kWorkload;
const std::string s_unknown_knob = "[matrix]\npolicy = \"skynet\"\nthreds = 2\n" + kWorkload;
const std::string s_bad_policy = "[matrix]\npolicy = [\"skynet\",\n  \"stael\"]\n" + kWorkload;
const std::string s_bad_threads = "[matrix]\nthreads = [2, 0]\n" + kWorkload;
const std::string s_bad_batch = "[matrix]\nbatch = \"some\"\n" + kWorkload;
const std::string s_bad_backend = "[matrix]\nbackend = \"kqueue\"\n" + kWorkload;
const std::string s_knob_type = "[matrix]\nspin = 1.5\n" + kWorkload;
const std::string s_alloc_in_matrix = "[matrix]\nalloc = \"system\"\n" + kWorkload;
const std::string s_bad_alloc = "alloc = \"tcmalloc\"\n" + kMatrix + kWorkload;
const std::string s_unknown_workload = kMatrix + "[[workload]]\nname = \"pingpog\"\n";
const std::string s_unknown_param = kMatrix + "[[workload]]\nname = \"big\"\nactor = 10\n";
const std::string s_bad_param = kMatrix + "[[workload]]\nname = \"chameneos\"\ncreatures = 1\n";
const std::string s_param_text = kMatrix + "[[workload]]\nname = \"skewed\"\ncold = \"many\"\n";
const std::string s_bad_count = kMatrix + "[[workload]]\nname = \"skynet\"\ncount = 12345\n";
const std::string s_negative_count = kMatrix + "[[workload]]\nname = \"ring\"\ncount = -5\n";
const std::string s_missing_name = kMatrix + "[[workload]]\ncount = 5\n";
const std::string s_no_workload = kMatrix;
const std::string s_no_matrix = "repetitions = 2\n" + kWorkload;
const std::string s_duplicate_config = kMatrix + "[[config]]\npolicy = \"skynet\"\n" + kWorkload;
const std::string s_duplicate_workload = kMatrix + kWorkload + kWorkload;
const std::string s_syntax = "repetitions = = 3\n" + kMatrix + kWorkload;

INSTANTIATE_TEST_SUITE_P(
    Cases, BadSuite,
    ::testing::Values(
        BadCase{"unknown top-level key", s_unknown_top.c_str(), 2, "repetition", "unknown key"},
        BadCase{"wrong type", s_wrong_type.c_str(), 1, "repetitions", "expected a whole number"},
        BadCase{"out of range", s_range.c_str(), 1, "warmup", "out of range"},
        BadCase{"unknown knob", s_unknown_knob.c_str(), 3, "threds", "unknown knob"},
        BadCase{"unknown policy", s_bad_policy.c_str(), 2, "policy", "stael"},
        BadCase{"threads out of range", s_bad_threads.c_str(), 2, "threads", "out of range"},
        BadCase{"bad batch", s_bad_batch.c_str(), 2, "batch", "some"},
        BadCase{"bad backend", s_bad_backend.c_str(), 2, "backend", "kqueue"},
        BadCase{"knob of the wrong type", s_knob_type.c_str(), 2, "spin", "decimal"},
        BadCase{"alloc in the matrix", s_alloc_in_matrix.c_str(), 2, "alloc", "process-wide"},
        BadCase{"bad alloc", s_bad_alloc.c_str(), 1, "alloc", "tcmalloc"},
        BadCase{"unknown workload", s_unknown_workload.c_str(), 4, "name", "pingpog"},
        BadCase{"unknown parameter", s_unknown_param.c_str(), 5, "actor", "valid: name, count, actors"},
        BadCase{"parameter out of range", s_bad_param.c_str(), 5, "creatures", "out of range"},
        BadCase{"parameter not a number", s_param_text.c_str(), 5, "cold", "not a whole number"},
        BadCase{"count the workload rejects", s_bad_count.c_str(), 5, "count", "power of 10"},
        BadCase{"negative count", s_negative_count.c_str(), 5, "count", "out of range"},
        BadCase{"workload without a name", s_missing_name.c_str(), 3, "name", "missing"},
        BadCase{"no workload", s_no_workload.c_str(), 1, "workload", "missing"},
        BadCase{"no matrix", s_no_matrix.c_str(), 1, "matrix", "missing"},
        BadCase{"configuration twice", s_duplicate_config.c_str(), 3, "config", "twice"},
        BadCase{"workload twice", s_duplicate_workload.c_str(), 7, "workload", "twice"},
        BadCase{"TOML syntax", s_syntax.c_str(), 1, "", ""}));

TEST(SuiteFile, MissingFileNamesThePath) {
  try {
    (void)load_suite("/nonexistent/suite.toml");
    FAIL() << "accepted a missing file";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/suite.toml"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace actorlab::bench
