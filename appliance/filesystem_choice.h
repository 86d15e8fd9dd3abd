// Picks the filesystem to mount from what the guest reported, the way a user names it:
// a device or any of its aliases (/dev/sda1 or /dev/vda1, /dev/vg0/root,
// /dev/mapper/vg0-root, /dev/dm-0), LABEL=NAME, UUID=ID, or nothing (then exactly one
// mountable filesystem must exist). Pure logic; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_
#define DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/guest_types.h"
#include "protocol/status.h"

namespace diskferry {

// True for types that hold files (not swap, LVM PVs, RAID members, LUKS containers...).
bool IsMountableType(std::string_view fstype);

// Whether `wanted` (a device name, LABEL= or UUID=) names `fs`, by its device or an alias.
bool NamesFilesystem(const FilesystemInfo& fs, std::string_view wanted);

// The root filesystem of an installed OS, when known: its candidate shows the OS name.
struct OsRootHint {
  std::string device;
  std::string os_name;  // escaped (OsTreeInfo::os_name)
};

// "512 MiB", "8.0 GiB": sizes in candidate lists.
std::string HumanSize(uint64_t bytes);

// One candidate: "/dev/vg0/root (ext4, label root, 8.0 GiB, Debian GNU/Linux 12;
// also /dev/mapper/vg0-root, /dev/dm-0)" or "/dev/sda2 (LVM2_member, 9.5 GiB, LVM physical
// volume of VG vg0)". Guest text is escaped.
std::string DescribeFilesystem(const FilesystemInfo& fs, const OsRootHint& os = {});
// Every candidate, comma separated; "none" for none.
std::string DescribeFilesystems(const std::vector<FilesystemInfo>& filesystems,
                                const OsRootHint& os = {});

// Errors: kNotFound when nothing matches `wanted` or no mountable filesystem exists;
// kInvalidArgument when `wanted` is empty and several could be meant, or names a member
// of a volume group, array or LUKS container. Both list the candidates.
Result<FilesystemInfo> ChooseFilesystem(const std::vector<FilesystemInfo>& filesystems,
                                        std::string_view wanted, const OsRootHint& os = {});

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_
