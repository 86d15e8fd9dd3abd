// `diskferry cat`: one file's bytes from the guest to a host descriptor, in order, through
// the same lanes as copy-out. Symlinks are followed inside the image (up to 8 hops), like
// virt-cat. Single-threaded.
#ifndef DISKFERRY_CLI_CAT_SINK_H_
#define DISKFERRY_CLI_CAT_SINK_H_

#include <string>

#include "appliance/appliance.h"
#include "appliance/transfer.h"
#include "protocol/status.h"

namespace diskferry {

// Writes the file at `path` (absolute in the mounted filesystem) to `fd`. Errors name the
// path: "/etc: Is a directory", "/x: No such file or directory".
Status CatFile(Appliance& appliance, const std::string& path, const TransferOptions& options,
               int fd);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_CAT_SINK_H_
