// MultiDigest: one pass over a file's bytes feeding several hashes at once (OpenSSL EVP),
// for HashingSink and for jobs that hash host files to compare them with a manifest.
// Thread-compatible; movable, not copyable.
#ifndef DISKFERRY_PIPELINE_DIGESTS_H_
#define DISKFERRY_PIPELINE_DIGESTS_H_

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

class MultiDigest {
 public:
  // kUnavailable when OpenSSL refuses an algorithm (md5 and sha1 under a FIPS-only policy).
  static Result<MultiDigest> Create(std::span<const DigestAlgorithm> algorithms);
  MultiDigest(MultiDigest&&) noexcept;
  MultiDigest& operator=(MultiDigest&&) noexcept;
  ~MultiDigest();

  void Update(std::span<const uint8_t> data);
  // Feeds `count` zero bytes (a hole of a sparse file).
  void UpdateZeros(uint64_t count);
  // Name -> lowercase hex digest. Call once; kInternal if OpenSSL failed on the way.
  Result<std::map<std::string, std::string>> Final();

 private:
  struct Impl;
  explicit MultiDigest(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PIPELINE_DIGESTS_H_
