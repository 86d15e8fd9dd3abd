// The Linux half of digests.h: OpenSSL EVP.
#include <openssl/evp.h>

#include <utility>

#include "sinks/digests.h"

namespace diskferry {
namespace {

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

}  // namespace

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

bool MultiDigest::HasDigests() const { return !impl_->digests.empty(); }

void MultiDigest::Update(std::span<const uint8_t> data) {
  if (data.empty()) return;
  for (Impl::One& d : impl_->digests) {
    if (EVP_DigestUpdate(d.ctx.get(), data.data(), data.size()) != 1) impl_->failed = true;
  }
}

Result<std::map<std::string, std::string>> MultiDigest::Final() {
  std::map<std::string, std::string> out;
  for (Impl::One& d : impl_->digests) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(d.ctx.get(), md, &n) != 1) impl_->failed = true;
    out.emplace(DigestName(d.algorithm), HexDigest(std::span<const uint8_t>(md, n)));
  }
  if (impl_->failed) return Status(Code::kInternal, "OpenSSL failed while hashing");
  return out;
}

}  // namespace diskferry
