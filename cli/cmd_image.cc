// `diskferry image verify`: the evidence check an E01 image carries. The hashes the
// acquiring tool stored in the image are compared with hashes of the medium read back
// through libewf (appliance/ewf.h); no appliance is booted.
#include <chrono>
#include <cstdio>
#include <string>

#include "appliance/ewf.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

// Reading a whole medium through libewf runs at disk and inflate speed (a 1 TB image
// takes hours): the bound is there only so that no wait is unbounded.
constexpr auto kVerifyTimeout = std::chrono::hours(72);

struct VerifyOptions {
  std::string format;
  std::string image;
};

int RunVerify(const VerifyOptions& o) {
  if (o.format != kEwfFormat) {
    return ReportFailure(Status(Code::kInvalidArgument,
                                "image verify: only --format ewf images carry stored hashes "
                                "to verify against (an E01 or Ex01 file)"));
  }
  auto media = HashEwfMedia(o.image, kVerifyTimeout);
  if (!media.ok()) return ReportFailure(media.status());
  const std::string image = PrintableText(o.image);
  std::printf("%s: medium of %llu bytes\n", image.c_str(),
              static_cast<unsigned long long>(media->media_size));
  for (const auto& [name, hex] : media->computed) {
    auto stored = media->stored.find(name);
    std::printf("%s %s computed%s%s\n", name.c_str(), hex.c_str(),
                stored == media->stored.end() ? ", not stored in the image" : ", stored ",
                stored == media->stored.end() ? "" : stored->second.c_str());
  }
  const auto checks = CompareEwfHashes(*media);
  if (checks.empty()) {
    std::printf("%s: no stored hash to verify against\n", image.c_str());
    return kExitError;
  }
  bool all = true;
  for (const EwfHashCheck& c : checks) all = all && c.matches();
  for (const EwfHashCheck& c : checks) {
    std::printf("%s: stored %s %s\n", image.c_str(), c.name.c_str(),
                c.matches() ? "matches" : "DOES NOT MATCH");
  }
  std::printf("%s: %s\n", image.c_str(), all ? "match" : "mismatch");
  return all ? kExitOk : kExitError;
}

}  // namespace

void RegisterImageCommands(CLI::App* app, int* exit_code) {
  auto* image = app->add_subcommand("image", "check disk image files without booting anything");
  image->require_subcommand(1);
  static VerifyOptions verify_options;
  auto* verify = image->add_subcommand(
      "verify",
      "compare the hashes an E01 image stores (md5, sha1) with the medium read back through "
      "libewf; prints md5, sha1 and sha256; exit 0 on match, 1 on mismatch or damage");
  verify->add_option("--format", verify_options.format, "image format: ewf")->required();
  verify->add_option("image", verify_options.image, "the first segment file (FILE.E01)")
      ->required();
  verify->callback([=] { *exit_code = RunVerify(verify_options); });
}

}  // namespace diskferry
