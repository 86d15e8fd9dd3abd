// Deleted files: The Sleuth Kit's fls lists the deleted entries of the filesystem on a
// block device, and icat reads each one's content, both run from the storage disk
// (tool_runner.h). DeletedFilesReader is the TreeSource of an extraction whose entries are
// those files, at their original paths, so that the host receives them through the same
// lanes, sinks and checks as any other extraction.
//
// fls runs as `fls -r -d -p -m / DEVICE`: the TSK 3.x body format, one line per deleted
// name, `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`. Its output
// is the filesystem's (an image is untrusted) as TSK prints it; ParseFlsBody checks every
// field and bounds lines, entries and paths.
//
// Each recoverable file is read twice: once by icat to /dev/null, whose exit status and
// message say whether TSK can recover it (a run that fails becomes a kError entry), then
// again by an icat whose stdout is the entry's descriptor (a pipe, read in order by the
// LanePacker: source_file.h). Nothing is held in memory or tmpfs.
//
// Used from the serving thread only (thread-compatible). The reader owns the icat
// processes it started; destroying it kills and reaps those still running.
#ifndef DISKFERRY_DAEMON_DELETED_FILES_H_
#define DISKFERRY_DAEMON_DELETED_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "protocol/tree_io.h"

namespace diskferry::daemon {

// Bounds on fls's output: past these, lines and entries are dropped and counted.
inline constexpr size_t kMaxFlsOutput = size_t{64} << 20;
inline constexpr size_t kMaxFlsLine = 8192;
inline constexpr size_t kMaxDeletedEntries = 200000;

// One deleted name as fls reports it.
struct DeletedEntry {
  std::string path;          // relative, no leading '/': "sub/s.txt", "$OrphanFiles/OrphanFile-13"
  std::string address;       // what icat takes: "13", or NTFS's "13-128-1"
  uint64_t ino = 0;          // the address's leading number
  char meta_type = '-';      // TSK's type letter of the inode: 'r' regular, 'd' directory, ...
  uint32_t permissions = 0;  // rwx, setuid, setgid and sticky bits
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  int64_t atime = 0, mtime = 0, ctime = 0, crtime = 0;  // seconds since the epoch; 0 unknown
  bool reallocated = false;  // "(deleted-realloc)": the inode belongs to another file now
};

struct FlsListing {
  std::vector<DeletedEntry> entries;  // in fls's order
  uint64_t dropped = 0;  // lines that did not parse, were too long, or past the entry limit
};

// Parses fls's body-format output. Skips NTFS's "($FILE_NAME)" attribute lines and names
// whose path has an empty, "." or ".." component (counted in `dropped`). TSK prints control
// characters of names as '^'; other bytes are kept as they are.
FlsListing ParseFlsBody(std::string_view text);

// Gives each entry a distinct path: a path seen before, or one that is a parent directory
// of another entry, gets "~INODE" appended (then "~INODE~2", ...). Sorts by path.
void DisambiguatePaths(std::vector<DeletedEntry>* entries);

// The block device holding the filesystem mounted at `mount_point`, from
// /proc/self/mountinfo (the last mount there): "/dev/vdb1". ENOENT when nothing is mounted
// there, ENODEV when its source is not a device node.
OpResult<std::string> MountedDevice(const std::string& mountinfo_path,
                                    const std::string& mount_point);

class DeletedFilesReader : public TreeSource {
 public:
  // Runs fls on `device` (the tools are the storage disk's: ENOENT saying which package to
  // install when the appliance lacks them). EIO with fls's message when it fails.
  static OpResult<std::unique_ptr<DeletedFilesReader>> Create(const std::string& device);
  ~DeletedFilesReader() override;
  DeletedFilesReader(const DeletedFilesReader&) = delete;
  DeletedFilesReader& operator=(const DeletedFilesReader&) = delete;

  // Directories on the way to each file (made up: mode 0755, the file's times), then the
  // file: a kFile entry whose fd is icat's stdout, or a kError entry saying why it cannot be
  // recovered (not a regular file, size 0, inode reallocated, icat's message).
  Result<std::optional<SourceEntry>> Next() override;

  const FlsListing& listing() const { return listing_; }

 private:
  DeletedFilesReader(std::string device, std::string icat, FlsListing listing);
  SourceEntry Recover(const DeletedEntry& entry);
  void ReapFinished();

  const std::string device_;
  const std::string icat_;
  FlsListing listing_;
  size_t next_ = 0;
  std::vector<std::string> made_dirs_;  // the directories sent so far, sorted
  std::vector<SourceEntry> queued_;     // parents of the next file, then the file
  std::vector<pid_t> children_;         // icat processes not yet reaped
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_DELETED_FILES_H_
