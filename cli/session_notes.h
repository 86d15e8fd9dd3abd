// What a command says on stderr about the session it opened, before its own output:
// warnings, journals replayed, the OS tree. Pure; thread-compatible.
#ifndef DISKFERRY_CLI_SESSION_NOTES_H_
#define DISKFERRY_CLI_SESSION_NOTES_H_

#include <string>
#include <vector>

#include "appliance/guest_types.h"

namespace diskferry {

// Lines without the "diskferry: " prefix, guest text escaped:
//   "disk.img: /dev/sda1 (ext4): journal replayed into a throw-away overlay; disk.img is
//    unchanged"
//   "disk.img: Debian GNU/Linux 12 (bookworm): / /dev/vg0/root, /boot /dev/sda2"
//   "disk.img: fstab line 7: UUID=... on /data skipped: no such device"
// `warnings` come first, as given (ImageSession::warnings() already names the image).
std::vector<std::string> SessionNotes(const std::string& image,
                                      const std::vector<std::string>& warnings,
                                      const std::vector<MountedFilesystem>& mounted,
                                      const OsTreeInfo* os);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_SESSION_NOTES_H_
