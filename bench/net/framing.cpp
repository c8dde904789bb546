// bench/net/framing.cpp: see framing.hpp.
#include "bench/net/framing.hpp"

#include <limits>
#include <stdexcept>

namespace actorlab::io {

std::array<std::byte, kFrameHeaderBytes> frame_header(uint32_t payload_bytes) noexcept {
  return {std::byte(payload_bytes >> 24), std::byte(payload_bytes >> 16), std::byte(payload_bytes >> 8),
          std::byte(payload_bytes)};
}

uint32_t read_frame_length(const std::byte* header) noexcept {
  return (std::to_integer<uint32_t>(header[0]) << 24) | (std::to_integer<uint32_t>(header[1]) << 16) |
         (std::to_integer<uint32_t>(header[2]) << 8) | std::to_integer<uint32_t>(header[3]);
}

void append_frame(std::vector<std::byte>& out, std::span<const std::byte> payload) {
  if (payload.size() > std::numeric_limits<uint32_t>::max())
    throw std::length_error("append_frame: payload longer than 4 GiB - 1");
  const auto header = frame_header(static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace actorlab::io
