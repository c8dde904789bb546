// bench/net/framing.hpp: length-prefixed frames for the echo service and its load
// generator.
//
// Wire format: a 4-byte big-endian unsigned payload length, then that many
// payload bytes. Zero-length frames are allowed. Big-endian (network order)
// so a frame reads the same in a hex dump and in skynet's netpack, whose
// 2-byte header is also big-endian; 4 bytes so 4 KiB and larger messages fit.
//
// FrameDecoder is incremental: bytes arrive in any split (one byte at a
// time, many frames at once) and come out as whole frames, in order. Frames
// lying wholly inside the bytes just fed are handed out without a copy; only
// a partial frame at the end of the input is buffered. A header announcing
// more than the decoder's limit puts it in a sticky error state at once (it
// never buffers the oversize payload): the owner closes the connection.
// Invariants: frames come out in input order, each exactly once, byte-exact;
// after an error nothing more comes out. Threads: single owner, no atomics.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace actorlab::io {

inline constexpr std::size_t kFrameHeaderBytes = 4;
// Default payload limit of a decoder: 1 MiB.
inline constexpr uint32_t kDefaultMaxFrameBytes = 1u << 20;

// The 4-byte header announcing `payload_bytes`.
std::array<std::byte, kFrameHeaderBytes> frame_header(uint32_t payload_bytes) noexcept;
// Reads a header (the first 4 bytes of `header`, which must hold 4).
uint32_t read_frame_length(const std::byte* header) noexcept;
// Appends header + payload to `out`. Throws std::length_error for a payload
// longer than UINT32_MAX bytes.
void append_frame(std::vector<std::byte>& out, std::span<const std::byte> payload);

// One decoded frame. With `buffered` false both spans point into the input
// given to feed() (valid as long as that input); with `buffered` true they
// point into the decoder's own buffer, valid only until the callback returns.
struct Frame {
  std::span<const std::byte> payload;
  std::span<const std::byte> wire;  // header + payload, as received
  bool buffered = false;
};

class FrameDecoder {
 public:
  enum class Status {
    kOk,        // every whole frame was delivered; a partial one may be buffered
    kOversize,  // a header announced more than max_payload bytes (sticky)
  };

  explicit FrameDecoder(uint32_t max_payload = kDefaultMaxFrameBytes) noexcept : max_payload_(max_payload) {}

  // Consumes `input`, calling on_frame(const Frame&) for every frame it
  // completes. Returns kOversize (and delivers nothing after the bad header)
  // once a header exceeds the limit; every later call returns kOversize too.
  template <class OnFrame>
  Status feed(std::span<const std::byte> input, OnFrame&& on_frame);

  bool failed() const noexcept { return failed_; }
  uint32_t max_payload() const noexcept { return max_payload_; }
  // The length the offending header announced (valid once failed()).
  uint32_t oversize_length() const noexcept { return oversize_length_; }
  // Bytes of a partial frame held back, waiting for the rest.
  std::size_t buffered() const noexcept { return pending_.size(); }

 private:
  bool check_length(uint32_t length) noexcept {
    if (length <= max_payload_) return true;
    failed_ = true;
    oversize_length_ = length;
    pending_.clear();
    pending_.shrink_to_fit();
    return false;
  }

  uint32_t max_payload_;
  uint32_t oversize_length_ = 0;
  bool failed_ = false;
  std::vector<std::byte> pending_;  // the start of one partial frame, never a whole one
};

template <class OnFrame>
FrameDecoder::Status FrameDecoder::feed(std::span<const std::byte> input, OnFrame&& on_frame) {
  if (failed_) return Status::kOversize;
  // 1. Complete the buffered partial frame, if any.
  if (!pending_.empty()) {
    if (pending_.size() < kFrameHeaderBytes) {
      const std::size_t take = std::min(kFrameHeaderBytes - pending_.size(), input.size());
      pending_.insert(pending_.end(), input.begin(), input.begin() + take);
      input = input.subspan(take);
      if (pending_.size() < kFrameHeaderBytes) return Status::kOk;
    }
    const uint32_t length = read_frame_length(pending_.data());
    if (!check_length(length)) return Status::kOversize;
    const std::size_t total = kFrameHeaderBytes + length;
    const std::size_t take = std::min(total - pending_.size(), input.size());
    pending_.insert(pending_.end(), input.begin(), input.begin() + take);
    input = input.subspan(take);
    if (pending_.size() < total) return Status::kOk;
    const std::span<const std::byte> wire(pending_.data(), total);
    on_frame(Frame{wire.subspan(kFrameHeaderBytes), wire, true});
    pending_.clear();
  }
  // 2. Whole frames straight from the input, no copy.
  while (input.size() >= kFrameHeaderBytes) {
    const uint32_t length = read_frame_length(input.data());
    if (!check_length(length)) return Status::kOversize;
    const std::size_t total = kFrameHeaderBytes + std::size_t{length};
    if (input.size() < total) break;
    on_frame(Frame{input.subspan(kFrameHeaderBytes, length), input.first(total), false});
    input = input.subspan(total);
  }
  // 3. Keep the partial tail (its header is checked once complete).
  pending_.assign(input.begin(), input.end());
  return Status::kOk;
}

}  // namespace actorlab::io
