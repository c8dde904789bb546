// affinity.hpp: --pin, binding worker threads to CPUs (any policy).
//   none   no binding (the default)
//   cores  worker i on the i-th CPU this process may run on (modulo their count)
//   LIST   comma-separated CPU numbers, worker i on LIST[i % size]
// Start-up only; exceptions allowed. Each worker pins itself as it starts.
#pragma once

#include <string_view>
#include <vector>

namespace actorlab::core {

// CPU per worker (empty for "none"). Throws ConfigError for a malformed
// spec or a CPU this process cannot run on, naming the CPUs it can.
std::vector<int> resolve_pin(std::string_view spec, int threads);

// Binds the calling thread to one CPU. False if the kernel refused.
bool pin_current_thread(int cpu) noexcept;

}  // namespace actorlab::core
