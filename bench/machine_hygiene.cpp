// machine_hygiene.cpp: see machine_hygiene.hpp.
#include "bench/machine_hygiene.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

namespace actorlab::bench {
namespace {

constexpr std::array<std::string_view, 14> kBenchmarkPrograms = {
    "actorlab_micro", "sysbench", "stress", "stress-ng", "fio", "iperf", "iperf3", "wrk", "wrk2",
    "redis-benchmark", "memtier_benchmark", "hyperfine", "ab", "phoronix-test-suite"};
constexpr std::array<std::string_view, 6> kCompilers = {"cc1plus", "cc1", "ld", "ld.gold", "lld", "rustc"};

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

std::vector<CompetingProcess> competing_processes(const std::string& proc_root, int self_pid) {
  namespace fs = std::filesystem;
  std::set<int> skip;
  for (int pid = self_pid; pid > 1 && skip.insert(pid).second;) pid = parent_of(proc_root, pid);
  std::vector<CompetingProcess> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(proc_root, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const int pid = std::stoi(name);
    if (skip.count(pid)) continue;
    const auto args = read_cmdline(entry.path());
    std::string why = verdict(args);
    if (!why.empty()) found.push_back({pid, joined(args), std::move(why)});
  }
  std::sort(found.begin(), found.end(),
            [](const CompetingProcess& a, const CompetingProcess& b) { return a.pid < b.pid; });
  return found;
}

std::vector<std::string> hygiene_warnings(const perf::MachineInfo& machine) {
  return hygiene_warnings(machine.load_avg[0], machine.num_cpus);
}

HygieneSample take_hygiene_sample() {
  HygieneSample sample;
  std::ifstream("/proc/loadavg") >> sample.load_1min;
  sample.cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  sample.warnings = hygiene_warnings(sample.load_1min, sample.cpus);
  return sample;
}

nlohmann::json to_json(const HygieneSample& sample) {
  return {{"load_1min", sample.load_1min}, {"cpus", sample.cpus}, {"warnings", sample.warnings}};
}

std::string describe(const HygieneSample& sample) {
  std::string out = fmt::format("load {:.2f} on {} CPUs", sample.load_1min, sample.cpus);
  for (const auto& w : sample.warnings) out += "; " + w;
  return out;
}

std::vector<std::string> hygiene_warnings(double load_1min, int cpus) {
  std::vector<std::string> out;
  if (auto w = load_warning(load_1min, cpus)) out.push_back(*w);
  std::map<std::string, std::vector<CompetingProcess>> by_kind;
  for (auto& p : competing_processes("/proc", static_cast<int>(::getpid()))) by_kind[p.kind].push_back(std::move(p));
  for (const auto& [kind, list] : by_kind) {
    const auto& first = list.front();
    out.push_back(fmt::format("{} is running beside this benchmark: {} process{}, e.g. pid {}: {}", kind,
                              list.size(), list.size() == 1 ? "" : "es", first.pid, first.command));
  }
  return out;
}

}  // namespace actorlab::bench
