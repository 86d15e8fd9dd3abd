// Host-side plain-data views of what the daemon reports. Built by ControlClient from
// verified Responses, so they own their strings and never alias a frame.
#ifndef DISKFERRY_APPLIANCE_GUEST_TYPES_H_
#define DISKFERRY_APPLIANCE_GUEST_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace diskferry {

struct HelloInfo {
  uint32_t protocol_version = 0;
  std::string daemon_version;
  std::string kernel_release;
  std::vector<std::string> filesystems;
  uint64_t shm_size = 0;
  uint32_t boot_ms = 0;
};

struct FilesystemInfo {
  std::string device;  // /dev/sda1
  std::string fstype;
  std::string label;
  std::string uuid;
  uint64_t size = 0;
};

struct MountInfo {
  std::string fstype;
  std::string options;
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
