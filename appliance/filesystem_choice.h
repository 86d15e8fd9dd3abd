// Picks the filesystem to mount from what the guest reported, the way a user names it:
// a device (/dev/sda1, or /dev/vda1), LABEL=NAME, UUID=ID, or nothing (then exactly one
// mountable filesystem must exist). Pure logic; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_
#define DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_

#include <string>
#include <string_view>
#include <vector>

#include "appliance/guest_types.h"
#include "protocol/status.h"

namespace diskferry {

// True for types that hold files (not swap, LVM PVs, RAID members, LUKS containers...).
bool IsMountableType(std::string_view fstype);

// "/dev/sda1 (ext4), /dev/sda2 (swap)": for error messages.
std::string DescribeFilesystems(const std::vector<FilesystemInfo>& filesystems);

// Errors: kNotFound when nothing matches `wanted` or no mountable filesystem exists;
// kInvalidArgument when `wanted` is empty and several could be meant. Both list the
// candidates with their types.
Result<FilesystemInfo> ChooseFilesystem(const std::vector<FilesystemInfo>& filesystems,
                                        std::string_view wanted);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_FILESYSTEM_CHOICE_H_
