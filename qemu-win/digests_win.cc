// The Windows half of sinks/digests.h: Windows CNG (BCrypt), which every Windows since
// Vista has, so diskferry.exe needs no OpenSSL.
#include <windows.h>
#include <bcrypt.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <utility>

#include "sinks/digests.h"

namespace diskferry {
namespace {

constexpr size_t kMaxDigestSize = 32;  // SHA-256

const wchar_t* CngAlgorithm(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return BCRYPT_SHA256_ALGORITHM;
    case DigestAlgorithm::kSha1:
      return BCRYPT_SHA1_ALGORITHM;
    case DigestAlgorithm::kMd5:
      return BCRYPT_MD5_ALGORITHM;
  }
  return nullptr;
}

std::string NtStatusText(NTSTATUS status) {
  char text[32];
  std::snprintf(text, sizeof text, "NTSTATUS 0x%08lX", static_cast<unsigned long>(status));
  return text;
}

// An algorithm provider, opened once per process and kept: opening one costs far more
// than hashing a small file, and BCrypt providers may be shared between threads.
struct Provider {
  BCRYPT_ALG_HANDLE handle = nullptr;
  NTSTATUS status = 0;
};

const Provider& ProviderFor(DigestAlgorithm algorithm) {
  static const auto open = [](DigestAlgorithm a) {
    Provider p;
    p.status = ::BCryptOpenAlgorithmProvider(&p.handle, CngAlgorithm(a), nullptr, 0);
    return p;
  };
  static const Provider sha256 = open(DigestAlgorithm::kSha256);
  static const Provider sha1 = open(DigestAlgorithm::kSha1);
  static const Provider md5 = open(DigestAlgorithm::kMd5);
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return sha256;
    case DigestAlgorithm::kSha1:
      return sha1;
    case DigestAlgorithm::kMd5:
      return md5;
  }
  return sha256;
}

struct HashFree {
  void operator()(void* hash) const { ::BCryptDestroyHash(static_cast<BCRYPT_HASH_HANDLE>(hash)); }
};
using HashPtr = std::unique_ptr<void, HashFree>;

}  // namespace

struct MultiDigest::Impl {
  struct One {
    DigestAlgorithm algorithm;
    HashPtr hash;
    ULONG size = 0;  // digest bytes
  };
  std::vector<One> digests;
  NTSTATUS failure = 0;  // the first failed call's status, 0 if none
};

Result<MultiDigest> MultiDigest::Create(std::span<const DigestAlgorithm> algorithms) {
  auto impl = std::make_unique<Impl>();
  for (DigestAlgorithm a : algorithms) {
    const Provider& provider = ProviderFor(a);
    NTSTATUS st = provider.status;
    BCRYPT_HASH_HANDLE hash = nullptr;
    ULONG size = 0;
    ULONG got = 0;
    // A null object buffer: CNG allocates the hash object itself (Windows 7 and later).
    if (BCRYPT_SUCCESS(st)) st = ::BCryptCreateHash(provider.handle, &hash, nullptr, 0, nullptr, 0, 0);
    HashPtr owned(hash);
    if (BCRYPT_SUCCESS(st)) {
      st = ::BCryptGetProperty(hash, BCRYPT_HASH_LENGTH, reinterpret_cast<PUCHAR>(&size),
                               sizeof size, &got, 0);
    }
    if (!BCRYPT_SUCCESS(st) || size > kMaxDigestSize) {
      return Status(Code::kUnavailable, "Windows CNG cannot compute " +
                                            std::string(DigestName(a)) + " here (" +
                                            NtStatusText(st) + ")");
    }
    impl->digests.push_back({a, std::move(owned), size});
  }
  return MultiDigest(std::move(impl));
}

MultiDigest::MultiDigest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MultiDigest::MultiDigest(MultiDigest&&) noexcept = default;
MultiDigest& MultiDigest::operator=(MultiDigest&&) noexcept = default;
MultiDigest::~MultiDigest() = default;

bool MultiDigest::HasDigests() const { return !impl_->digests.empty(); }

void MultiDigest::Update(std::span<const uint8_t> data) {
  // BCryptHashData takes a ULONG count.
  constexpr size_t kMaxChunk = std::numeric_limits<ULONG>::max();
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxChunk);
    for (Impl::One& d : impl_->digests) {
      const NTSTATUS st = ::BCryptHashData(d.hash.get(), const_cast<PUCHAR>(data.data()),
                                           static_cast<ULONG>(n), 0);
      if (!BCRYPT_SUCCESS(st) && impl_->failure == 0) impl_->failure = st;
    }
    data = data.subspan(n);
  }
}

Result<std::map<std::string, std::string>> MultiDigest::Final() {
  std::map<std::string, std::string> out;
  for (Impl::One& d : impl_->digests) {
    uint8_t md[kMaxDigestSize];
    const NTSTATUS st = ::BCryptFinishHash(d.hash.get(), md, d.size, 0);
    if (!BCRYPT_SUCCESS(st) && impl_->failure == 0) impl_->failure = st;
    out.emplace(DigestName(d.algorithm), HexDigest(std::span<const uint8_t>(md, d.size)));
  }
  if (impl_->failure != 0) {
    return Status(Code::kInternal, "Windows CNG failed while hashing (" +
                                       NtStatusText(impl_->failure) + ")");
  }
  return out;
}

}  // namespace diskferry
