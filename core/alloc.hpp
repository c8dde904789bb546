// alloc.hpp: the runtime's allocator for messages, nodes, rings and registry
// chunks: mimalloc by default, or the system malloc when built with
// -Dallocator=system (the sanitizer builds use it, so that ASan and LSan
// see every allocation). Thread-safe: both allocators are.
#pragma once

#include <cstddef>
#include <cstdlib>

#if ACTORLAB_USE_MIMALLOC
#include <mimalloc.h>
#endif

namespace actorlab::core {

inline constexpr const char* kAllocatorName = ACTORLAB_USE_MIMALLOC ? "mimalloc" : "system";

inline void* allocate(std::size_t size) noexcept {
#if ACTORLAB_USE_MIMALLOC
  return mi_malloc(size);
#else
  return std::malloc(size);
#endif
}

inline void deallocate(void* p) noexcept {
#if ACTORLAB_USE_MIMALLOC
  mi_free(p);
#else
  std::free(p);
#endif
}

// alignment must be a power of two; size need not be a multiple of it.
inline void* allocate_aligned(std::size_t size, std::size_t alignment) noexcept {
#if ACTORLAB_USE_MIMALLOC
  return mi_malloc_aligned(size, alignment);
#else
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
#endif
}

inline void deallocate_aligned(void* p, [[maybe_unused]] std::size_t alignment) noexcept {
#if ACTORLAB_USE_MIMALLOC
  mi_free_aligned(p, alignment);
#else
  std::free(p);
#endif
}

// Returns freed memory to the OS where the allocator holds on to it
// (between bench runs, so one run's peak RSS does not include the last's).
inline void release_free_memory() noexcept {
#if ACTORLAB_USE_MIMALLOC
  mi_collect(true);
#endif
}

}  // namespace actorlab::core
