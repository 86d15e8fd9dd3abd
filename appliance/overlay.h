// Writable copies that leave the original image alone: a new qcow2 overlay whose backing
// file is the image (qemu-img create -b), as copy-in and inject jobs write by default.
#ifndef DISKFERRY_APPLIANCE_OVERLAY_H_
#define DISKFERRY_APPLIANCE_OVERLAY_H_

#include <string>

#include "protocol/status.h"

namespace diskferry {

// Creates `out` over `image` (format `format`, "" meaning raw). Refuses to replace an
// existing `out` (kInvalidArgument); kIoError with qemu-img's output when it fails.
Status CreateOverlay(const std::string& image, const std::string& format, const std::string& out);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_OVERLAY_H_
