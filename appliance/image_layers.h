// The files behind one disk as QEMU opens them: the image, its format, and the backing
// files below it. Every file in the chain is one a user named (a path on the command line
// or in a manifest, or an overlay diskferry made over one): never a file an image names
// itself in its header. Plain values; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_IMAGE_LAYERS_H_
#define DISKFERRY_APPLIANCE_IMAGE_LAYERS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace diskferry {

struct ImageLayer {
  std::string path;
  // A QEMU format driver (IsKnownImageFormat). In a list of backing files a user gave, ""
  // means: the format the layer above names for it, else raw unless the file carries
  // another format's signature (ProbeImageFormat).
  std::string format;
  // Non-empty: the layer's bytes come from the NBD server listening on this unix socket
  // (an E01 image served by nbdkit, ewf.h), and `path` only names the image in messages
  // and in an overlay's header; QEMU never opens `path` itself.
  std::string nbd_socket = {};

  bool operator==(const ImageLayer&) const = default;
};

struct DiskChain {
  ImageLayer image;
  std::vector<ImageLayer> backing;  // nearest first; empty: the image stands alone
  uint64_t virtual_size = 0;        // of `image`, in bytes

  bool operator==(const DiskChain&) const = default;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_IMAGE_LAYERS_H_
