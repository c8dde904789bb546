// affinity.hpp: --pin, binding worker threads to CPUs (any policy).
//   none   no binding (the default)
//   cores  worker i on the i-th CPU this process may run on (modulo their count)
//   LIST   comma-separated CPU numbers, worker i on LIST[i % size]
// Start-up only; exceptions allowed. Each worker pins itself as it starts.
// Also the runtime threads' names (al-worker-N, al-net, al-timer), as top,
// perf and gdb show them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace actorlab::core {

// CPU per worker (empty for "none"). Throws ConfigError for a malformed
// spec or a CPU this process cannot run on, naming the CPUs it can.
std::vector<int> resolve_pin(std::string_view spec, int threads);

// Binds the calling thread to one CPU. False if the kernel refused.
bool pin_current_thread(int cpu) noexcept;

// Names the calling thread (the kernel keeps 15 characters).
void name_current_thread(const std::string& name) noexcept;

}  // namespace actorlab::core
