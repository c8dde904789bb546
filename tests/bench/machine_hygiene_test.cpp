// tests/bench/machine_hygiene_test.cpp: the warnings a run records about
// its machine (bench/runner/machine_hygiene.hpp), on a fake /proc tree. Guards:
// the runner warning about itself or its parent (scripts/bench), missing
// another actorlab benchmark, a Google Benchmark binary or a compiler, and
// a load threshold that never or always fires.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/runner/machine_hygiene.hpp"

namespace actorlab::bench {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("actorlab_fake_proc_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void add(int pid, int ppid, const std::string& cmdline_with_spaces) {
    const fs::path dir = root_ / std::to_string(pid);
    fs::create_directories(dir);
    std::string cmdline = cmdline_with_spaces;
    for (char& c : cmdline)
      if (c == ' ') c = '\0';
    std::ofstream(dir / "cmdline", std::ios::binary) << cmdline << '\0';
    std::ofstream(dir / "stat") << pid << " (some (odd) name) S " << ppid << " 1 1 0\n";
  }
  fs::path root_;
};

TEST_F(FakeProc, FindsOthersAndSkipsItsOwnLine) {
  add(1, 0, "/sbin/init");
  add(10, 1, "bash scripts/bench");
  add(11, 10, "build/bench/actorlab suite bench/suites/default.toml");  // self
  add(20, 1, "/opt/x/actorlab bench --workload=flood");
  add(21, 1, "actorlab list");
  add(30, 1, "./bm_queue --benchmark_filter=Mailbox");
  add(40, 1, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus -quiet x.cpp");
  add(50, 1, "vim notes.txt");
  std::ofstream(root_ / "self") << "not a pid";
  const auto found = competing_processes(root_.string(), 11);
  ASSERT_EQ(found.size(), 3U);
  EXPECT_EQ(found[0].pid, 20);
  EXPECT_EQ(found[0].kind, "another actorlab benchmark");
  EXPECT_EQ(found[0].command, "/opt/x/actorlab bench --workload=flood");
  EXPECT_EQ(found[1].pid, 30);
  EXPECT_EQ(found[1].kind, "a Google Benchmark program");
  EXPECT_EQ(found[2].pid, 40);
  EXPECT_EQ(found[2].kind, "a build");
}

TEST_F(FakeProc, AnotherSuiteIsFoundWhenItIsNotAnAncestor) {
  add(1, 0, "/sbin/init");
  add(11, 1, "actorlab suite a.toml");
  add(12, 1, "actorlab suite b.toml");
  const auto found = competing_processes(root_.string(), 11);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].pid, 12);
  EXPECT_EQ(found[0].command, "actorlab suite b.toml");
}

// Target: a /proc file that opens but cannot be read. A process that exits
// while the scan reads its files makes read(2) fail (ESRCH); an iostream
// turned that into an exception that ended a whole suite. A directory in
// place of the file fails read(2) the same way (EISDIR), every time.
TEST_F(FakeProc, UnreadableFilesAreSkippedNotThrown) {
  add(100, 1, "cc1plus -quiet x.cpp");
  fs::create_directories(root_ / "200" / "cmdline");
  fs::create_directories(root_ / "200" / "stat");
  std::vector<CompetingProcess> found;
  ASSERT_NO_THROW(found = competing_processes(root_.string(), 999));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].pid, 100);
}

TEST(LoadWarning, Threshold) {
  EXPECT_FALSE(load_warning(0.1, 2).has_value());
  EXPECT_FALSE(load_warning(0.49, 2).has_value());
  EXPECT_TRUE(load_warning(0.5, 2).has_value());
  EXPECT_FALSE(load_warning(3.9, 16).has_value());
  ASSERT_TRUE(load_warning(4.0, 16).has_value());
  EXPECT_NE(load_warning(4.0, 16)->find("16 CPUs"), std::string::npos);
}

}  // namespace
}  // namespace actorlab::bench
