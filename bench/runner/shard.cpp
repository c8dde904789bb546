// shard.cpp: see shard.hpp.
#include "bench/runner/shard.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sched.h>

#include <array>
#include <cstdlib>

#include "core/config.hpp"

namespace actorlab::bench {
namespace {

using core::ConfigError;

constexpr uint64_t kMaxSchedulerIndex = 4000000000ULL;  // Slurm's task ids are 32-bit

// A variable or flag part that must be a whole number: digits only.
uint64_t whole_number(std::string_view text, std::string_view what, uint64_t min, uint64_t max) {
  try {
    return core::parse_unsigned(text, min, max, what);
  } catch (const ConfigError&) {
    throw ConfigError(fmt::format("{}: '{}' is not allowed; give a whole number from {} to {}", what, text, min, max));
  }
}

Shard from_flag(const std::string& text) {
  const auto slash = text.find('/');
  const std::string usage = fmt::format("give I/N, 0 <= I < N <= {} (e.g. --shard=0/4 .. --shard=3/4)", kMaxShards);
  if (slash == std::string::npos) throw ConfigError(fmt::format("--shard: '{}' is not allowed; {}", text, usage));
  const std::string_view all(text);
  uint64_t index = 0, count = 0;
  try {
    index = core::parse_unsigned(all.substr(0, slash), 0, kMaxShards, "--shard");
    count = core::parse_unsigned(all.substr(slash + 1), 0, kMaxShards, "--shard");
  } catch (const ConfigError&) {
    throw ConfigError(fmt::format("--shard: '{}' is not allowed; {}", text, usage));
  }
  if (count == 0) throw ConfigError(fmt::format("--shard={}: N must be 1 to {}; {}", text, kMaxShards, usage));
  if (index >= count)
    throw ConfigError(fmt::format("--shard={}: I must be below N (shards count from 0: 0/{} .. {}/{})", text, count,
                                  count - 1, count));
  Shard s;
  s.index = static_cast<int>(index);
  s.count = static_cast<int>(count);
  s.source = "--shard";
  s.how = "--shard=" + text;
  return s;
}

std::string need(const EnvLookup& env, const char* name, const char* because) {
  auto value = env(name);
  if (!value) throw ConfigError(fmt::format("{} is not set, but {}", name, because));
  return *value;
}

Shard from_slurm(const EnvLookup& env, const std::string& id_text) {
  const char* because = "SLURM_ARRAY_TASK_ID is (a Slurm job array sets them all); give --shard=I/N outside Slurm";
  const std::string count_text = need(env, "SLURM_ARRAY_TASK_COUNT", because);
  const std::string min_text = need(env, "SLURM_ARRAY_TASK_MIN", because);
  const uint64_t id = whole_number(id_text, "SLURM_ARRAY_TASK_ID", 0, kMaxSchedulerIndex);
  const uint64_t count = whole_number(count_text, "SLURM_ARRAY_TASK_COUNT", 1, kMaxShards);
  const uint64_t min = whole_number(min_text, "SLURM_ARRAY_TASK_MIN", 0, kMaxSchedulerIndex);
  const auto step_text = env("SLURM_ARRAY_TASK_STEP");
  const uint64_t step = step_text ? whole_number(*step_text, "SLURM_ARRAY_TASK_STEP", 1, kMaxSchedulerIndex) : 1;
  Shard s;
  s.source = "SLURM_ARRAY_TASK_ID";
  s.env = {{"SLURM_ARRAY_TASK_ID", id_text}, {"SLURM_ARRAY_TASK_COUNT", count_text},
           {"SLURM_ARRAY_TASK_MIN", min_text}};
  if (step_text) s.env["SLURM_ARRAY_TASK_STEP"] = *step_text;
  const std::string uniform = "shards need a uniform array such as --array=0-7 or 1-8 (a list like 0,3,7 is not one); "
                              "or give --shard=I/N per task";
  if (const auto max_text = env("SLURM_ARRAY_TASK_MAX")) {
    s.env["SLURM_ARRAY_TASK_MAX"] = *max_text;
    const uint64_t max = whole_number(*max_text, "SLURM_ARRAY_TASK_MAX", 0, kMaxSchedulerIndex);
    if (max != min + (count - 1) * step)
      throw ConfigError(fmt::format("SLURM_ARRAY_TASK_MIN={} MAX={} STEP={} COUNT={}: not a uniform range; {}", min,
                                    max, step, count, uniform));
  }
  if (id < min || (id - min) % step != 0 || (id - min) / step >= count)
    throw ConfigError(fmt::format("SLURM_ARRAY_TASK_ID={} is not in the array SLURM_ARRAY_TASK_MIN={} + k x STEP={}, "
                                  "k < SLURM_ARRAY_TASK_COUNT={}; {}",
                                  id, min, step, count, uniform));
  s.index = static_cast<int>((id - min) / step);
  s.count = static_cast<int>(count);
  s.how = step == 1 ? fmt::format("SLURM_ARRAY_TASK_ID={} - SLURM_ARRAY_TASK_MIN={}, of SLURM_ARRAY_TASK_COUNT={}",
                                  id, min, count)
                    : fmt::format("(SLURM_ARRAY_TASK_ID={} - SLURM_ARRAY_TASK_MIN={}) / SLURM_ARRAY_TASK_STEP={}, of "
                                  "SLURM_ARRAY_TASK_COUNT={}",
                                  id, min, step, count);
  return s;
}

Shard from_indexed_job(const std::string& index_text, int count) {
  const uint64_t index = whole_number(index_text, "JOB_COMPLETION_INDEX", 0, kMaxSchedulerIndex);
  if (index >= static_cast<uint64_t>(count))
    throw ConfigError(fmt::format("JOB_COMPLETION_INDEX={} is not below --shards={}: give the Job's completions as "
                                  "--shards (indexes run 0 .. completions - 1)",
                                  index, count));
  Shard s;
  s.index = static_cast<int>(index);
  s.count = count;
  s.source = "JOB_COMPLETION_INDEX";
  s.how = fmt::format("JOB_COMPLETION_INDEX={}, of --shards={}", index, count);
  s.env = {{"JOB_COMPLETION_INDEX", index_text}};
  return s;
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  };
}

Shard resolve_shard(const ShardFlags& flags, const EnvLookup& env) {
  std::vector<Shard> found;  // every source present, in order of precedence
  if (!flags.shard.empty()) found.push_back(from_flag(flags.shard));
  int shards = 0;
  if (!flags.shards.empty())
    shards = static_cast<int>(whole_number(flags.shards, "--shards", 1, kMaxShards));
  if (const auto id = env("SLURM_ARRAY_TASK_ID")) {
    found.push_back(from_slurm(env, *id));
    if (shards > 0 && shards != found.back().count)
      throw ConfigError(fmt::format("--shards={} disagrees with SLURM_ARRAY_TASK_COUNT={}; drop --shards (a Slurm "
                                    "array gives the count)",
                                    shards, found.back().count));
  }
  if (const auto index = env("JOB_COMPLETION_INDEX")) {
    if (shards == 0 && flags.shard.empty())
      throw ConfigError("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but --shards is not: give "
                        "--shards=N, the Job's completions");
    found.push_back(from_indexed_job(*index, shards > 0 ? shards : found.front().count));
  } else if (shards > 0 && found.empty()) {
    throw ConfigError(fmt::format("--shards={} takes the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), "
                                  "which is not set; give --shard=I/N instead",
                                  shards));
  }
  if (!flags.shard.empty() && shards > 0 && shards != found.front().count)
    throw ConfigError(fmt::format("--shards={} disagrees with --shard={}; give one of them", shards, flags.shard));
  if (found.empty()) {
    Shard whole;
    whole.how = "no --shard, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX: the whole suite";
    return whole;
  }
  Shard chosen = found.front();
  for (std::size_t i = 1; i < found.size(); ++i) {
    const Shard& other = found[i];
    if (other.index != chosen.index || other.count != chosen.count)
      throw ConfigError(fmt::format("{} (shard {}/{}) disagrees with {} (shard {}/{}); give one of them (env -u NAME "
                                    "unsets a variable)",
                                    chosen.how, chosen.index, chosen.count, other.how, other.index, other.count));
    chosen.how += fmt::format("; agrees with {}", other.source);
    for (const auto& [k, v] : other.env.items()) chosen.env[k] = v;
  }
  return chosen;
}

std::string_view split_kind(std::size_t workloads, int shards) {
  return workloads >= static_cast<std::size_t>(shards) ? "workloads" : "cells";
}

std::vector<std::size_t> shard_cells(std::size_t workloads, std::size_t configs, const Shard& shard) {
  const std::size_t total = workloads * configs;
  const auto n = static_cast<std::size_t>(shard.count);
  const auto i = static_cast<std::size_t>(shard.index);
  if (n > total)
    throw ConfigError(fmt::format("{}: {} shards, but the suite has {} cells ({} workloads x {} configurations); "
                                  "use at most {} shards",
                                  shard.how, n, total, workloads, configs, total));
  std::vector<std::size_t> cells;
  if (split_kind(workloads, shard.count) == "workloads") {
    for (std::size_t row = i * workloads / n; row < (i + 1) * workloads / n; ++row)
      for (std::size_t c = 0; c < configs; ++c) cells.push_back(row * configs + c);
  } else {
    for (std::size_t cell = i * total / n; cell < (i + 1) * total / n; ++cell) cells.push_back(cell);
  }
  return cells;
}

std::string sha256_text(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256: OpenSSL's EVP_Digest failed");
  std::string out = "sha256:";
  for (unsigned int k = 0; k < size; ++k) out += fmt::format("{:02x}", digest[k]);
  return out;
}

std::string allowed_cpus_text() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return "unknown";
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    out += (out.empty() ? "" : ",") + (last == cpu ? std::to_string(cpu) : fmt::format("{}-{}", cpu, last));
    cpu = last;
  }
  return out;
}

}  // namespace actorlab::bench
