// ApplianceImage: a built appliance, ready to boot (the output of the builder, the input
// of the launcher). Plain data; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_IMAGE_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_IMAGE_H_

#include <string>
#include <vector>

namespace diskferry {

struct ApplianceImage {
  std::string kernel;          // path of the kernel (bzImage) to boot
  std::string initrd;          // path of the cached initramfs (cpio newc)
  std::string kernel_release;  // e.g. "6.1.0-56-cloud-amd64"
  // Filesystem types this appliance can mount: built into the kernel or with their
  // modules inside the initramfs. Sorted.
  std::vector<std::string> filesystems;
  std::string cache_key;       // hex digest of the inputs; names the cache entry
  bool reused = false;         // true when a fresh cache entry was found
  // Storage tools packed into the storage disk, at /usr/sbin once unpacked, sorted
  // ("cryptsetup", "lvm", ...; storage_tools.h). A tool missing here was not installed on
  // the building host.
  std::vector<std::string> storage_tools;
  // Path of the storage disk (protocol/storage_disk.h); "" when no tool was packed.
  std::string storage;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_IMAGE_H_
