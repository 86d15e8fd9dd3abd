#include "protocol/frame.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "protocol/errno_names.h"

namespace diskferry {
namespace {

std::vector<uint8_t> PingRequestBody(uint64_t id, uint64_t payload) {
  flatbuffers::FlatBufferBuilder fbb;
  auto ping = proto::CreatePingRequest(fbb, payload);
  auto req = proto::CreateRequest(fbb, id, proto::Op::Ping, ping.Union());
  fbb.Finish(req);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(FrameTest, RoundTripsAFrameFedOneByteAtATime) {
  std::vector<uint8_t> wire;
  AppendFrame(PingRequestBody(7, 42), &wire);
  FrameReader reader;
  std::optional<std::vector<uint8_t>> got;
  for (uint8_t b : wire) {
    ASSERT_FALSE(got.has_value());
    reader.Feed(std::span<const uint8_t>(&b, 1));
    auto next = reader.Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    got = *next;
  }
  ASSERT_TRUE(got.has_value());
  auto req = VerifyRequest(*got);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ((*req)->id(), 7u);
  ASSERT_EQ((*req)->op_type(), proto::Op::Ping);
  EXPECT_EQ((*req)->op_as_Ping()->payload(), 42u);
}

TEST(FrameTest, YieldsSeveralFramesFromOneRead) {
  std::vector<uint8_t> wire;
  AppendFrame(PingRequestBody(1, 0), &wire);
  AppendFrame(PingRequestBody(2, 0), &wire);
  FrameReader reader;
  reader.Feed(wire);
  for (uint64_t id : {1u, 2u}) {
    auto next = reader.Next();
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*VerifyRequest(**next))->id(), id);
  }
  auto empty = reader.Next();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

// Chunks that straddle frames make the buffer grow and compact many times; every frame
// still comes out whole and in order, also from a reader moved in mid-stream.
TEST(FrameTest, FramesSurviveGrowthCompactionAndAMove) {
  std::vector<uint8_t> wire;
  constexpr uint64_t kFrames = 200;
  for (uint64_t id = 1; id <= kFrames; ++id) AppendFrame(PingRequestBody(id, id * 3), &wire);
  FrameReader reader;
  uint64_t expected = 1;
  size_t at = 0;
  for (size_t chunk = 1; at < wire.size(); chunk = chunk % 97 + 13) {
    const size_t n = std::min(chunk, wire.size() - at);
    reader.Feed(std::span<const uint8_t>(wire.data() + at, n));
    at += n;
    if (expected == kFrames / 2) {
      FrameReader moved;
      moved = std::move(reader);
      reader = std::move(moved);
    }
    for (;;) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!next->has_value()) break;
      auto req = VerifyRequest(**next);
      ASSERT_TRUE(req.ok());
      EXPECT_EQ((*req)->id(), expected);
      EXPECT_EQ((*req)->op_as_Ping()->payload(), expected * 3);
      ++expected;
    }
  }
  EXPECT_EQ(expected, kFrames + 1);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameTest, TruncatedFrameWaitsForMoreBytes) {
  std::vector<uint8_t> wire;
  AppendFrame(PingRequestBody(1, 0), &wire);
  wire.pop_back();
  FrameReader reader;
  reader.Feed(wire);
  auto next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_EQ(reader.buffered(), wire.size());
}

TEST(FrameTest, RejectsOversizedFrameBeforeReadingItsBody) {
  const uint32_t len = kMaxFrameSize + 1;
  uint8_t header[4];
  std::memcpy(header, &len, 4);
  FrameReader reader;
  reader.Feed(header);
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), Code::kProtocolError);
  EXPECT_NE(next.status().message().find("exceeds the limit"), std::string::npos);
  // The stream stays failed: framing is lost.
  reader.Feed(PingRequestBody(1, 0));
  EXPECT_FALSE(reader.Next().ok());
}

TEST(FrameTest, RejectsZeroLengthFrame) {
  const uint8_t header[4] = {0, 0, 0, 0};
  FrameReader reader;
  reader.Feed(header);
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("zero length"), std::string::npos);
}

TEST(FrameTest, VerifierRejectsGarbage) {
  std::vector<uint8_t> garbage(64);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  auto req = VerifyRequest(garbage);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().code(), Code::kProtocolError);
  EXPECT_NE(req.status().message().find("failed verification"), std::string::npos);
  EXPECT_FALSE(VerifyResponse(garbage).ok());
}

TEST(FrameTest, VerifierRejectsTooShortAndTruncatedBodies) {
  const uint8_t tiny[2] = {1, 2};
  EXPECT_FALSE(VerifyRequest(tiny).ok());
  auto body = PingRequestBody(9, 9);
  for (size_t cut = 1; cut < body.size(); cut += 3) {
    EXPECT_FALSE(VerifyRequest(std::span<const uint8_t>(body.data(), body.size() - cut)).ok())
        << "cut " << cut;
  }
}

TEST(FrameTest, VerifierRejectsOffsetPointingOutsideTheBuffer) {
  auto body = PingRequestBody(3, 3);
  // The root offset is the first word: point it far past the end.
  const uint32_t bad = 0x7fffff00;
  std::memcpy(body.data(), &bad, 4);
  EXPECT_FALSE(VerifyRequest(body).ok());
}

TEST(ErrnoNamesTest, MapsBothWays) {
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
  EXPECT_EQ(ErrnoFromName("EROFS"), EROFS);
  EXPECT_EQ(ErrnoName(123456), "EIO");
  EXPECT_EQ(ErrnoFromName("ENOTATHING"), EIO);
}

}  // namespace
}  // namespace diskferry
