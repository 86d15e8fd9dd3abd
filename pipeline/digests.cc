#include "pipeline/digests.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <utility>

namespace diskferry {
namespace {

constexpr std::array<DigestAlgorithm, 3> kAllAlgorithms = {DigestAlgorithm::kSha256,
                                                         DigestAlgorithm::kSha1, DigestAlgorithm::kMd5};

const EVP_MD* EvpFor(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha1:
      return EVP_sha1();
    case DigestAlgorithm::kMd5:
      return EVP_md5();
  }
  return nullptr;
}

struct CtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Zero-initialised static storage: the source of UpdateZeros().
constexpr size_t kZeroChunk = 64 * 1024;
const std::array<uint8_t, kZeroChunk> kZeros{};

std::string Hex(const unsigned char* bytes, unsigned int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

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

struct MultiDigest::Impl {
  struct One {
    DigestAlgorithm algorithm;
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx;
  };
  std::vector<One> digests;
  bool failed = false;
};

Result<MultiDigest> MultiDigest::Create(std::span<const DigestAlgorithm> algorithms) {
  auto impl = std::make_unique<Impl>();
  for (DigestAlgorithm a : algorithms) {
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
    if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EvpFor(a), nullptr) != 1) {
      return Status(Code::kUnavailable,
                    "OpenSSL cannot compute " + std::string(DigestName(a)) + " here");
    }
    impl->digests.push_back({a, std::move(ctx)});
  }
  return MultiDigest(std::move(impl));
}

MultiDigest::MultiDigest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MultiDigest::MultiDigest(MultiDigest&&) noexcept = default;
MultiDigest& MultiDigest::operator=(MultiDigest&&) noexcept = default;
MultiDigest::~MultiDigest() = default;

void MultiDigest::Update(std::span<const uint8_t> data) {
  if (data.empty()) return;
  for (Impl::One& d : impl_->digests) {
    if (EVP_DigestUpdate(d.ctx.get(), data.data(), data.size()) != 1) impl_->failed = true;
  }
}

void MultiDigest::UpdateZeros(uint64_t count) {
  if (impl_->digests.empty()) return;
  while (count > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(count, kZeroChunk));
    Update(std::span<const uint8_t>(kZeros.data(), n));
    count -= n;
  }
}

Result<std::map<std::string, std::string>> MultiDigest::Final() {
  std::map<std::string, std::string> out;
  for (Impl::One& d : impl_->digests) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(d.ctx.get(), md, &n) != 1) impl_->failed = true;
    out.emplace(DigestName(d.algorithm), Hex(md, n));
  }
  if (impl_->failed) return Status(Code::kInternal, "OpenSSL failed while hashing");
  return out;
}

}  // namespace diskferry
