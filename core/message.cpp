// message.cpp: the out-of-line paths of Message payloads: heap (core/alloc.hpp:
// mimalloc or system), hooked, adopted.
#include "core/message.hpp"

#include "core/alloc.hpp"

#include <new>

namespace actorlab::core {

namespace {
// Sits before a hooked payload's bytes (16 bytes: the bytes stay 16-aligned).
struct HookHeader {
  PayloadHook* hook;
  uint64_t tag;
};
static_assert(sizeof(HookHeader) == 16);
}  // namespace

void Message::copy_to_heap(const void* data, std::size_t size, PayloadHook* hook, uint64_t tag) {
  if (size > kMaxBytes) throw std::bad_alloc();
  const std::size_t header = hook != nullptr ? sizeof(HookHeader) : 0;
  auto* block = static_cast<std::byte*>(allocate(header + (size == 0 ? 1 : size)));
  if (block == nullptr) throw std::bad_alloc();
  if (hook != nullptr) {
    new (block) HookHeader{hook, tag};
    size_ = static_cast<uint32_t>(size) | kHeapBit | kHookBit;
  } else {
    size_ = static_cast<uint32_t>(size) | kHeapBit;
  }
  heap_ = block + header;
  if (size != 0) std::memcpy(heap_, data, size);
}

void Message::free_heap() noexcept {
  if ((size_ & kHeapBit) == 0) {  // adopted: the owner takes its memory back
    Adopted a;
    std::memcpy(&a, inline_, sizeof(a));
    return a.owner->buffer_released(a.data, size(), a.tag);
  }
  if ((size_ & kHookBit) == 0) return deallocate(heap_);
  std::byte* block = heap_ - sizeof(HookHeader);
  const HookHeader h = *reinterpret_cast<const HookHeader*>(block);
  deallocate(block);
  h.hook->payload_released(h.tag, size());  // after the free: the credit is for memory given back
}

}  // namespace actorlab::core
