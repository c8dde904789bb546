// framing_test.cpp: FrameDecoder and the encoder (bench/net/framing.hpp): frames
// survive any split of the byte stream (random splits, one byte at a time,
// everything at once), zero-length frames, the big-endian header, and an
// oversize header giving a sticky error without buffering its payload.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "bench/net/framing.hpp"

namespace actorlab::io {
namespace {

std::vector<std::byte> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::byte> out(n);
  for (auto& b : out) b = std::byte(rng() & 0xff);
  return out;
}

// Feeds `stream` in the given split sizes; returns the payloads decoded.
std::vector<std::vector<std::byte>> decode_in_pieces(FrameDecoder& decoder, const std::vector<std::byte>& stream,
                                                     const std::vector<std::size_t>& pieces,
                                                     FrameDecoder::Status* last = nullptr) {
  std::vector<std::vector<std::byte>> frames;
  std::size_t offset = 0;
  for (std::size_t piece : pieces) {
    const auto input = std::span(stream).subspan(offset, piece);
    auto status = decoder.feed(input, [&](const Frame& f) {
      EXPECT_EQ(f.wire.size(), f.payload.size() + kFrameHeaderBytes);
      if (!f.buffered) {  // zero-copy frames lie inside the input
        EXPECT_GE(f.wire.data(), input.data());
        EXPECT_LE(f.wire.data() + f.wire.size(), input.data() + input.size());
      }
      EXPECT_EQ(read_frame_length(f.wire.data()), f.payload.size());
      frames.emplace_back(f.payload.begin(), f.payload.end());
    });
    if (last) *last = status;
    offset += piece;
  }
  return frames;
}

TEST(Framing, HeaderIsFourByteBigEndian) {
  const auto h = frame_header(0x01020304);
  EXPECT_EQ(std::to_integer<int>(h[0]), 1);
  EXPECT_EQ(std::to_integer<int>(h[3]), 4);
  EXPECT_EQ(read_frame_length(h.data()), 0x01020304u);
  std::vector<std::byte> out;
  const std::byte payload[3] = {std::byte{7}, std::byte{8}, std::byte{9}};
  append_frame(out, payload);
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(read_frame_length(out.data()), 3u);
  EXPECT_EQ(std::to_integer<int>(out[6]), 9);
}

TEST(Framing, RandomSplitsYieldEveryFrameInOrder) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<std::byte>> sent;
    std::vector<std::byte> stream;
    const int frames = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < frames; ++i) {
      // Mostly small, sometimes empty, sometimes several KiB.
      const std::size_t size = rng() % 8 == 0 ? 0 : (rng() % 4 == 0 ? rng() % 9000 : rng() % 100);
      sent.push_back(random_bytes(rng, size));
      append_frame(stream, sent.back());
    }
    std::vector<std::size_t> pieces;
    for (std::size_t left = stream.size(); left > 0;) {
      const std::size_t piece = std::min<std::size_t>(left, rng() % 3 == 0 ? rng() % 5 : rng() % 3000);
      pieces.push_back(piece);  // zero-size pieces are allowed too
      left -= piece;
    }
    FrameDecoder decoder(16384);
    auto got = decode_in_pieces(decoder, stream, pieces);
    ASSERT_EQ(got, sent) << "round " << round;
    EXPECT_EQ(decoder.buffered(), 0u);
    EXPECT_FALSE(decoder.failed());
  }
}

TEST(Framing, OneByteAtATimeAndAllAtOnce) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<std::byte>> sent;
  std::vector<std::byte> stream;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(random_bytes(rng, static_cast<std::size_t>(i * 13 % 70)));
    append_frame(stream, sent.back());
  }
  FrameDecoder bytewise;
  EXPECT_EQ(decode_in_pieces(bytewise, stream, std::vector<std::size_t>(stream.size(), 1)), sent);
  FrameDecoder whole;
  EXPECT_EQ(decode_in_pieces(whole, stream, {stream.size()}), sent);
}

TEST(Framing, ZeroLengthFrames) {
  std::vector<std::byte> stream;
  for (int i = 0; i < 5; ++i) append_frame(stream, {});
  FrameDecoder decoder;
  auto got = decode_in_pieces(decoder, stream, {3, 5, 12});
  ASSERT_EQ(got.size(), 5u);
  for (const auto& f : got) EXPECT_TRUE(f.empty());
}

TEST(Framing, PartialFrameIsBufferedUntilComplete) {
  std::vector<std::byte> stream;
  std::vector<std::byte> payload(100, std::byte{0x5a});
  append_frame(stream, payload);
  FrameDecoder decoder;
  int frames = 0;
  auto count = [&](const Frame&) { ++frames; };
  decoder.feed(std::span(stream).first(50), count);
  EXPECT_EQ(frames, 0);
  EXPECT_EQ(decoder.buffered(), 50u);
  decoder.feed(std::span(stream).subspan(50), count);
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Framing, OversizeHeaderIsAStickyErrorWithoutBuffering) {
  FrameDecoder decoder(1000);
  std::vector<std::byte> stream;
  append_frame(stream, std::vector<std::byte>(1000, std::byte{1}));  // exactly the limit: fine
  const auto bad = frame_header(1001);
  stream.insert(stream.end(), bad.begin(), bad.end());
  stream.resize(stream.size() + 50, std::byte{2});  // the start of the oversize payload
  append_frame(stream, std::vector<std::byte>(3, std::byte{3}));  // never delivered
  // Split so that the bad header itself straddles two feeds.
  FrameDecoder::Status status{};
  auto got = decode_in_pieces(decoder, stream, {1006, stream.size() - 1006}, &status);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 1000u);
  EXPECT_EQ(status, FrameDecoder::Status::kOversize);
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.oversize_length(), 1001u);
  EXPECT_EQ(decoder.buffered(), 0u);
  // Sticky: even a valid frame is refused now.
  std::vector<std::byte> good;
  append_frame(good, {});
  int frames = 0;
  EXPECT_EQ(decoder.feed(good, [&](const Frame&) { ++frames; }), FrameDecoder::Status::kOversize);
  EXPECT_EQ(frames, 0);
}

TEST(Framing, HugeAnnouncedLengthFailsAtOnce) {
  FrameDecoder decoder;
  const auto bad = frame_header(0xffffffffu);
  int frames = 0;
  EXPECT_EQ(decoder.feed(bad, [&](const Frame&) { ++frames; }), FrameDecoder::Status::kOversize);
  EXPECT_EQ(decoder.oversize_length(), 0xffffffffu);
  EXPECT_EQ(frames, 0);
}

}  // namespace
}  // namespace actorlab::io
