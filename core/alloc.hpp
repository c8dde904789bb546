// alloc.hpp: the runtime's allocator for messages, nodes, rings and registry
// chunks: mimalloc or the C library's malloc (glibc's __libc_malloc, which
// stays reachable when libmimalloc.so has replaced malloc process-wide).
//
// The choice (--alloc) is process-wide, like malloc itself: select_allocator()
// must run before the first allocation through this header (the program does
// it once at start-up, before any engine exists), because memory must be
// freed by the allocator that gave it. The selection is one relaxed atomic,
// read per allocation. Builds with -Dallocator=system (the sanitizer builds)
// do not link mimalloc at all, so that ASan and LSan see every allocation;
// there only "system" is available. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <string_view>

#if ACTORLAB_USE_MIMALLOC
#include <mimalloc.h>
extern "C" void* __libc_malloc(std::size_t) noexcept;
extern "C" void __libc_free(void*) noexcept;
extern "C" void* __libc_memalign(std::size_t, std::size_t) noexcept;
#endif

namespace actorlab::core {

enum class AllocatorKind { kMimalloc, kSystem };

inline constexpr bool kMimallocLinked = ACTORLAB_USE_MIMALLOC != 0;

namespace detail {
// Process-wide by nature (see above); written once before any allocation.
inline std::atomic<AllocatorKind> allocator_kind{kMimallocLinked ? AllocatorKind::kMimalloc
                                                                  : AllocatorKind::kSystem};
inline bool use_mimalloc() noexcept {
  return kMimallocLinked && allocator_kind.load(std::memory_order_relaxed) == AllocatorKind::kMimalloc;
}
}  // namespace detail

// False if the kind is not in this build (mimalloc in a -Dallocator=system build).
inline bool select_allocator(AllocatorKind kind) noexcept {
  if (kind == AllocatorKind::kMimalloc && !kMimallocLinked) return false;
  detail::allocator_kind.store(kind, std::memory_order_relaxed);
  return true;
}
inline AllocatorKind current_allocator() noexcept { return detail::allocator_kind.load(std::memory_order_relaxed); }
inline const char* to_string(AllocatorKind kind) noexcept {
  return kind == AllocatorKind::kMimalloc ? "mimalloc" : "system";
}

inline void* allocate(std::size_t size) noexcept {
#if ACTORLAB_USE_MIMALLOC
  return detail::use_mimalloc() ? mi_malloc(size) : __libc_malloc(size);
#else
  return std::malloc(size);
#endif
}

inline void deallocate(void* p) noexcept {
#if ACTORLAB_USE_MIMALLOC
  if (detail::use_mimalloc())
    mi_free(p);
  else
    __libc_free(p);
#else
  std::free(p);
#endif
}

// alignment must be a power of two; size need not be a multiple of it.
inline void* allocate_aligned(std::size_t size, std::size_t alignment) noexcept {
#if ACTORLAB_USE_MIMALLOC
  return detail::use_mimalloc() ? mi_malloc_aligned(size, alignment) : __libc_memalign(alignment, size);
#else
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
#endif
}

inline void deallocate_aligned(void* p, [[maybe_unused]] std::size_t alignment) noexcept {
#if ACTORLAB_USE_MIMALLOC
  if (detail::use_mimalloc())
    mi_free_aligned(p, alignment);
  else
    __libc_free(p);
#else
  std::free(p);
#endif
}

// Returns freed memory to the OS where the allocator holds on to it
// (between bench runs, so one run's peak RSS does not include the last's).
inline void release_free_memory() noexcept {
#if ACTORLAB_USE_MIMALLOC
  if (detail::use_mimalloc()) mi_collect(true);
#endif
}

}  // namespace actorlab::core
