// machine_hygiene.cpp: see machine_hygiene.hpp.
#include "bench/runner/machine_hygiene.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
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

// The whole of a small /proc file, or "" if it cannot be read. Plain
// read(2), not iostreams: a process may exit while we read its files, and
// libstdc++'s filebuf throws on the ESRCH that read then returns.
std::string read_proc_file(const std::filesystem::path& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EOF, or the process went away (ESRCH): keep what we have
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) break;
  }
  ::close(fd);
  return out;
}

std::vector<std::string> read_cmdline(const std::filesystem::path& dir) {
  const std::string raw = read_proc_file(dir / "cmdline");
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
  const std::string line = read_proc_file(std::filesystem::path(proc_root) / std::to_string(pid) / "stat");
  if (line.empty()) return 0;
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
  fs::directory_iterator it(proc_root, error), end;
  for (; !error && it != end; it.increment(error)) {  // increment(error): never throws mid-scan
    const auto& entry = *it;
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
  std::istringstream(read_proc_file("/proc/loadavg")) >> sample.load_1min;
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
