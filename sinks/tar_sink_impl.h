// Private to tar_sink*.cc: the sink's state, shared by the record and lifecycle code
// (tar_sink.cc) and the code that turns records into libarchive entries
// (tar_sink_entries.cc).
#ifndef DISKFERRY_SINKS_TAR_SINK_IMPL_H_
#define DISKFERRY_SINKS_TAR_SINK_IMPL_H_

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/printable_text.h"  // QuotedText: peer paths in messages
#include "sinks/archive_names.h"
#include "sinks/spool_file.h"
#include "sinks/tar_sink.h"
#include "sinks/unique_fd.h"

namespace diskferry {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveWriteFree>;
using EntryPtr = std::unique_ptr<archive_entry, ArchiveEntryFree>;

struct TarSink::Impl {
  // kOpen --Finish succeeded--> kFinished
  // kOpen --archive or spool write failed, or Finish failed--> kFailed (every call then
  //         returns `failure`; the destructor removes PATH.partial)
  enum class State { kOpen, kFinished, kFailed };

  // A stream file gathering its bytes until OnStreamEnd.
  struct PendingStream {
    std::string path;
    RecordMeta meta;
    Xattrs xattrs;
    SpoolFile spool;
  };

  // A hard link waiting for the stream file it names to be written.
  struct DeferredLink {
    std::string path;
    std::string target;
    RecordMeta meta;
  };

  // Bytes moved per archive_write_data call when copying a spool or writing zeros.
  static constexpr size_t kCopyChunk = size_t{1} << 20;

  // `stream_fd` >= 0: the archive goes to that descriptor (OpenStream), named `path` in
  // messages; no PATH.partial.
  Impl(const std::string& path, const TarOptions& opts, int stream_fd = -1);
  ~Impl();

  // tar_sink.cc
  Status Start(TarCompression compression);
  Status OpenPartial();
  // libarchive's write callback for a stream (archive_write_open2).
  static la_ssize_t WriteStreamCallback(archive* a, void* self, const void* buffer, size_t size);
  Status CheckOpen() const;
  Status Fail(Status status);
  Status OnRecord(const Record& r);
  Status CheckRecord(const Record& r, Xattrs* xattrs);
  // The symlink entry `path` lies beneath (an earlier record's path), or nullptr.
  const std::string* SymlinkAbove(std::string_view path) const;
  // Whether `r` is refused for lying beneath a symlink entry (or, for a hard link, naming
  // a target that does): listed in report.problems; a stream file's data is then dropped.
  Result<bool> RefusedBeneathSymlink(const Record& r);
  Status RememberSymlink(const Record& r);
  Status BeginStream(const Record& r, Xattrs xattrs);
  Status StreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data);
  Status StreamEnd(uint64_t id);
  Status Finish();
  Status Close();

  // tar_sink_entries.cc
  Status WriteRecord(const Record& r, const Xattrs& xattrs);
  Status WriteHardlink(std::string_view path, const std::string& target, const RecordMeta& meta);
  Status WriteDeferredLinks(const std::string& target);
  Status WriteStreamEntry(const PendingStream& stream);
  // `perm` is the entry's permission bits (what options.safety allows of the record's).
  EntryPtr NewEntry(std::string_view path, const RecordMeta& meta, uint32_t perm, unsigned filetype,
                    const Xattrs& xattrs) const;
  Status WriteHeader(archive_entry* entry, std::string_view path, bool* written);
  Status WriteData(std::span<const uint8_t> data);
  Status WriteZeros(uint64_t count);
  Status CopySpool(const SpoolFile& spool, const std::vector<Extent>& extents);
  Status EndEntry(std::string_view path);
  void Count(unsigned filetype, uint64_t bytes);
  Status ArchiveFailure(std::string_view what);

  // In force during every libarchive call (archive_names.h): names reach pax as UTF-8.
  ArchiveCharset charset;
  std::string final_path;
  std::string partial_path;
  std::string spool_dir;
  TarOptions options;
  UniqueFd fd;           // PATH.partial; outlives `ar`, which writes to it
  int stream_fd = -1;    // OpenStream's descriptor (not owned); -1 for a file
  int stream_errno = 0;  // the stream write's failure, for the message
  // Set when an unfinished stream sink is destroyed: libarchive's free would write the end
  // of the archive, which would make the incomplete archive look whole to its reader.
  bool abandoned = false;
  ArchivePtr ar;
  bool created = false;  // PATH.partial exists and is ours to remove
  State state = State::kOpen;
  Status failure;

  std::unordered_map<uint64_t, PendingStream> streams;
  std::unordered_set<uint64_t> ended_streams;
  std::unordered_map<std::string, uint64_t> stream_paths;  // path -> file_id, pending only
  std::unordered_map<std::string, std::vector<DeferredLink>> deferred_links;  // by target
  std::unordered_set<std::string> symlink_paths;           // symlink entries written
  std::unordered_map<uint64_t, uint64_t> refused_streams;  // file_id -> size, data dropped
  HeldBudget held;        // deferred_links, symlink_paths, refused_streams and ended_streams
  int64_t opened_ns = 0;  // entries' mtime when options.times is off
  std::vector<uint8_t> copy_buffer;  // kCopyChunk, allocated on first use
  std::vector<uint8_t> zeros;        // kCopyChunk, allocated on first use

  TarStats stats;
  WriteReport report;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_TAR_SINK_IMPL_H_
