// EwfImage: one Expert Witness (E01/Ex01) evidence image opened read-only through libewf,
// for the nbdkit plugin and the diskferry-ewf tool (README.md). Nothing here belongs to
// diskferry's host process: libewf parses untrusted files, so it runs only in those two
// helper processes.
//
// Errors are one line naming the file, with libewf's own message appended (its text is
// the file's business: callers escape it before printing).
// Thread-compatible: one thread at a time per image (libewf handles are not reentrant).
#ifndef DISKFERRY_EWF_EWF_IMAGE_H_
#define DISKFERRY_EWF_EWF_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace diskferry {

class EwfImage {
 public:
  // Opens every segment file of the image whose first segment is `first_segment`
  // (FILE.E01 finds FILE.E02, ...: libewf_glob). nullptr with *error set on failure.
  static std::unique_ptr<EwfImage> Open(const std::string& first_segment, std::string* error);
  ~EwfImage();
  EwfImage(const EwfImage&) = delete;
  EwfImage& operator=(const EwfImage&) = delete;

  // The bytes of the acquired medium.
  uint64_t media_size() const { return media_size_; }
  // Reads exactly `count` bytes at `offset` (within media_size()). False with *error set
  // when libewf fails, the range is outside the medium, or a chunk read fails its
  // checksum, now or in an earlier read (libewf hands out a damaged chunk zero-filled;
  // evidence is never served so).
  bool Read(void* buffer, size_t count, uint64_t offset, std::string* error);
  // The hashes the acquiring tool stored in the image: "md5", "sha1" -> lowercase hex;
  // only those present.
  std::map<std::string, std::string> StoredHashes();

 private:
  struct Handle;
  EwfImage(std::string path, std::unique_ptr<Handle> handle, uint64_t media_size);

  std::string path_;
  std::unique_ptr<Handle> handle_;
  // Reads libewf's list of chunks that failed their checksum into damaged_.
  bool NoteChecksumErrors(std::string* error);

  uint64_t media_size_ = 0;
  // Byte ranges [start, end) of the chunks found damaged so far, in libewf's order.
  std::vector<std::pair<uint64_t, uint64_t>> damaged_;
};

}  // namespace diskferry

#endif  // DISKFERRY_EWF_EWF_IMAGE_H_
