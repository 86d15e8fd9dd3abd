// Inspecting an installed Linux system (pure logic): its /etc/fstab, its os-release, which
// filesystem is its root, and which fstab mount options may reach mount(2).
//
// Everything parsed here comes from a disk image and is untrusted: parsers never fail on
// bad input, they report bad lines as warnings and keep going; sizes and counts are
// bounded. Nothing here touches the system.
//
// Stateless functions; thread-safe.
#ifndef DISKFERRY_DAEMON_OS_INSPECT_H_
#define DISKFERRY_DAEMON_OS_INSPECT_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

// ParseFstab keeps at most this many entries and reports this many warnings (one more line
// says how many were left out): a hostile fstab of millions of lines costs little.
inline constexpr size_t kMaxFstabEntries = 1024;
inline constexpr size_t kMaxFstabWarnings = 64;
// A decoded field longer than PATH_MAX (4096) is a bad line.
inline constexpr size_t kMaxFstabFieldBytes = 4096;

// One line of fstab(5): fs_spec fs_file fs_vfstype [fs_mntops [fs_freq [fs_passno]]].
struct FstabEntry {
  std::string spec;         // "UUID=...", "/dev/sda1", "tmpfs"; octal escapes decoded
  std::string mount_point;  // fs_file as written, decoded ("/mnt/my disk" for \040)
  std::string fstype;       // "ext4", "auto", "swap", ...
  // fs_mntops split at commas (commas inside double quotes do not split), empty items
  // dropped; {"defaults"} when the field is missing.
  std::vector<std::string> options;
  int line = 0;  // 1-based

  bool operator==(const FstabEntry&) const = default;
};

struct FstabWarning {
  int line = 0;         // 1-based; 0 for a note about the whole file
  std::string message;  // "fewer than 3 fields"

  bool operator==(const FstabWarning&) const = default;
};

struct ParsedFstab {
  std::vector<FstabEntry> entries;  // in file order
  std::vector<FstabWarning> warnings;
};

// Parses fstab text. Blank lines and lines whose first non-blank byte is '#' are skipped;
// fields are separated by runs of spaces and tabs; a trailing '\r' is dropped; "\ooo"
// (three octal digits up to \377, as in "\040" and "\011") is decoded in every field. A line with
// fewer than 3 fields, a NUL byte (raw or "\000"), or a field longer than
// kMaxFstabFieldBytes is left out with a warning; fields past the sixth are ignored with a
// warning. Never fails.
ParsedFstab ParseFstab(std::string_view text);

// "line 7: fewer than 3 fields"; "fstab: ..." for line 0.
std::string DescribeWarning(const FstabWarning& warning);

// Parses os-release(5) text: KEY=VALUE lines (keys [A-Za-z_][A-Za-z0-9_]*), '#' comments
// and blank lines skipped. A value in double quotes has the shell escapes \" \\ \$ \`
// decoded; one in single quotes is taken literally; an unquoted one is taken as written up
// to the end of the line (trailing blanks dropped). Lines that do not parse (unterminated
// quotes, bad keys) are ignored. A later assignment of a key replaces an earlier one.
// At most 256 keys and 4096 bytes per value are kept.
std::map<std::string, std::string> ParseOsRelease(std::string_view text);

// The name to show: PRETTY_NAME when set and not empty; otherwise NAME followed by
// VERSION_ID (or VERSION) when set ("Rocky Linux 9.3"); otherwise "Linux", the default
// NAME of os-release(5). At most 256 bytes. The text is the guest's: printing it is the
// host's business (protocol/printable_text.h).
std::string OsDisplayName(const std::map<std::string, std::string>& os_release);

// What was found on one filesystem (one btrfs subvolume) looked at as a possible root.
struct RootProbe {
  std::string device;  // DeviceFacts::path
  std::string fstype;
  std::string subvolume;        // btrfs: the subvolume looked at; empty: the one mounted by default
  bool has_fstab = false;       // etc/fstab could be read
  bool has_os_release = false;  // etc/os-release or usr/lib/os-release could be read
  std::string os_name;          // OsDisplayName, when has_os_release
  std::string problem;          // why it could not be looked at ("mount: ...")

  bool operator==(const RootProbe&) const = default;
};

// A root filesystem holds etc/fstab and an os-release (etc/ or usr/lib/).
bool IsRootCandidate(const RootProbe& probe);

// "/dev/sda2 (btrfs, subvolume @)"; "/dev/sda1 (ext4)".
std::string DescribeProbe(const RootProbe& probe);

// The one root among `probes`. A device counts once: its first candidate in the order
// given (several btrfs subvolumes of one device). Deterministic: the result does not
// depend on the order of different devices. Errors:
//   ENOENT "no root filesystem found: none holds etc/fstab and an os-release; looked at
//          /dev/sda1 (vfat): no etc/fstab, ..." (every probe and what it lacked);
//   EINVAL "several root filesystems: /dev/sda2 (ext4) Fedora Linux 39, /dev/sdb1 (xfs)
//          Rocky Linux 9.3; name the one to use" (sorted by device).
OpResult<RootProbe> ChooseRoot(const std::vector<RootProbe>& probes);

// Subvolumes tried, in this order, when looking for a root on btrfs and the caller named
// none: the default one (openSUSE's snapshot), Ubuntu's "@", "@rootfs" (Debian installer),
// Fedora's "root".
inline const std::vector<std::string> kBtrfsRootSubvolumes = {"", "@", "@rootfs", "root"};

// Whether `value` may be passed to the kernel as the value of a mount option we chose to
// pass through (btrfs subvol=): 1..1024 bytes of [A-Za-z0-9] and "._-@/+:~". Commas,
// '=', quotes, backslashes, blanks, control and non-ASCII bytes would let a hostile fstab
// add options of its own (",subvol=@,dev=/dev/sdb"), so they are refused.
bool IsSafeOptionValue(std::string_view value);

// The mount data kept from a btrfs line's options: "subvol=X" and/or "subvolid=N" (the
// last of each wins, as in the kernel), "subvol=X,subvolid=N" when both are given; empty
// when neither is. Every other option is dropped: the daemon chooses its own. EINVAL
// naming the option when a value is unsafe (IsSafeOptionValue) or subvolid is not a
// decimal number.
OpResult<std::string> BtrfsSubvolumeData(const std::vector<std::string>& options);

// "subvol=X" for a subvolume name (empty: ""), EINVAL when the name is unsafe.
OpResult<std::string> SubvolumeData(std::string_view subvolume);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OS_INSPECT_H_
