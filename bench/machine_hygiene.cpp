// machine_hygiene.cpp: see machine_hygiene.hpp.
#include "bench/machine_hygiene.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string_view>

namespace actorlab::bench {
namespace {

constexpr std::array<std::string_view, 14> kBenchmarkPrograms = {
    "actorlab_micro", "sysbench", "stress", "stress-ng", "fio", "iperf", "iperf3", "wrk", "wrk2",
    "redis-benchmark", "memtier_benchmark", "hyperfine", "ab", "phoronix-test-suite"};
constexpr std::array<std::string_view, 6> kCompilers = {"cc1plus", "cc1", "ld", "ld.gold", "lld", "rustc"};
constexpr std::size_t kMaxListed = 8;

std::vector<std::string> read_cmdline(const std::filesystem::path& dir) {
  std::ifstream in(dir / "cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string current;
  for (char c : raw) {
    if (c == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(current);
  return args;
}

int parent_of(const std::filesystem::path& proc_root, int pid) {
  std::ifstream in(proc_root / std::to_string(pid) / "stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

// Why this command line competes with a benchmark, or empty.
std::string verdict(const std::vector<std::string>& args) {
  if (args.empty()) return {};
  const std::string program = std::filesystem::path(args[0]).filename().string();
  if (program == "actorlab" && args.size() > 1 && (args[1] == "bench" || args[1] == "suite"))
    return "another actorlab benchmark";
  if (std::find(kBenchmarkPrograms.begin(), kBenchmarkPrograms.end(), program) != kBenchmarkPrograms.end())
    return "a benchmark";
  for (const auto& a : args)
    if (a.rfind("--benchmark_", 0) == 0) return "a Google Benchmark program";
  if (std::find(kCompilers.begin(), kCompilers.end(), program) != kCompilers.end()) return "a build";
  return {};
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out.size() > 120 ? out.substr(0, 117) + "..." : out;
}

}  // namespace

std::optional<std::string> load_warning(double load_1min, int cpus) {
  const double threshold = std::max(0.5, static_cast<double>(cpus) / 4.0);
  if (load_1min < threshold) return std::nullopt;
  return fmt::format("load average {:.2f} over the last minute on {} CPUs: something else is running; "
                     "figures will be noisy",
                     load_1min, cpus);
}

std::vector<std::string> competing_processes(const std::string& proc_root, int self_pid) {
  namespace fs = std::filesystem;
  std::set<int> skip;
  for (int pid = self_pid; pid > 1 && skip.insert(pid).second;) pid = parent_of(proc_root, pid);
  std::vector<std::pair<int, std::string>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(proc_root, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const int pid = std::stoi(name);
    if (skip.count(pid)) continue;
    const auto args = read_cmdline(entry.path());
    const std::string why = verdict(args);
    if (!why.empty()) found.emplace_back(pid, fmt::format("pid {}: {} ({})", pid, joined(args), why));
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [pid, line] : found) {
    if (out.size() == kMaxListed) {
      out.push_back(fmt::format("... and {} more", found.size() - kMaxListed));
      break;
    }
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> hygiene_warnings(const perf::MachineInfo& machine) {
  std::vector<std::string> out;
  if (auto w = load_warning(machine.load_avg[0], machine.num_cpus)) out.push_back(*w);
  for (const auto& p : competing_processes("/proc", static_cast<int>(::getpid())))
    out.push_back("running beside this benchmark: " + p);
  return out;
}

}  // namespace actorlab::bench
