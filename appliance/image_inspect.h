// Looking at a disk image before QEMU opens it. An image is untrusted, and image formats
// can name other files: a qcow2 or qed header names a backing file (and a qcow2 header an
// external data file), a vmdk descriptor names the files holding its extents. QEMU opens
// whatever they name, so a crafted image could make diskferry read, and with a writable
// drive write, any host file. So every image is checked here first:
//   - the format is one diskferry knows (kImageFormats);
//   - a qcow2 with an external data file and a vmdk descriptor that names other files are
//     refused, from their headers, before any tool opens them;
//   - any other non-raw image is read by `qemu-img info --output=json` (QEMU's own parser,
//     asked not to open backing files), which also proves the format is right;
//   - a backing file the header names is opened only if the user names it too
//     (ResolveDiskChain); the chain QEMU gets is then given explicitly (qemu_command.h).
// Thread-safe: no shared state (qemu-img runs as a child process per call).
#ifndef DISKFERRY_APPLIANCE_IMAGE_INSPECT_H_
#define DISKFERRY_APPLIANCE_IMAGE_INSPECT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/image_layers.h"
#include "protocol/status.h"

namespace diskferry {

// The formats diskferry opens: QEMU format drivers that read a plain file.
inline constexpr std::string_view kImageFormats[] = {"raw", "qcow2", "qed",  "vmdk",
                                                     "vdi", "vhdx",  "vpc"};
bool IsKnownImageFormat(std::string_view format);
// "raw, qcow2, qed, vmdk, vdi, vhdx, vpc".
std::string KnownImageFormats();

// "qcow2", "vmdk", "vdi", "vhdx", "vpc", "qed", "luks", "ewf" when the first bytes of `path` carry
// that format's signature, "" otherwise. kNotFound / kIoError when unreadable.
Result<std::string> ProbeImageFormat(const std::string& path);

// What one image says about itself.
struct ImageInfo {
  std::string format;
  uint64_t virtual_size = 0;
  std::string backing_file;    // as its header names it; "" for none
  std::string backing_format;  // as its header names it; "" for none
};

// Checks `path` as an image of `format` (see the file comment). raw needs no tool: its
// size is the file's. Errors name the image, in one line: kInvalidArgument for an unknown
// format, a file that is not of that format, a data file or a vmdk descriptor naming other
// files; kNotFound / kIoError when unreadable; kUnavailable when qemu-img is missing;
// kTimeout when qemu-img did not answer in 30 s.
Result<ImageInfo> InspectImage(const std::string& path, const std::string& format);

// The chain QEMU may open for `image`: the image, then each backing file its header names,
// taken from `named` (the backing files the user gave, nearest first; a layer with no
// format takes the one the layer above names, else raw unless it has another format's
// signature), every layer checked by InspectImage. kInvalidArgument naming the image when
// a header names a backing file and `named` has none left for it ("... name it with
// --backing PATH"), when `named` has files no header asks for, or past 16 layers.
Result<DiskChain> ResolveDiskChain(const ImageLayer& image, const std::vector<ImageLayer>& named);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_IMAGE_INSPECT_H_
