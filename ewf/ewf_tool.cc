// diskferry-ewf: what diskferry asks of an E01 image outside the NBD path, in a process
// of its own so that libewf never parses evidence inside diskferry (README.md).
//
//   diskferry-ewf info FILE.E01    {"media_size":N,"stored":{"md5":"..","sha1":".."}}
//   diskferry-ewf verify FILE.E01  the same plus "computed":{"md5","sha1","sha256"}: the
//                                  whole medium read through libewf and hashed
//
// One JSON object on stdout and exit 0 when the image could be read; otherwise one line
// on stderr naming the file and exit 1 (a chunk failing its checksum is such a failure).
// Exit 2 for a bad command line.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ewf/ewf_image.h"
#include "sinks/digests.h"

namespace diskferry {
namespace {

// libewf reads whole chunks (32 KiB by default); a multiple of any chunk size it writes.
constexpr size_t kReadBytes = size_t{1} << 20;

int Fail(const std::string& line) {
  std::fprintf(stderr, "diskferry-ewf: %s\n", line.c_str());
  return 1;
}

int Run(const std::string& command, const std::string& file) {
  std::string error;
  auto image = EwfImage::Open(file, &error);
  if (!image) return Fail(error);
  nlohmann::json out;
  out["media_size"] = image->media_size();
  out["stored"] = image->StoredHashes();
  if (command == "verify") {
    const DigestAlgorithm algorithms[] = {DigestAlgorithm::kMd5, DigestAlgorithm::kSha1,
                                          DigestAlgorithm::kSha256};
    auto digest = MultiDigest::Create(algorithms);
    if (!digest.ok()) return Fail(digest.status().ToString());
    std::vector<uint8_t> buffer(kReadBytes);
    for (uint64_t offset = 0; offset < image->media_size();) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(buffer.size(), image->media_size() - offset));
      if (!image->Read(buffer.data(), n, offset, &error)) return Fail(error);
      digest->Update({buffer.data(), n});
      offset += n;
    }
    auto hashes = digest->Final();
    if (!hashes.ok()) return Fail(hashes.status().ToString());
    out["computed"] = *hashes;
  }
  std::printf("%s\n", out.dump().c_str());
  return std::fflush(stdout) == 0 ? 0 : Fail("cannot write the result");
}

}  // namespace
}  // namespace diskferry

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() != 2 || (args[0] != "info" && args[0] != "verify")) {
    std::fprintf(stderr, "usage: diskferry-ewf info|verify FILE.E01\n");
    return 2;
  }
  return diskferry::Run(args[0], args[1]);
}
