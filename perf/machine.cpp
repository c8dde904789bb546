// perf/machine.cpp: probes behind read_machine_info(). Linux only: /proc,
// /sys and uname(2). Each probe returns a placeholder on failure.
// Threads: any thread; no shared state.
#include "perf/machine.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <sys/utsname.h>
#include <unistd.h>

#include "build_info.hpp"

namespace actorlab::perf {
namespace {

constexpr const char* kUnknown = "unknown";

std::string trim(std::string_view text) {
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && is_space(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

// First line of a small sysfs/proc file, trimmed; empty if unreadable.
std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  return trim(line);
}

// Value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo_field(const std::string& cpuinfo, std::string_view key) {
  std::istringstream lines(cpuinfo);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(std::string_view(line).substr(0, colon)) == key) {
      return trim(std::string_view(line).substr(colon + 1));
    }
  }
  return {};
}

// Counts CPUs in a sysfs list such as "0-3,8,10-11"; 0 if malformed.
int count_cpu_list(const std::string& list) {
  int total = 0;
  std::istringstream parts(list);
  std::string part;
  while (std::getline(parts, part, ',')) {
    if (part.empty()) continue;
    try {
      const auto dash = part.find('-');
      if (dash == std::string::npos) {
        (void)std::stoi(part);
        total += 1;
      } else {
        total += std::stoi(part.substr(dash + 1)) - std::stoi(part.substr(0, dash)) + 1;
      }
    } catch (const std::exception&) {
      return 0;
    }
  }
  return total;
}

// "32K" / "1024K" / "32M" -> bytes; 0 if malformed.
long long parse_cache_size(const std::string& text) {
  try {
    std::size_t used = 0;
    long long value = std::stoll(text, &used);
    const std::string suffix = trim(std::string_view(text).substr(used));
    if (suffix == "K") value *= 1024;
    else if (suffix == "M") value *= 1024 * 1024;
    else if (suffix == "G") value *= 1024LL * 1024 * 1024;
    return value;
  } catch (const std::exception&) {
    return 0;
  }
}

std::vector<CacheInfo> read_caches() {
  std::vector<CacheInfo> caches;
  for (int index = 0;; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    const std::string type = read_first_line(dir + "type");
    if (type.empty()) break;
    CacheInfo cache;
    cache.type = type;
    try {
      cache.level = std::stoi(read_first_line(dir + "level"));
    } catch (const std::exception&) {
      cache.level = 0;
    }
    cache.size_bytes = parse_cache_size(read_first_line(dir + "size"));
    cache.num_sharing = count_cpu_list(read_first_line(dir + "shared_cpu_list"));
    caches.push_back(std::move(cache));
  }
  return caches;
}

double read_mhz(const std::string& cpuinfo) {
  const std::string mhz = cpuinfo_field(cpuinfo, "cpu MHz");
  if (!mhz.empty()) {
    try {
      return std::stod(mhz);
    } catch (const std::exception&) {
    }
  }
  // Fallback (e.g. arm64): cpuinfo_max_freq is in kHz.
  const std::string khz = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  try {
    return khz.empty() ? 0.0 : std::stod(khz) / 1000.0;
  } catch (const std::exception&) {
    return 0.0;
  }
}

}  // namespace

MachineInfo read_machine_info() {
  MachineInfo info;

  utsname names{};
  if (uname(&names) == 0) {
    info.host_name = names.nodename;
    info.kernel = std::string(names.sysname) + " " + names.release + " " + names.machine;
  } else {
    info.host_name = kUnknown;
    info.kernel = kUnknown;
  }

  std::string cpuinfo;
  {
    std::ifstream in("/proc/cpuinfo");
    std::ostringstream all;
    all << in.rdbuf();
    cpuinfo = all.str();
  }
  info.cpu_model = cpuinfo_field(cpuinfo, "model name");
  if (info.cpu_model.empty()) info.cpu_model = kUnknown;
  info.mhz_per_cpu = read_mhz(cpuinfo);

  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  info.num_cpus = online > 0 ? static_cast<int>(online) : 0;

  info.governor = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (info.governor.empty()) info.governor = kUnknown;

  {
    std::ifstream in("/proc/loadavg");
    for (double& load : info.load_avg) {
      if (!(in >> load)) load = 0.0;
    }
  }

  info.commit = kGitCommit;
  info.caches = read_caches();
  return info;
}

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  if (localtime_r(&now, &local) == nullptr) return kUnknown;
  char buffer[64];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S%z", &local);
  if (length < 5) return kUnknown;
  std::string text(buffer, length);
  text.insert(text.size() - 2, ":");  // +0000 -> +00:00
  return text;
}

std::string executable_path() {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string(kUnknown) : path.string();
}

}  // namespace actorlab::perf
