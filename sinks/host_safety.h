// What an extraction keeps off the host unless the user asks for it. A disk image is
// untrusted: written out as root, its device nodes would give every local user a door to
// the host's own disks (a mode-0666 node for 8,0 is the host's first disk), its setuid and
// setgid bits would turn a guest binary into a host privilege, and its security.*,
// trusted.* and system.* extended attributes would grant file capabilities, SELinux
// labels and ACLs. So by default:
//   - device nodes are not created (nor stored in tar archives);
//   - setuid and setgid bits are cleared on regular files (a directory's setgid bit only
//     passes its group to new files, and is kept);
//   - only user.* extended attributes are copied, when xattrs are asked for at all.
// Each opt-in (--preserve-devices, --preserve-setuid, --xattrs=all, or `preserve:` in a
// manifest) turns one of them off. Whatever is withheld is counted, with the first path
// of each kind, so that commands and reports can say so.
// Thread-compatible: plain values and pure functions.
#ifndef DISKFERRY_SINKS_HOST_SAFETY_H_
#define DISKFERRY_SINKS_HOST_SAFETY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/lane_records.h"

namespace diskferry {

using XattrList = std::vector<std::pair<std::string, std::string>>;

// Which extended attributes an extraction copies.
enum class XattrScope {
  kNone,  // none (the guest is not asked for them)
  kUser,  // user.* only: what any file owner may set
  kAll,   // every namespace: security.*, trusted.*, system.* (ACLs) as well
};

struct HostSafety {
  bool devices = false;  // create (store) character and block device nodes
  bool setuid = false;   // keep setuid/setgid bits on regular files
  XattrScope xattrs = XattrScope::kNone;
};

// Counts of what HostSafety withheld, and the first path of each kind (for messages).
struct Withheld {
  uint64_t devices = 0;  // device nodes not created
  uint64_t setuid = 0;   // regular files whose setuid/setgid bits were cleared
  uint64_t xattrs = 0;   // extended attributes not copied
  std::string first_device;
  std::string first_setuid;
  std::string first_xattr;  // "PATH (NAME)"

  bool any() const { return devices + setuid + xattrs > 0; }
  void Add(const Withheld& other);
};

// Whether `name` is copied under `scope`.
bool XattrInScope(std::string_view name, XattrScope scope);

// Whether the entry is a device node that `safety` keeps off the host (counted).
bool WithholdDevice(std::string_view path, const RecordMeta& meta, const HostSafety& safety,
                    Withheld* withheld);

// The permission bits to give a regular file: `mode & 07777`, less setuid/setgid unless
// `safety.setuid` (counted when cleared).
uint32_t SafeFileMode(std::string_view path, uint32_t mode, const HostSafety& safety,
                      Withheld* withheld);

// Drops the attributes outside `safety.xattrs` from `xattrs` (counted).
void FilterXattrs(std::string_view path, const HostSafety& safety, XattrList* xattrs,
                  Withheld* withheld);

// "2 device nodes (first /dev/sda), 1 setuid/setgid file (first /usr/bin/x)": what was
// withheld, for a summary line; "" when nothing was. Paths are escaped (PrintableText).
std::string DescribeWithheld(const Withheld& withheld);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_SAFETY_H_
