// The disk options of the commands that open images (--format, --backing, --add,
// --key-file, --no-replay, --fs, --os) and how they become an ImageSessionConfig. Pure
// apart from checking that key files exist; thread-compatible.
#ifndef DISKFERRY_CLI_DISK_OPTIONS_H_
#define DISKFERRY_CLI_DISK_OPTIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "appliance/image_session.h"
#include "protocol/status.h"

namespace diskferry {

// How to open the disks a command works on.
struct DiskOptions {
  // --format: none (every disk raw, after a signature check), one (every disk), or one
  // per disk in order (IMAGE first, then each --add).
  std::vector<std::string> formats;
  std::vector<std::string> backing;    // --backing, nearest first: the first disk's
  std::vector<std::string> add;        // --add: more disks of the same machine
  std::vector<std::string> key_files;  // --key-file PATH or DEVICE=PATH
  bool no_replay = false;              // --no-replay
  std::string filesystem;              // --fs
  bool whole_os = false;               // --os
};

// "--key-file /dev/sda2=k.key" names a device; anything else is a path, even with a '='
// in it. kInvalidArgument for an empty path.
Result<KeyFileSpec> ParseKeyFileArg(std::string_view arg);

// Puts `options` into `config` (whose image is set) after checking them: --os with --fs,
// a --format count that is neither 1 nor the number of disks (kInvalidArgument), and key
// files that are missing or unreadable (kNotFound / kIoError naming the path), all
// before anything boots.
Status ConfigureDisks(const DiskOptions& options, ImageSessionConfig* config);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_DISK_OPTIONS_H_
