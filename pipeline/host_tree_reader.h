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
// A file or directory that cannot be read becomes a kError entry (errno and message); an
// entry whose path would exceed kMaxRecordPath, or whose xattrs cannot be read, is listed
// in problems() (the former is skipped with its subtree). Next() itself only fails for
// what ends the walk, which currently is nothing after Open.
//
// Used by one thread at a time.
#ifndef DISKFERRY_PIPELINE_HOST_TREE_READER_H_
#define DISKFERRY_PIPELINE_HOST_TREE_READER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/file_report.h"
#include "pipeline/unique_fd.h"
#include "protocol/status.h"
#include "protocol/tree_io.h"

namespace diskferry {

struct HostReaderOptions {
  bool xattrs = false;  // read extended attributes (llistxattr/lgetxattr) into each entry
};

class HostTreeReader : public TreeSource {
 public:
  // Checks every source up front: kNotFound (or kIoError) naming a source that cannot be
  // lstat'ed; kInvalidArgument for no sources, for "/" (it has no name to copy it under)
  // or for two sources with the same last component.
  static Result<std::unique_ptr<HostTreeReader>> Open(std::vector<std::string> sources,
                                                      const HostReaderOptions& options);
  ~HostTreeReader() override;

  Result<std::optional<SourceEntry>> Next() override;

  const CappedList<FileProblem>& problems() const { return problems_; }

 private:
  struct Source {
    std::string host_path;  // as given
    std::string name;       // its entry path: the last component
  };
  // A directory whose children are being visited, through its descriptor (so no host
  // path grows past PATH_MAX and nothing is looked up twice by name from the top).
  struct Frame {
    UniqueFd dir;
    std::string rel_dir;
    std::vector<std::string> names;  // sorted
    size_t next = 0;
  };

  HostReaderOptions options_;
  std::vector<Source> sources_;
  size_t next_source_ = 0;
  std::vector<Frame> stack_;
  // First path of each non-directory with more than one link, by (st_dev, st_ino).
  std::map<std::pair<uint64_t, uint64_t>, std::string> links_;
  CappedList<FileProblem> problems_;

  HostTreeReader(std::vector<Source> sources, const HostReaderOptions& options);
  // `name` in directory `dir` (AT_FDCWD and the source path for a source).
  std::optional<SourceEntry> Visit(int dir, const std::string& name, const std::string& rel);
  void FillByType(int dir, const std::string& name, SourceEntry* entry);
  void OpenEntry(int dir, const std::string& name, SourceEntry* entry);
  void ReadXattrs(int dir, const std::string& name, SourceEntry* entry);
};

}  // namespace diskferry

#endif  // DISKFERRY_PIPELINE_HOST_TREE_READER_H_
