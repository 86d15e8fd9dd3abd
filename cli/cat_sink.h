// `diskferry cat`: one file's bytes from the guest to a host descriptor, in order, through
// the same lanes as copy-out. Symlinks are followed inside the image (up to 8 hops), like
// virt-cat. Single-threaded.
#ifndef DISKFERRY_CLI_CAT_SINK_H_
#define DISKFERRY_CLI_CAT_SINK_H_

#include <memory>
#include <string>

#include "appliance/appliance.h"
#include "appliance/transfer.h"
#include "protocol/status.h"

namespace diskferry {

// The sink of one cat transfer: the first record's bytes to `fd`, in order, holes as
// zeros. A symlink's target is kept for CatFile to follow. Data for any other file_id, data
// beyond the announced size or before what was written, and a second end are
// kProtocolError "the appliance misbehaved: ..." (nothing is written for them).
std::unique_ptr<TreeSink> NewCatSink(int fd, std::string path);

// Writes the file at `path` (absolute in the mounted filesystem) to `fd`. Errors name the
// path: "/etc: Is a directory", "/x: No such file or directory".
Status CatFile(Appliance& appliance, const std::string& path, const TransferOptions& options,
               int fd);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_CAT_SINK_H_
