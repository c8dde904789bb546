// message.hpp: what actors send each other.
//
// A Message is source, target, session, type and a byte payload. Payloads of
// up to kInlineBytes live inside the message; larger ones are owned on the
// heap (core/alloc.hpp) and freed with the message. Messages are move-only, so a
// payload has exactly one owner at a time and nothing leaks (invariant 1).
// session is 64 bits wide so that a socket message carries a whole SocketId
// (core/services.hpp); request/response and timer sessions use its low 32.
// A hooked payload (Message::hooked) is always on the heap and tells its
// PayloadHook when it is freed: exactly once, on whichever thread destroys
// the message or overwrites it (a worker after on_message, a dead letter, the
// drain at stop). The net service returns read credit that way (io/read_credit.hpp).
// An adopted payload (Message::adopted) is memory the message does not own
// (the uring backend's provided buffer: zero-copy reads); it tells its
// BufferOwner, by the same exactly-once rule, instead of freeing anything.
// Bit 31 of size_ marks a heap payload, bit 30 a hooked one; bit 30 alone
// marks an adopted one, whose pointer, owner and tag fill the inline bytes
// (payloads stay below 1 GiB).
// The type is 56 bytes so that a mailbox node (link + message) is one cache
// line. Not thread-safe: a message belongs to one thread at a time and moves
// between threads only through a mailbox, whose release/acquire pair orders it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "core/actor_id.hpp"

namespace actorlab::core {

// Message types below kFirstUserType are the runtime's own.
enum MessageType : uint32_t {
  kTypeStart = 1,     // first message of every actor: on_start runs it
  kTypeResponse = 2,  // Context::reply; session names the request
  kTypeError = 3,     // the target was dead or unknown, or threw; payload: ErrorInfo
  kTypeTimeout = 4,   // a due timeout (Context::timeout): session = its session, source = kNoActor
  kFirstUserType = 16,
};

enum class ErrorCode : uint32_t {
  kDeadTarget = 1,     // sent to a dead, stale or unknown id
  kActorThrew = 2,     // the target's on_message threw while handling it
};

// Told when a hooked payload is freed (any thread, once per message; see
// the file comment). Must outlive every message hooked to it.
class PayloadHook {
 public:
  virtual void payload_released(uint64_t tag, std::size_t size) noexcept = 0;

 protected:
  ~PayloadHook() = default;
};

// Told when an adopted payload is released (any thread, once per message;
// see the file comment): the memory at data may be reused from then on.
// Must outlive every message that adopted its memory.
class BufferOwner {
 public:
  virtual void buffer_released(const std::byte* data, std::size_t size, uint64_t tag) noexcept = 0;

 protected:
  ~BufferOwner() = default;
};

// Payload of a kTypeError message. `target` is the id the failed message went to.
struct ErrorInfo {
  ErrorCode code;
  uint32_t original_type;
  ActorId target;
};

class Message {
 public:
  static constexpr std::size_t kInlineBytes = 32;

  static constexpr std::size_t kMaxBytes = (std::size_t{1} << 30) - 1;

  Message() noexcept = default;
  // Throws std::bad_alloc (also for a payload over kMaxBytes).
  Message(uint32_t type_, uint64_t session_, const void* data, std::size_t size)
      : session(session_), type(type_), size_(static_cast<uint32_t>(size)) {
    if (size > kInlineBytes) [[unlikely]]
      copy_to_heap(data, size, nullptr, 0);
    else if (size != 0)
      std::memcpy(inline_, data, size);
  }
  // A payload on the heap whatever its size; hook->payload_released(tag,
  // size) runs when it is freed. Throws std::bad_alloc (hook not called then).
  static Message hooked(uint32_t type, uint64_t session, const void* data, std::size_t size, PayloadHook* hook,
                        uint64_t tag) {
    Message m;
    m.session = session;
    m.type = type;
    m.copy_to_heap(data, size, hook, tag);
    return m;
  }
  // A payload the message does not own: data stays valid until
  // owner->buffer_released(data, size, tag), which runs exactly once, when
  // the message is destroyed or overwritten. Never throws.
  static Message adopted(uint32_t type, uint64_t session, const std::byte* data, std::size_t size,
                         BufferOwner* owner, uint64_t tag) noexcept {
    Message m;
    m.session = session;
    m.type = type;
    const Adopted a{data, owner, tag};
    std::memcpy(m.inline_, &a, sizeof(a));
    m.size_ = static_cast<uint32_t>(size & kSizeMask) | kHookBit;
    return m;
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  static Message of(uint32_t type, const T& value, uint64_t session = 0) {
    return Message(type, session, &value, sizeof(T));
  }

  Message(Message&& other) noexcept { steal(other); }
  Message& operator=(Message&& other) noexcept {
    if (this != &other) { release_payload(); steal(other); }
    return *this;
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message() { release_payload(); }

  ActorId source;
  ActorId target;
  uint64_t session = 0;
  uint32_t type = 0;

  std::size_t size() const noexcept { return size_ & kSizeMask; }
  const std::byte* data() const noexcept { return out_of_line() ? heap_ : inline_; }
  // Whether the payload is adopted memory (Message::adopted), not a copy.
  bool adopted_payload() const noexcept { return (size_ & (kHeapBit | kHookBit)) == kHookBit; }
  std::span<const std::byte> bytes() const noexcept { return {data(), size()}; }

  // Copies the payload's first sizeof(T) bytes into a T. Missing bytes read
  // as zero, so a malformed (short) payload gives a defined value.
  template <class T>
    requires std::is_trivially_copyable_v<T>
  T as() const noexcept {
    T out{};
    if (size() >= sizeof(T)) [[likely]]
      std::memcpy(&out, data(), sizeof(T));  // a fixed size: inlined, no call
    else
      std::memcpy(&out, data(), size());
    return out;
  }

 private:
  static constexpr uint32_t kHeapBit = 1u << 31;
  static constexpr uint32_t kHookBit = 1u << 30;
  static constexpr uint32_t kSizeMask = kHookBit - 1;

  // An adopted payload's fields, in inline_ (data first: it is heap_).
  struct Adopted {
    const std::byte* data;
    BufferOwner* owner;
    uint64_t tag;
  };
  static_assert(sizeof(Adopted) <= kInlineBytes);

  // On the heap or adopted: the bytes are at heap_, not in inline_.
  bool out_of_line() const noexcept { return (size_ & (kHeapBit | kHookBit)) != 0; }
  // Sets heap_ and size_ (flags included); throws std::bad_alloc.
  void copy_to_heap(const void* data, std::size_t size, PayloadHook* hook, uint64_t tag);
  // Frees a heap payload or hands an adopted one back.
  void free_heap() noexcept;
  void release_payload() noexcept {
    if (out_of_line()) [[unlikely]]
      free_heap();
    size_ = 0;
  }
  void steal(Message& other) noexcept {
    source = other.source; target = other.target;
    session = other.session; type = other.type;
    size_ = other.size_;
    std::memcpy(inline_, other.inline_, kInlineBytes);  // copies heap_ too (union)
    other.size_ = 0;
  }

  uint32_t size_ = 0;  // bytes, plus kHeapBit / kHookBit
  union {
    std::byte inline_[kInlineBytes]{};
    std::byte* heap_;
  };
};

static_assert(sizeof(Message) == 56, "a mailbox node (8-byte link + message) must fill one cache line");

}  // namespace actorlab::core
