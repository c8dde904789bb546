// affinity.cpp: parsing --pin, binding threads (sched_getaffinity /
// pthread_setaffinity_np) and naming them (pthread_setname_np).
#include "core/affinity.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <string>

#include "core/config.hpp"

namespace actorlab::core {
namespace {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

std::string join(const std::vector<int>& v) {
  std::string out;
  for (int x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

}  // namespace

std::vector<int> resolve_pin(std::string_view spec, int threads) {
  if (spec == "none" || spec.empty()) return {};
  const std::vector<int> allowed = allowed_cpus();
  if (allowed.empty()) throw ConfigError("pin: cannot read this process's CPU set");
  std::vector<int> per_worker;
  if (spec == "cores") {
    for (int i = 0; i < threads; ++i) per_worker.push_back(allowed[static_cast<std::size_t>(i) % allowed.size()]);
    return per_worker;
  }
  std::vector<int> list;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = spec.find(',', start);
    const std::string_view item = spec.substr(start, comma == std::string_view::npos ? spec.npos : comma - start);
    int cpu;
    try {
      cpu = static_cast<int>(parse_unsigned(item, 0, CPU_SETSIZE - 1, "pin"));
    } catch (const ConfigError&) {
      throw ConfigError(fmt::format("pin: '{}' is not none, cores or a comma-separated list of CPU numbers", spec));
    }
    bool ok = false;
    for (int a : allowed) ok = ok || a == cpu;
    if (!ok)
      throw ConfigError(fmt::format("pin: CPU {} does not exist or is not available; available: {}", cpu, join(allowed)));
    list.push_back(cpu);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (int i = 0; i < threads; ++i) per_worker.push_back(list[static_cast<std::size_t>(i) % list.size()]);
  return per_worker;
}

bool pin_current_thread(int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

void name_current_thread(const std::string& name) noexcept {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace actorlab::core
