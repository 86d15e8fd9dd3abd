// E01 (Expert Witness) evidence images on the host side. diskferry never parses an E01
// itself: libewf runs in two helper programs built from ewf/ (ewf/README.md), each a
// process of its own, so a crafted image can at worst take over a helper that reads the
// image and nothing else:
//   - nbdkit with the plugin nbdkit-diskferry-ewf-plugin.so serves the medium read-only on
//     a unix socket in a private directory; QEMU reads it through an nbd block node
//     (ImageLayer::nbd_socket), under a raw format node and, for read-only sessions, under
//     the throw-away qcow2 overlay;
//   - diskferry-ewf reports the medium's size and the hashes stored in the image, and for
//     `diskferry image verify` hashes the whole medium.
// Both are looked for next to the running program, then in ../lib/diskferry/ (the install
// layout, packaging/install.cmake). Linux hosts only: on Windows every entry point fails
// with one line (docs/windows.md).
//
// Thread-safe functions (no shared state); EwfServer is move-only and thread-compatible.
#ifndef DISKFERRY_APPLIANCE_EWF_H_
#define DISKFERRY_APPLIANCE_EWF_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/process.h"
#include "protocol/status.h"

namespace diskferry {

// The format name of E01/Ex01 images (--format ewf, `format: ewf`): not a QEMU driver.
inline constexpr char kEwfFormat[] = "ewf";
inline constexpr char kEwfPlugin[] = "nbdkit-diskferry-ewf-plugin.so";
inline constexpr char kEwfTool[] = "diskferry-ewf";

// Ok where E01 images can be served (Linux); on Windows kUnavailable, one line.
Status EwfSupported();

// The helper `name` (kEwfPlugin, kEwfTool) next to the running program or in
// ../lib/diskferry/. kNotFound in one line naming the packages diskferry must be built
// with when it is in neither place.
Result<std::string> FindEwfHelper(std::string_view name);

// What diskferry-ewf says about an image.
struct EwfMedia {
  uint64_t media_size = 0;
  // The hashes the acquiring tool stored ("md5", "sha1" -> lowercase hex), those present.
  std::map<std::string, std::string> stored;
  // Computed over the whole medium ("md5", "sha1", "sha256"); empty from ReadEwfMedia.
  std::map<std::string, std::string> computed;
};

// Parses diskferry-ewf's JSON line about `image`. An error in one line when it is
// not the object the tool writes (a hex digest of the right length per known name).
// kIoError then: a helper that parsed a hostile image may say anything.
Result<EwfMedia> ParseEwfToolOutput(const std::string& image, std::string_view json);

// `diskferry-ewf info IMAGE`: the media size and stored hashes. Errors name the image in
// one line: the tool's own message (libewf's text escaped) when it cannot read the image,
// kNotFound from FindEwfHelper, kTimeout after `timeout`.
Result<EwfMedia> ReadEwfMedia(const std::string& image,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));
// `diskferry-ewf verify IMAGE`: also reads the whole medium through libewf and hashes it;
// a chunk failing its checksum is an error (kIoError) naming the image and the offset.
Result<EwfMedia> HashEwfMedia(const std::string& image, std::chrono::milliseconds timeout);

// One stored hash against the one computed over the medium.
struct EwfHashCheck {
  std::string name;  // "md5", "sha1"
  std::string stored;
  std::string computed;
  bool matches() const { return stored == computed; }
};
// Every stored hash that was also computed, in name order. Empty when the image stores
// none: nothing to verify against.
std::vector<EwfHashCheck> CompareEwfHashes(const EwfMedia& media);

// An nbdkit serving one image read-only. The process dies with the object, with
// diskferry (PR_SET_PDEATHSIG, nbdkit's --exit-with-parent) and on Ctrl-C (the child
// registry, process.h).
class EwfServer {
 public:
  // Starts nbdkit on `socket_path` (a path in a private 0700 directory, short enough for
  // sockaddr_un) with its messages in `log_path`, and returns once the socket accepts
  // connections. nbdkit opens the image before it listens, so a bad image, a missing
  // segment or a libewf error is an error here, in one line naming the image with
  // nbdkit's last message. kNotFound naming the Debian package when nbdkit or the plugin
  // is missing; kTimeout when the socket does not answer within `timeout`.
  static Result<EwfServer> Start(const std::string& image, const std::string& socket_path,
                                 const std::string& log_path,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

  EwfServer(EwfServer&&) noexcept = default;
  EwfServer& operator=(EwfServer&&) noexcept = default;

  const std::string& socket_path() const { return socket_path_; }

 private:
  EwfServer(Process process, std::string socket_path)
      : process_(std::move(process)), socket_path_(std::move(socket_path)) {}
  Process process_;
  std::string socket_path_;
};

// The nbdkit command line Start runs (for tests and debugging).
std::vector<std::string> EwfServerArgv(const std::string& plugin, const std::string& image,
                                       const std::string& socket_path);

// The last non-empty line of `text`, escaped (PrintableText): nbdkit's or the tool's
// message for the user. "" when there is none.
std::string LastLine(std::string_view text);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_EWF_H_
