// Writable copies that leave the original image alone: a new qcow2 overlay whose backing
// file is the image, as copy-in and inject jobs write by default.
#ifndef DISKFERRY_APPLIANCE_OVERLAY_H_
#define DISKFERRY_APPLIANCE_OVERLAY_H_

#include <string>

#include "appliance/image_layers.h"
#include "protocol/status.h"

namespace diskferry {

// Creates `out` over `base` (a chain ResolveDiskChain checked) and returns the overlay's
// chain: `out` as qcow2, then `base`'s layers. `out` is created by diskferry first, new and
// exclusively (never through a symlink, never replacing a file: kInvalidArgument "already
// exists"), then filled by `qemu-img create -u`, which is given the size and so opens no
// backing file; paths reach qemu-img absolute, so a name starting with '-' is a name.
// kIoError with qemu-img's output when it fails (the new file is removed then).
Result<DiskChain> CreateOverlay(const DiskChain& base, const std::string& out);

// Per host (overlay_posix.cc, qemu-win/overlay_win.cc): creates `path` as a new, empty
// file, failing with EEXIST if anything (a dangling symlink included) is there. 0 or an
// errno value.
int CreateNewFile(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_OVERLAY_H_
