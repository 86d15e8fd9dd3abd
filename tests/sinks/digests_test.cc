// MultiDigest and digest names on this host (OpenSSL on Linux, CNG on Windows): known
// vectors, pieces and zeros equal to the whole, moves, and name parsing.
#include "sinks/digests.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace diskferry {
namespace {

constexpr DigestAlgorithm kAll[] = {DigestAlgorithm::kSha256, DigestAlgorithm::kSha1,
                                    DigestAlgorithm::kMd5};

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::map<std::string, std::string> Finish(MultiDigest& digest) {
  Result<std::map<std::string, std::string>> out = digest.Final();
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::map<std::string, std::string>{};
}

std::map<std::string, std::string> DigestOf(const std::string& content) {
  Result<MultiDigest> digest = MultiDigest::Create(kAll);
  EXPECT_TRUE(digest.ok()) << digest.status().ToString();
  if (!digest.ok()) return {};
  digest->Update(Bytes(content));
  return Finish(*digest);
}

TEST(DigestsTest, KnownVectors) {
  EXPECT_EQ(DigestOf(""),
            (std::map<std::string, std::string>{
                {"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                {"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
                {"md5", "d41d8cd98f00b204e9800998ecf8427e"}}));
  EXPECT_EQ(DigestOf("abc"),
            (std::map<std::string, std::string>{
                {"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
                {"sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
                {"md5", "900150983cd24fb0d6963f7d28e17f72"}}));
  EXPECT_EQ(DigestOf(std::string(1000000, 'a')),
            (std::map<std::string, std::string>{
                {"sha256", "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
                {"sha1", "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
                {"md5", "7707d6ae4e027c70eea2a935c2296f21"}}));
}

TEST(DigestsTest, OnlyTheRequestedDigestsAreComputed) {
  const DigestAlgorithm md5[] = {DigestAlgorithm::kMd5};
  Result<MultiDigest> digest = MultiDigest::Create(md5);
  ASSERT_TRUE(digest.ok());
  digest->Update(Bytes("abc"));
  EXPECT_EQ(Finish(*digest),
            (std::map<std::string, std::string>{{"md5", "900150983cd24fb0d6963f7d28e17f72"}}));
}

TEST(DigestsTest, NoAlgorithmsGiveNoDigests) {
  Result<MultiDigest> digest = MultiDigest::Create({});
  ASSERT_TRUE(digest.ok());
  digest->Update(Bytes("abc"));
  digest->UpdateZeros(uint64_t{1} << 40);  // returns at once: nothing to feed
  EXPECT_TRUE(Finish(*digest).empty());
}

TEST(DigestsTest, PiecesAndZerosHashLikeTheWhole) {
  std::string whole = "head" + std::string(200000, '\0') + "tail";
  Result<MultiDigest> digest = MultiDigest::Create(kAll);
  ASSERT_TRUE(digest.ok());
  digest->Update(Bytes("he"));
  digest->Update({});
  digest->Update(Bytes("ad"));
  digest->UpdateZeros(200000);  // more than one internal chunk of zeros
  digest->Update(Bytes("tail"));
  EXPECT_EQ(Finish(*digest), DigestOf(whole));
}

TEST(DigestsTest, MovesCarryTheStateAlong) {
  Result<MultiDigest> first = MultiDigest::Create(kAll);
  ASSERT_TRUE(first.ok());
  first->Update(Bytes("a"));
  MultiDigest moved(std::move(*first));
  moved.Update(Bytes("b"));

  Result<MultiDigest> live = MultiDigest::Create(kAll);
  ASSERT_TRUE(live.ok());
  live->Update(Bytes("something else"));
  *live = std::move(moved);  // onto a live digest: its own state goes
  live->Update(Bytes("c"));

  MultiDigest& self = *live;
  *live = std::move(self);  // self-move keeps the state
  EXPECT_EQ(Finish(*live), DigestOf("abc"));
}

TEST(DigestsTest, NamesParseInOrderWithoutRepeats) {
  Result<std::vector<DigestAlgorithm>> parsed = ParseDigestAlgorithms({"md5", "sha256", "md5"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed,
            (std::vector<DigestAlgorithm>{DigestAlgorithm::kMd5, DigestAlgorithm::kSha256}));
  for (DigestAlgorithm a : kAll) {
    Result<std::vector<DigestAlgorithm>> one = ParseDigestAlgorithms({std::string(DigestName(a))});
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(*one, std::vector<DigestAlgorithm>{a});
  }
}

TEST(DigestsTest, UnknownNameIsRefusedWithTheKnownOnes) {
  Result<std::vector<DigestAlgorithm>> parsed = ParseDigestAlgorithms({"sha256", "SHA1"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "unknown hash \"SHA1\"; known: sha256, sha1, md5");
}

TEST(DigestsTest, HexIsLowercaseTwoDigitsPerByte) {
  const uint8_t bytes[] = {0x00, 0x0a, 0xff, 0x7f};
  EXPECT_EQ(HexDigest(bytes), "000aff7f");
  EXPECT_EQ(HexDigest({}), "");
}

}  // namespace
}  // namespace diskferry
