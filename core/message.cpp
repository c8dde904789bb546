// message.cpp: payload allocation for Message (mimalloc for heap payloads).
#include "core/message.hpp"

#include "core/alloc.hpp"

#include <new>

namespace actorlab::core {

Message::Message(uint32_t type_, uint32_t session_, const void* data, std::size_t size)
    : session(session_), type(type_), size_(static_cast<uint32_t>(size)) {
  if (size > UINT32_MAX) throw std::bad_alloc();
  if (on_heap()) {
    heap_ = static_cast<std::byte*>(allocate(size));
    if (heap_ == nullptr) throw std::bad_alloc();
    std::memcpy(heap_, data, size);
  } else if (size != 0) {
    std::memcpy(inline_, data, size);
  }
}

void Message::release_payload() noexcept {
  if (on_heap()) deallocate(heap_);
  size_ = 0;
}

}  // namespace actorlab::core
