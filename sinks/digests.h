// MultiDigest: one pass over a file's bytes feeding several hashes at once, for HashingSink
// and for jobs that hash host files to compare them with a manifest. The platform
// interface of hashing: digests_openssl.cc computes with OpenSSL EVP on Linux,
// qemu-win/digests_win.cc with Windows CNG (BCrypt); digests.cc holds what both share.
// Thread-compatible; movable, not copyable.
#ifndef DISKFERRY_SINKS_DIGESTS_H_
#define DISKFERRY_SINKS_DIGESTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

enum class DigestAlgorithm { kSha256, kSha1, kMd5 };

// "sha256", "sha1", "md5": the names used in manifests, reports and FileRecord::hashes.
std::string_view DigestName(DigestAlgorithm algorithm);
// Parses names (case-sensitive), dropping repeats and keeping the first order.
// kInvalidArgument naming the unknown one and the known ones.
Result<std::vector<DigestAlgorithm>> ParseDigestAlgorithms(const std::vector<std::string>& names);
// Lowercase hex of `bytes`: "0aff" for {0x0a, 0xff}.
std::string HexDigest(std::span<const uint8_t> bytes);

class MultiDigest {
 public:
  // kUnavailable when the platform's library refuses an algorithm (OpenSSL: md5 and sha1
  // under a FIPS-only policy).
  static Result<MultiDigest> Create(std::span<const DigestAlgorithm> algorithms);
  MultiDigest(MultiDigest&&) noexcept;
  MultiDigest& operator=(MultiDigest&&) noexcept;
  ~MultiDigest();

  void Update(std::span<const uint8_t> data);
  // Feeds `count` zero bytes (a hole of a sparse file).
  void UpdateZeros(uint64_t count);
  // Name -> lowercase hex digest. Call once; kInternal if the library failed on the way.
  Result<std::map<std::string, std::string>> Final();

 private:
  struct Impl;
  explicit MultiDigest(std::unique_ptr<Impl> impl);
  bool HasDigests() const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_DIGESTS_H_
