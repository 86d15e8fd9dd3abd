// What both halves of digests.h share: names, parsing, hex, and feeding zeros.
#include "sinks/digests.h"

#include <algorithm>
#include <array>

namespace diskferry {
namespace {

constexpr std::array<DigestAlgorithm, 3> kAllAlgorithms = {
    DigestAlgorithm::kSha256, DigestAlgorithm::kSha1, DigestAlgorithm::kMd5};

// Zero-initialised static storage: the source of UpdateZeros().
constexpr size_t kZeroChunk = 64 * 1024;
const std::array<uint8_t, kZeroChunk> kZeros{};

}  // namespace

std::string_view DigestName(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha1:
      return "sha1";
    case DigestAlgorithm::kMd5:
      return "md5";
  }
  return "unknown";
}

Result<std::vector<DigestAlgorithm>> ParseDigestAlgorithms(const std::vector<std::string>& names) {
  std::vector<DigestAlgorithm> out;
  for (const std::string& name : names) {
    const auto known = std::find_if(kAllAlgorithms.begin(), kAllAlgorithms.end(),
                                    [&](DigestAlgorithm a) { return DigestName(a) == name; });
    if (known == kAllAlgorithms.end()) {
      return Status(Code::kInvalidArgument,
                    "unknown hash \"" + name + "\"; known: sha256, sha1, md5");
    }
    if (std::find(out.begin(), out.end(), *known) == out.end()) out.push_back(*known);
  }
  return out;
}

std::string HexDigest(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

void MultiDigest::UpdateZeros(uint64_t count) {
  if (!HasDigests()) return;
  while (count > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(count, kZeroChunk));
    Update(std::span<const uint8_t>(kZeros.data(), n));
    count -= n;
  }
}

}  // namespace diskferry
