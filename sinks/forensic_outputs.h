// Forensic listings of a transferred tree, written from the same FileRecords as the run
// report and OUTPUT.sha256:
//   - DFXML 1.x (DfxmlWriter): what fiwalk writes and DFXML readers expect, one
//     <fileobject> per entry, valid against dfxml.xsd v1.1.1 (tests/data/dfxml/).
//   - A TSK 3.x body file (BodyfileWriter), the input of `mactime -b`:
//     MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
//
// Both write PATH.partial (a stale one is removed first, never opened) and rename it to
// PATH at Close(); a writer destroyed before Close() removes PATH.partial. Errors are
// kIoError naming the file. Guest names are hostile bytes: see DfxmlText and
// BodyfileName for how they are written.
//
// Hard links: the record of a later link carries no hashes (HashingSink); the writers
// give it those of the earlier path it names, remembered for files with nlink > 1.
//
// Thread-compatible: one thread at a time per writer.
#ifndef DISKFERRY_SINKS_FORENSIC_OUTPUTS_H_
#define DISKFERRY_SINKS_FORENSIC_OUTPUTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"
#include "sinks/evidence.h"
#include "sinks/file_record.h"
#include "sinks/run_report.h"  // JobFilesystem

namespace diskferry {

struct DfxmlOptions {
  std::string program_version;  // <creator><version>
  std::string command_line;     // <execution_environment><command_line>; "" to leave out
  std::string start_time;       // ISO 8601 UTC ("2026-12-07T17:31:04Z"); "" to leave out
  // <source>: one <image_filename> per source file, in attach order; an image with an
  // entry in `image_digests` (matched by path) gets its size and hashes as
  // diskferry:size / diskferry:HASH attributes (DFXML 1.x has no element for them).
  std::vector<std::string> image_filenames;
  std::vector<ImageDigests> image_digests;
  std::optional<CaseInfo> case_info;  // <metadata><diskferry:case>
  // What the job mounted, the root first. One: every <fileobject> inside its <volume>,
  // filenames from that filesystem's root. More (`filesystem: os`): a <volume> for each,
  // then the <fileobject>s after them, filenames from the tree's root and <partition>
  // naming the volume (1-based) whose mount point holds the entry.
  std::vector<JobFilesystem> filesystems;
  std::optional<uint64_t> partition_offset;  // bytes from the start of the disk, if known
};

class DfxmlWriter {
 public:
  static Result<DfxmlWriter> Open(const std::string& path, const DfxmlOptions& options);
  DfxmlWriter(DfxmlWriter&&) noexcept;
  DfxmlWriter& operator=(DfxmlWriter&&) noexcept;
  ~DfxmlWriter();

  Status Add(const FileRecord& record);
  Status Close();

 private:
  struct Impl;
  explicit DfxmlWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class BodyfileWriter {
 public:
  static Result<BodyfileWriter> Open(const std::string& path);
  BodyfileWriter(BodyfileWriter&&) noexcept;
  BodyfileWriter& operator=(BodyfileWriter&&) noexcept;
  ~BodyfileWriter();

  // Error records are left out: a body file has no place for them.
  Status Add(const FileRecord& record);
  Status Close();

 private:
  struct Impl;
  explicit BodyfileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Either or both listings of one transfer: what a job or copy-out asked for. Paths are
// made with their parent directories; "" leaves that listing out. The first error of
// Add sticks and is returned by Close, which renames only when there was none.
class ForensicListings {
 public:
  Status Open(const std::string& dfxml_path, const std::string& bodyfile_path,
              const DfxmlOptions& options);
  void Add(const FileRecord& record);
  Status Close();

 private:
  std::optional<DfxmlWriter> dfxml_;
  std::optional<BodyfileWriter> bodyfile_;
  Status error_;
};

// Guest bytes as XML character data (or an attribute value): &, <, >, ' and " as
// entities; bytes below 0x20 (XML would drop most and normalise the rest), invalid UTF-8,
// U+FFFE and U+FFFF (not XML characters) as \xHH with uppercase hex, as fiwalk writes
// them; and '\' as \x5C too, so that the text reads back to one name only.
std::string DfxmlText(std::string_view bytes);
// ns since the epoch as xs:dateTime UTC with nanoseconds: "2020-01-02T03:04:05.123456789Z".
std::string DfxmlTime(int64_t ns);
// A body-file name field: '/' + path as fls -m writes it (control characters as '^'),
// '|' and '%' as %7C and %25 (mactime decodes %HH in every field); a symlink's as
// "/path -> target".
std::string BodyfileName(const FileRecord& record);
// fls -m's mode string: "r/rrw-r--r--", "d/drwxr-xr-x", "l/lrwxrwxrwx".
std::string BodyfileMode(uint32_t mode);
// One line without its '\n'; `md5` is "0" when the file was not hashed with md5.
std::string BodyfileLine(const FileRecord& record, const std::string& md5);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_FORENSIC_OUTPUTS_H_
