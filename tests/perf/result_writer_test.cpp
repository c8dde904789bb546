// tests/perf/result_writer_test.cpp: the result set JSON must stay readable
// by google/benchmark's compare.py. Guards: missing schema fields, wrong
// aggregate values (sample vs population stddev, even-count median), counters
// dropped from aggregates, interleaved repetitions split into two groups,
// non-atomic or silently failing writes, a run's annotations (the outlier
// flag and machine sample) lost, aggregated or allowed to overwrite a
// schema field or counter.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "perf/result_writer.hpp"

namespace actorlab::perf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

RunRecord make_run(const std::string& name, int index, int repetitions, double real_ns) {
  RunRecord run;
  run.name = name;
  run.repetition_index = index;
  run.repetitions = repetitions;
  run.iterations = 1000;
  run.real_time_ns = real_ns;
  run.cpu_time_ns = real_ns * 2;
  run.counters = {{"msgs_per_second", 1e9 / real_ns}, {"p50_ns", real_ns * 10}};
  return run;
}

// Three repetitions of "ping/policy:a" interleaved with a single "ping/policy:b".
ResultSet make_results(double scale = 1.0) {
  ResultSet results;
  results.extra_context = {{"suite", "unit"}, {"config", {{"threads", 4}}}};
  results.runs.push_back(make_run("ping/policy:a", 0, 3, 10.0 * scale));
  results.runs.push_back(make_run("ping/policy:b", 0, 1, 50.0 * scale));
  results.runs.push_back(make_run("ping/policy:a", 1, 3, 30.0 * scale));
  results.runs.push_back(make_run("ping/policy:a", 2, 3, 20.0 * scale));
  return results;
}

const json* find_entry(const json& document, const std::string& name) {
  for (const json& entry : document.at("benchmarks")) {
    if (entry.at("name") == name) return &entry;
  }
  return nullptr;
}

TEST(ResultWriter, ContextFields) {
  const json document = to_json(make_results());
  const json& context = document.at("context");
  for (const char* key : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
                          "cpu_scaling_enabled", "caches", "load_avg", "library_build_type",
                          "cpu_model", "kernel", "governor", "commit"}) {
    EXPECT_TRUE(context.contains(key)) << key;
  }
  EXPECT_TRUE(context.at("caches").is_array());
  EXPECT_EQ(context.at("load_avg").size(), 3U);
  EXPECT_EQ(context.at("suite"), "unit");  // extra_context merged in
  EXPECT_EQ(context.at("config").at("threads"), 4);
}

TEST(ResultWriter, GivenMachineDateAndExecutableAreUsed) {
  ResultSet results = make_results();
  MachineInfo machine;
  machine.host_name = "box";
  machine.governor = "performance";
  machine.num_cpus = 8;
  machine.commit = "abc123";
  results.machine = machine;
  results.date = "2024-01-02T03:04:05+00:00";
  results.executable = "actorlab";
  const json context = to_json(results).at("context");
  EXPECT_EQ(context.at("host_name"), "box");
  EXPECT_EQ(context.at("num_cpus"), 8);
  EXPECT_EQ(context.at("commit"), "abc123");
  EXPECT_EQ(context.at("cpu_scaling_enabled"), false);
  EXPECT_EQ(context.at("date"), "2024-01-02T03:04:05+00:00");
  EXPECT_EQ(context.at("executable"), "actorlab");
}

