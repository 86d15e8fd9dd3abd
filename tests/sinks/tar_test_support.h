// Reading a tar archive back with libarchive, for the TarSink tests.
#ifndef DISKFERRY_TESTS_SINKS_TAR_TEST_SUPPORT_H_
#define DISKFERRY_TESTS_SINKS_TAR_TEST_SUPPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace diskferry::testing {

struct TarEntry {
  std::string path;       // as stored, without a directory's trailing '/'
  unsigned filetype = 0;  // AE_IFREG, AE_IFDIR, ...
  unsigned perm = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  int64_t size = 0;
  std::string symlink;
  std::string hardlink;
  std::string content;  // the data blocks placed at their offsets, holes as zeros
  std::vector<std::pair<int64_t, int64_t>> blocks;  // (offset, length) as read
  std::vector<std::pair<std::string, std::string>> xattrs;
  dev_t rdev = 0;
};

struct TarContents {
  bool ok = false;
  std::string error;
  int filter = -1;  // ARCHIVE_FILTER_NONE, _GZIP, _ZSTD of the outermost filter
  std::vector<TarEntry> entries;

  const TarEntry* Find(const std::string& path) const;
  std::vector<std::string> Paths() const;
};

TarContents ReadTar(const std::string& path);

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_SINKS_TAR_TEST_SUPPORT_H_
