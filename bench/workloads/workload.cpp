// workload.cpp: the parts of workload.hpp that are not the catalogue:
// verdict names, WorkloadParams' getters, parameter validation and lookup
// by name.
// Threads: main thread (start-up); no shared state.
#include "bench/workloads/workload.hpp"

#include "core/config.hpp"

namespace actorlab::bench {

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::kPassed: return "passed";
    case Verdict::kFailed: return "failed";
    case Verdict::kRefused: return "refused";
    case Verdict::kStalled: return "stalled";
    case Verdict::kTooSlow: return "too slow";
    case Verdict::kInterrupted: return "interrupted";
  }
  return "unknown";
}

uint64_t WorkloadParams::get_u64(const std::string& key, uint64_t fallback, uint64_t min, uint64_t max) const {
  auto it = values.find(key);
  if (it == values.end()) return fallback;
  return core::parse_unsigned(it->second, min, max, key);
}

std::string WorkloadParams::get_text(const std::string& key, const std::string& fallback) const {
  auto it = values.find(key);
  return it == values.end() ? fallback : it->second;
}

void validate_params(const Workload& workload, const WorkloadParams& params) {
  for (const auto& [key, value] : params.values) {
    bool known = false;
    std::string valid;
    for (const auto& spec : workload.params) {
      known = known || spec.name == key;
      valid += (valid.empty() ? "" : ", ") + spec.name;
    }
    if (!known)
      throw core::ConfigError("unknown parameter '" + key + "' of workload " + workload.name +
                              (valid.empty() ? " (it takes only count)" : "; valid: count, " + valid));
  }
  if (workload.check) workload.check(params);
}

const Workload* find_workload(const std::string& name) {
  for (const auto& w : workloads())
    if (w.name == name) return &w;
  return nullptr;
}

}  // namespace actorlab::bench
