// HostTreeReader: the TreeSource of an injection. Walks host files and directories the way
// `cp -r SRC... DIR` copies them: each SRC becomes an entry named by its last component,
// and a directory's contents follow as "NAME/child/...".
//
// The walk is depth first with parents before children, children in byte order of their
// names, each looked up relative to its parent's descriptor (one open descriptor per level
// of depth). Nothing is followed: entries come from lstat, a symlink (SRC included) is an entry
// with its readlink target, regular files are opened O_RDONLY | O_NOFOLLOW (the entry owns
// the descriptor). A non-directory seen again under the same (st_dev, st_ino) is a
// kHardlink naming the first path. Devices, fifos and sockets are kSpecial. Names are raw
// bytes: spaces, newlines and non-UTF-8 pass through unchanged.
//
// On Windows (qemu-win/host_tree_reader_win.cc) the walk is the same, through NT handles
// opened relative to the parent's with FILE_OPEN_REPARSE_POINT; what differs:
//   - a reparse point (symlink, junction, mount point; SRC included) is never followed nor
//     sent: it is skipped and listed in problems(), since its target is a Windows path;
//   - names are UTF-16 sent as UTF-8 (an unpaired surrogate becomes U+FFFD), in the byte
//     order of that UTF-8; hard links are found by (volume serial, file index);
//   - Windows has no POSIX owner or mode: uid and gid are 0, directories 0755, files 0644
//     (0444 when read-only), and there are no xattrs to read; the entry's descriptor is a
//     CRT descriptor (protocol/source_file.h).
//
// A file or directory that cannot be read becomes a kError entry (errno and message); an
// entry whose path would exceed kMaxRecordPath, or whose xattrs cannot be read, is listed
// in problems() (the former is skipped with its subtree). Next() itself only fails for
// what ends the walk, which currently is nothing after Open.
//
// Used by one thread at a time.
#ifndef DISKFERRY_SINKS_HOST_TREE_READER_H_
#define DISKFERRY_SINKS_HOST_TREE_READER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "sinks/file_report.h"

namespace diskferry {

struct HostReaderOptions {
  // Read extended attributes (llistxattr/lgetxattr) into each entry; Windows has none.
  bool xattrs = false;
};

class HostTreeReader : public TreeSource {
 public:
  // Checks every source up front: kNotFound (or kIoError) naming a source that cannot be
  // lstat'ed; kInvalidArgument for no sources, for "/" or "C:\\" (a root has no name to
  // copy it under) or for two sources with the same last component.
  static Result<std::unique_ptr<HostTreeReader>> Open(std::vector<std::string> sources,
                                                      const HostReaderOptions& options);
  ~HostTreeReader() override;

  Result<std::optional<SourceEntry>> Next() override;

  const CappedList<FileProblem>& problems() const;

 private:
  struct Impl;  // per host: host_tree_reader.cc, qemu-win/host_tree_reader_win.cc
  explicit HostTreeReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_TREE_READER_H_
