// Initramfs writer: an uncompressed cpio "newc" archive, the format the kernel unpacks
// into its rootfs at boot, built from a list of entries.
//
// The output is a function of the entries alone: entries are written sorted by path
// (parents first), with mtime 0, uid/gid 0 and inode numbers by position, so the same
// entries and source bytes give a byte-identical archive.
//
// InitramfsSpec is plain data (thread-compatible); WriteInitramfs is thread-safe.
#ifndef DISKFERRY_APPLIANCE_INITRAMFS_WRITER_H_
#define DISKFERRY_APPLIANCE_INITRAMFS_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

struct InitramfsEntry {
  enum class Kind { kDirectory, kFile, kSymlink, kCharDevice };
  Kind kind = Kind::kFile;
  std::string path;         // absolute guest path: "/bin/busybox"
  uint32_t mode = 0;        // permission bits only
  std::string source;       // kFile: host file whose bytes are copied; "" means `data`
  bool decompress = false;  // kFile with source: store the decompressed bytes
  std::string data;         // kFile without source: the bytes
  std::string target;       // kSymlink: what the link points to
  uint32_t rdev_major = 0, rdev_minor = 0;  // kCharDevice
};

// The archive's contents. Parent directories that are not added explicitly are created
// with mode 0755. Adding a path twice is an error reported by WriteInitramfs, unless both
// are directories with the same mode.
class InitramfsSpec {
 public:
  void AddDirectory(std::string path, uint32_t mode = 0755);
  void AddFile(std::string path, std::string source, uint32_t mode);
  void AddDecompressedFile(std::string path, std::string source, uint32_t mode);
  void AddData(std::string path, std::string data, uint32_t mode = 0644);
  void AddSymlink(std::string path, std::string target);
  void AddCharDevice(std::string path, uint32_t mode, uint32_t major, uint32_t minor);

  const std::vector<InitramfsEntry>& entries() const { return entries_; }

 private:
  std::vector<InitramfsEntry> entries_;
};

// Writes the archive to `out_path`, which must not exist, and fsyncs it. Source files are
// read (and decompressed) one at a time. Errors: kInvalidArgument for a relative or
// duplicate path, kIoError/kNotFound naming the source or output that failed; on error
// `out_path` is removed. The archive is padded with zeros to a multiple of
// `pad_to_multiple` bytes (at most 10240; 1 is no padding).
Status WriteInitramfs(const InitramfsSpec& spec, const std::string& out_path,
                      uint32_t pad_to_multiple = 1);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_INITRAMFS_WRITER_H_