TEST(ResultWriter, IterationEntries) {
  const json document = to_json(make_results());
  const json& benchmarks = document.at("benchmarks");
  // 3 repetitions + 4 aggregates for a, 1 repetition and no aggregates for b.
  ASSERT_EQ(benchmarks.size(), 8U);
  // Grouped by name: a's repetitions in input order, then its aggregates.
  EXPECT_EQ(benchmarks[0].at("repetition_index"), 0);
  EXPECT_EQ(benchmarks[1].at("repetition_index"), 1);
  EXPECT_EQ(benchmarks[2].at("repetition_index"), 2);
  EXPECT_EQ(benchmarks[3].at("name"), "ping/policy:a_mean");
  EXPECT_EQ(benchmarks[7].at("name"), "ping/policy:b");
  const json& first = benchmarks[1];
  EXPECT_EQ(first.at("name"), "ping/policy:a");
  EXPECT_EQ(first.at("run_name"), "ping/policy:a");
  EXPECT_EQ(first.at("run_type"), "iteration");
  EXPECT_EQ(first.at("family_index"), 0);
  EXPECT_EQ(first.at("per_family_instance_index"), 0);
  EXPECT_EQ(first.at("repetitions"), 3);
  EXPECT_EQ(first.at("threads"), 1);
  EXPECT_EQ(first.at("iterations"), 1000);
  EXPECT_DOUBLE_EQ(first.at("real_time").get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(first.at("cpu_time").get<double>(), 60.0);
  EXPECT_EQ(first.at("time_unit"), "ns");
  EXPECT_DOUBLE_EQ(first.at("p50_ns").get<double>(), 300.0);
  EXPECT_FALSE(first.contains("error_occurred"));
  // b is a second instance of family "ping".
  EXPECT_EQ(benchmarks[7].at("family_index"), 0);
  EXPECT_EQ(benchmarks[7].at("per_family_instance_index"), 1);
}

TEST(ResultWriter, Aggregates) {
  const json document = to_json(make_results());
  const json* mean = find_entry(document, "ping/policy:a_mean");
  const json* median = find_entry(document, "ping/policy:a_median");
  const json* stddev = find_entry(document, "ping/policy:a_stddev");
  const json* cv = find_entry(document, "ping/policy:a_cv");
  ASSERT_TRUE(mean && median && stddev && cv);
  EXPECT_EQ(find_entry(document, "ping/policy:b_mean"), nullptr);
  for (const json* entry : {mean, median, stddev, cv}) {
    EXPECT_EQ(entry->at("run_type"), "aggregate");
    EXPECT_EQ(entry->at("run_name"), "ping/policy:a");
    EXPECT_EQ(entry->at("repetitions"), 3);
    EXPECT_EQ(entry->at("iterations"), 3);
    EXPECT_EQ(entry->at("time_unit"), "ns");
    EXPECT_FALSE(entry->contains("repetition_index"));
  }
  EXPECT_EQ(mean->at("aggregate_name"), "mean");
  EXPECT_EQ(mean->at("aggregate_unit"), "time");
  EXPECT_EQ(cv->at("aggregate_name"), "cv");
  EXPECT_EQ(cv->at("aggregate_unit"), "percentage");
  // real times 10, 30, 20: mean 20, median 20, sample stddev 10, cv 0.5.
  EXPECT_DOUBLE_EQ(mean->at("real_time").get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(median->at("real_time").get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(stddev->at("real_time").get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(cv->at("real_time").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(mean->at("cpu_time").get<double>(), 40.0);
  // Counters aggregate the same way: p50_ns = 100, 300, 200.
  EXPECT_DOUBLE_EQ(mean->at("p50_ns").get<double>(), 200.0);
  EXPECT_DOUBLE_EQ(stddev->at("p50_ns").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(cv->at("p50_ns").get<double>(), 0.5);
}

TEST(ResultWriter, FailedRunsAreMarkedAndNotAggregated) {
  ResultSet results = make_results();
  results.runs[2].error_message = "lost 3 messages";
  const json document = to_json(results);
  int errors = 0;
  for (const json& entry : document.at("benchmarks")) {
    if (entry.value("error_occurred", false)) {
      ++errors;
      EXPECT_EQ(entry.at("error_message"), "lost 3 messages");
    }
  }
  EXPECT_EQ(errors, 1);
  const json* mean = find_entry(document, "ping/policy:a_mean");
  ASSERT_NE(mean, nullptr);
  EXPECT_DOUBLE_EQ(mean->at("real_time").get<double>(), 15.0);  // (10 + 20) / 2
  EXPECT_EQ(mean->at("iterations"), 2);
}

TEST(ResultWriter, AnnotationsGoIntoTheirRunOnly) {
  ResultSet results = make_results();
  results.runs[1].annotations["actorlab_outlier"] = true;
  results.runs[1].annotations["actorlab_hygiene"] = {{"load_1min", 3.5}, {"warnings", json::array({"busy"})}};
  const json document = to_json(results);
  int flagged = 0;
  for (const json& entry : document.at("benchmarks")) {
    if (!entry.contains("actorlab_outlier")) {
      EXPECT_FALSE(entry.contains("actorlab_hygiene")) << entry.dump();
      continue;
    }
    ++flagged;
    EXPECT_EQ(entry.at("run_type"), "iteration");
    EXPECT_EQ(entry.at("actorlab_hygiene").at("load_1min"), 3.5);
  }
  EXPECT_EQ(flagged, 1) << "an annotation was lost or copied into an aggregate";
  for (const char* clash : {"real_time", "msgs_per_second"}) {
    ResultSet bad = make_results();
    bad.runs[0].annotations[clash] = "x";
    EXPECT_THROW((void)to_json(bad), std::invalid_argument) << clash;
  }
  ResultSet not_object = make_results();
  not_object.runs[0].annotations = json::array();
  EXPECT_THROW((void)to_json(not_object), std::invalid_argument);
}

TEST(ResultWriter, RejectsBadInput) {
  ResultSet results = make_results();
  results.runs[0].counters["real_time"] = 1.0;
  EXPECT_THROW((void)to_json(results), std::invalid_argument);
  ResultSet bad_context = make_results();
  bad_context.extra_context = json::array();
  EXPECT_THROW((void)to_json(bad_context), std::invalid_argument);
}

TEST(Summarize, Values) {
  const Summary odd = summarize({3.0, 1.0, 2.0});
  EXPECT_DOUBLE_EQ(odd.median, 2.0);
  EXPECT_DOUBLE_EQ(odd.mean, 2.0);
  EXPECT_DOUBLE_EQ(odd.stddev, 1.0);
  EXPECT_DOUBLE_EQ(odd.min, 1.0);
  EXPECT_DOUBLE_EQ(odd.max, 3.0);
  EXPECT_DOUBLE_EQ(summarize({4.0, 1.0, 3.0, 2.0}).median, 2.5);
  const Summary one = summarize({7.0});
  EXPECT_DOUBLE_EQ(one.median, 7.0);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
  const Summary none = summarize({});
  EXPECT_DOUBLE_EQ(none.mean, 0.0);
  EXPECT_DOUBLE_EQ(none.max, 0.0);
}

class ResultFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("actorlab_perf_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ResultFiles, WritesParseableFileAndCreatesDirectories) {
  const fs::path path = dir_ / "nested" / "deeper" / "run.json";
  write_result_file(make_results(), path.string());
  std::ifstream in(path);
  const json document = json::parse(in);
  EXPECT_EQ(document.at("benchmarks").size(), 8U);
  // No temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(path.parent_path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(ResultFiles, FailureNamesThePath) {
  // A regular file where a directory should be: creating the parent fails.
  fs::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "x";
  const std::string path = (dir_ / "blocker" / "run.json").string();
  try {
    write_result_file(make_results(), path);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

// Runs a command, returning its exit status and capturing stdout + stderr.
int run_command(const std::string& command, std::string& output) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return -1;
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) output.append(buffer, got);
  const int status = ::pclose(pipe.release());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(ResultFiles, CompareScriptReadsTwoFiles) {
  // End to end: google/benchmark's own compare.py must accept our files and
  // report the benchmark by name. Debian python (numpy, scipy) only.
  const std::string python = "/usr/bin/python3";
  const std::string script = "/usr/share/benchmark/compare.py";
  if (!fs::exists(python)) GTEST_SKIP() << python << " not found";
  if (!fs::exists(script)) GTEST_SKIP() << script << " not found (install libbenchmark-tools)";
  std::string probe;
  if (run_command(python + " -c 'import numpy, scipy'", probe) != 0) {
    GTEST_SKIP() << "numpy/scipy missing for " << python << " (apt-get install python3-numpy "
                 << "python3-scipy): " << probe;
  }
  const fs::path a = dir_ / "A.json";
  const fs::path b = dir_ / "B.json";
  write_result_file(make_results(1.0), a.string());
  write_result_file(make_results(2.0), b.string());
  std::string output;
  const int status = run_command(python + " " + script + " benchmarks " + a.string() + " " +
                                     b.string(), output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("ping/policy:a"), std::string::npos) << output;
  EXPECT_NE(output.find("ping/policy:b"), std::string::npos) << output;
  EXPECT_NE(output.find("ping/policy:a_median"), std::string::npos) << output;
  EXPECT_NE(output.find("+1.0000"), std::string::npos) << output;  // B is 2x slower
}

}  // namespace
}  // namespace actorlab::perf
