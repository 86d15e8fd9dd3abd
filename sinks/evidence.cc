#include "sinks/evidence.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "protocol/source_file.h"
#include "sinks/digests.h"
#include "sinks/host_file.h"

namespace diskferry {
namespace {

constexpr std::array<DigestAlgorithm, 2> kEvidenceHashes = {DigestAlgorithm::kSha256,
                                                            DigestAlgorithm::kMd5};

std::string HashOf(const ImageDigests& d, const std::string& name) {
  auto it = d.hashes.find(name);
  return it == d.hashes.end() ? "?" : it->second;
}

}  // namespace

Result<ImageDigests> DigestImage(const std::string& path, const std::atomic<bool>* cancel,
                                 size_t read_size) {
  ImageDigests out;
  out.path = path;
  UniqueFd fd;
  if (int err = OpenImageForReading(path, &fd, &out.size); err != 0) {
    return ErrnoStatus(err, path);
  }
  auto digest = MultiDigest::Create(kEvidenceHashes);
  if (!digest.ok()) return digest.status().WithContext(path);
  std::vector<uint8_t> buf(std::max<size_t>(read_size, 1));
  for (uint64_t at = 0; at < out.size;) {
    if (cancel != nullptr && cancel->load())
      return Status(Code::kCancelled, path + ": interrupted");
    const uint64_t want = std::min<uint64_t>(buf.size(), out.size - at);
    const int64_t n = ReadSourceAt(fd.get(), at, buf.data(), want);
    if (n < 0) return ErrnoStatus(static_cast<int>(-n), "reading " + path);
    if (n == 0) {
      return Status(Code::kIoError, path + ": ended at byte " + std::to_string(at) + " of " +
                                        std::to_string(out.size) + " (it shrank while being read)");
    }
    digest->Update({buf.data(), static_cast<size_t>(n)});
    DropCachedRange(fd.get(), at, static_cast<uint64_t>(n));
    at += static_cast<uint64_t>(n);
  }
  auto hashes = digest->Final();
  if (!hashes.ok()) return hashes.status().WithContext(path);
  out.hashes = std::move(*hashes);
  return out;
}

EvidencePass::EvidencePass(std::vector<std::string> paths, const std::atomic<bool>* cancel,
                           std::function<void(const ImageDigests&)> on_each) {
  thread_ = std::thread([this, paths = std::move(paths), cancel, on_each = std::move(on_each)] {
    std::vector<ImageDigests> all;
    for (const std::string& path : paths) {
      Result<ImageDigests> one = DigestImage(path, cancel);
      if (!one.ok()) {
        result_.emplace(one.status());
        return;
      }
      if (on_each) on_each(*one);
      all.push_back(std::move(*one));
    }
    result_.emplace(std::move(all));
  });
}

EvidencePass::~EvidencePass() {
  if (thread_.joinable()) thread_.join();
}

Result<std::vector<ImageDigests>> EvidencePass::Wait() {
  if (thread_.joinable()) thread_.join();
  if (!result_) return Status(Code::kFailedPrecondition, "evidence: Wait() called twice");
  Result<std::vector<ImageDigests>> out = std::move(*result_);
  result_.reset();
  return out;
}

std::string EvidenceProblem(const ImageEvidence& evidence) {
  if (!evidence.error.empty()) return evidence.error;
  if (!evidence.after || evidence.match()) return "";
  return evidence.before.path + " changed while the job ran: sha256 before " +
         HashOf(evidence.before, "sha256") + ", after " + HashOf(*evidence.after, "sha256");
}

std::string EwfSegmentName(const std::string& first_segment, unsigned n) {
  const size_t dot = first_segment.find_last_of('.');
  if (dot == std::string::npos || n < 1) return "";
  const std::string ext = first_segment.substr(dot + 1);
  const bool ex01 = ext.size() == 4;  // "Ex01": EWF2; the letters carry over the same way
  if ((ext.size() != 3 && !ex01) || ext.substr(ext.size() - 2) != "01") return "";
  const char lead = ext[0];
  if (lead != 'E' && lead != 'e' && lead != 'L' && lead != 'l') return "";
  const std::string prefix = first_segment.substr(0, dot + 1) + (ex01 ? ext.substr(0, 2) : "");
  if (n < 100) {
    const char digits[3] = {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10), 0};
    return prefix + (ex01 ? "" : std::string(1, lead)) + digits;
  }
  if (ex01) return "";  // beyond Ex99: not followed
  // E99 is followed by EAA..EZZ, FAA..FZZ, ... ZZZ, in the first letter's case.
  unsigned k = n - 100;
  const char base = (lead >= 'a' && lead <= 'z') ? 'a' : 'A';
  const unsigned third = k % 26, second = (k / 26) % 26, first = k / (26 * 26);
  const char first_letter = static_cast<char>(lead + first);
  if (first_letter > base + 25) return "";
  return first_segment.substr(0, dot + 1) + first_letter + static_cast<char>(base + second) +
         static_cast<char>(base + third);
}

std::vector<std::string> EvidencePaths(const std::vector<EvidenceDisk>& disks) {
  std::vector<std::string> paths;
  auto add = [&](const std::string& p) {
    if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  };
  for (const EvidenceDisk& d : disks) {
    add(d.image);
    // An E01's other segments: what nbdkit reads for it (libewf finds them by name too).
    for (unsigned n = 2; n < 15000; ++n) {
      const std::string segment = EwfSegmentName(d.image, n);
      std::error_code ec;
      if (segment.empty() || !std::filesystem::exists(std::filesystem::path(segment), ec)) break;
      add(segment);
    }
    for (const std::string& b : d.backing) add(b);
  }
  return paths;
}

}  // namespace diskferry
