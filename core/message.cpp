// message.cpp: the heap path of Message payloads (core/alloc.hpp: mimalloc or system).
#include "core/message.hpp"

#include "core/alloc.hpp"

#include <new>

namespace actorlab::core {

void Message::copy_to_heap(const void* data, std::size_t size) {
  if (size > UINT32_MAX) throw std::bad_alloc();
  heap_ = static_cast<std::byte*>(allocate(size));
  if (heap_ == nullptr) throw std::bad_alloc();
  std::memcpy(heap_, data, size);
}

void Message::free_heap(std::byte* p) noexcept { deallocate(p); }

}  // namespace actorlab::core
