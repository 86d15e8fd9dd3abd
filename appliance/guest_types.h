// Host-side plain-data views of what the daemon reports. Built by ControlClient from
// verified Responses, so they own their strings and never alias a frame.
#ifndef DISKFERRY_APPLIANCE_GUEST_TYPES_H_
#define DISKFERRY_APPLIANCE_GUEST_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/survey.h"  // SurveyResult, SurveyCheckpoint: defined with the wire

namespace diskferry {

struct HelloInfo {
  uint32_t protocol_version = 0;
  std::string daemon_version;
  std::string kernel_release;
  std::vector<std::string> filesystems;
  uint64_t shm_size = 0;
  uint32_t boot_ms = 0;
  // The launch secret the daemon read from fw_cfg (at most kMaxLaunchSecretBytes, checked
  // on decoding); empty when it sent none. Compared by the launcher, never printed.
  std::vector<uint8_t> launch_secret;
  // The guest's clock when it answered (ns since the epoch; set from the host's at Hello).
  int64_t guest_time_ns = 0;
  // The first Hello of an appliance restored from a template (template_store.h).
  bool restored = false;
};

// What the host asks of Hello beyond the handshake (protocol/diskferry.fbs HelloRequest).
struct HelloOptions {
  // Template build: the VM is saved right after this Hello.
  bool template_point = false;
  // A restored appliance: the virtio-blk disks attached to it, which the daemon waits for.
  uint32_t disks = 0;
};

struct FilesystemInfo {
  std::string device;  // /dev/sda1, /dev/md0, /dev/vg0/root, /dev/mapper/luks-<UUID>
  std::string fstype;
  std::string label;
  std::string uuid;
  uint64_t size = 0;
  // Other names of the same device (/dev/mapper/vg0-root, /dev/dm-0). Device names are
  // printable ASCII (checked); fstype, label and uuid are raw guest bytes, bounded:
  // escape them before printing (printable_text.h).
  std::vector<std::string> aliases;
  // What a user should know ("LVM physical volume of VG vg0"), already escaped.
  std::string note;
};

// ListStorage's answer: the filesystems, and the storage the daemon found but could not
// activate ("VG vg0 is incomplete: ..."), already escaped.
struct StorageListing {
  std::vector<FilesystemInfo> filesystems;
  std::vector<std::string> problems;
};

struct MountInfo {
  std::string fstype;
  std::string options;
  bool replayed = false;  // a journal was replayed (into a throw-away overlay)
};

// One filesystem a session mounted, and where in the tree it sits ("/" for the only one;
// a whole-OS tree has one per fstab line mounted).
struct MountedFilesystem {
  std::string device;
  std::string fstype;
  std::string mount_point;
  bool replayed = false;
  std::string options;  // as passed to mount(2)
};

// An /etc/fstab entry MountOs did not mount, and why. Guest text, already escaped.
struct OsSkippedEntry {
  std::string spec;         // the fstab's first field
  std::string mount_point;
  uint32_t line = 0;        // in /etc/fstab
  std::string kind;         // "swap", "network", "noauto", "missing", ...
  std::string reason;
};

// MountOs's answer: the OS found and its tree as mounted, the root first.
struct OsTreeInfo {
  std::string os_name;  // escaped
  std::vector<MountedFilesystem> mounted;
  std::vector<OsSkippedEntry> skipped;
  std::vector<std::string> warnings;  // escaped
};

struct FileStat {
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  uint64_t ino = 0;
  uint64_t rdev = 0;
  uint64_t blocks = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
};

struct DirEntryInfo {
  std::string name;
  FileStat stat;
  std::string link_target;  // symlinks only
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_GUEST_TYPES_H_
