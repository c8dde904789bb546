// cache_line.hpp: the one padding constant of the project and a CPU pause.
//
// kCacheLine is fixed at 64 (x86-64 and most ARM cores): GCC 12 warns when
// std::hardware_destructive_interference_size appears in a header, and a
// constant we control keeps struct layouts (and their static_asserts) stable.
#pragma once

#include <cstddef>

namespace actorlab::core {

inline constexpr std::size_t kCacheLine = 64;

// A spin-wait hint: lets the sibling hyper-thread run and saves power while a
// thread polls a cache line another core is about to write.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace actorlab::core
