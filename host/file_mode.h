// File type and permission bits of RecordMeta::mode and the guest's stat modes: Linux
// values, whatever the host. A host's own <sys/stat.h> may differ (mingw-w64 has no
// S_IFLNK or S_IFSOCK, and its S_IFBLK is 0x3000), so code that reads guest modes uses
// these rather than S_IF*.
//
// Constants and pure functions: thread-safe.
#ifndef DISKFERRY_HOST_FILE_MODE_H_
#define DISKFERRY_HOST_FILE_MODE_H_

#include <cstdint>

namespace diskferry {

inline constexpr uint32_t kModeTypeMask = 0170000;
inline constexpr uint32_t kModeSocket = 0140000;
inline constexpr uint32_t kModeSymlink = 0120000;
inline constexpr uint32_t kModeRegular = 0100000;
inline constexpr uint32_t kModeBlockDevice = 0060000;
inline constexpr uint32_t kModeDirectory = 0040000;
inline constexpr uint32_t kModeCharDevice = 0020000;
inline constexpr uint32_t kModeFifo = 0010000;

inline constexpr uint32_t kModeSetuid = 04000;
inline constexpr uint32_t kModeSetgid = 02000;
inline constexpr uint32_t kModeSticky = 01000;
// Permission bits with setuid, setgid and sticky.
inline constexpr uint32_t kModePermissionMask = 07777;

constexpr uint32_t ModeType(uint32_t mode) { return mode & kModeTypeMask; }
constexpr bool IsDirectoryMode(uint32_t mode) { return ModeType(mode) == kModeDirectory; }
constexpr bool IsRegularMode(uint32_t mode) { return ModeType(mode) == kModeRegular; }
constexpr bool IsSymlinkMode(uint32_t mode) { return ModeType(mode) == kModeSymlink; }

}  // namespace diskferry

#endif  // DISKFERRY_HOST_FILE_MODE_H_
