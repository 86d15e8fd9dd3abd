#include "tests/sinks/tar_test_support.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace diskferry::testing {
namespace {

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

TarEntry Describe(archive_entry* e) {
  TarEntry t;
  t.path = archive_entry_pathname(e);
  if (t.path.size() > 1 && t.path.back() == '/') t.path.pop_back();
  t.filetype = archive_entry_filetype(e);
  t.perm = archive_entry_perm(e);
  t.uid = archive_entry_uid(e);
  t.gid = archive_entry_gid(e);
  t.mtime_sec = archive_entry_mtime(e);
  t.mtime_nsec = archive_entry_mtime_nsec(e);
  t.size = archive_entry_size(e);
  if (const char* s = archive_entry_symlink(e)) t.symlink = s;
  if (const char* h = archive_entry_hardlink(e)) t.hardlink = h;
  t.rdev = archive_entry_rdev(e);
  archive_entry_xattr_reset(e);
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::pair<std::string, std::string> x(name, std::string(static_cast<const char*>(value), size));
    // pax stores each xattr twice (SCHILY.xattr and LIBARCHIVE.xattr records) and
    // libarchive 3.6 reads both back.
    if (std::find(t.xattrs.begin(), t.xattrs.end(), x) == t.xattrs.end()) t.xattrs.push_back(x);
  }
  return t;
}

bool ReadData(archive* a, TarEntry* t) {
  if (t->filetype != AE_IFREG || !t->hardlink.empty()) return true;
  t->content.assign(static_cast<size_t>(t->size), '\0');
  const void* buf;
  size_t size;
  la_int64_t offset;
  int r;
  while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
    if (size == 0) continue;
    t->blocks.emplace_back(offset, static_cast<int64_t>(size));
    if (offset + static_cast<int64_t>(size) > t->size) return false;
    std::memcpy(t->content.data() + offset, buf, size);
  }
  return r == ARCHIVE_EOF;
}

}  // namespace

const TarEntry* TarContents::Find(const std::string& path) const {
  for (const TarEntry& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

std::vector<std::string> TarContents::Paths() const {
  std::vector<std::string> out;
  for (const TarEntry& e : entries) out.push_back(e.path);
  return out;
}

TarContents ReadTar(const std::string& path) {
  TarContents out;
  std::unique_ptr<archive, ReadFree> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 65536) != ARCHIVE_OK) {
    out.error = archive_error_string(a.get());
    return out;
  }
  archive_entry* e;
  int r;
  // ARCHIVE_WARN: e.g. a UTF-8 name that the "C" locale cannot show; the raw name is kept.
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    TarEntry t = Describe(e);
    if (!ReadData(a.get(), &t)) {
      out.error = "bad data for " + t.path;
      return out;
    }
    out.entries.push_back(std::move(t));
  }
  out.filter = archive_filter_code(a.get(), 0);
  out.ok = r == ARCHIVE_EOF;
  if (!out.ok) out.error = archive_error_string(a.get());
  return out;
}

}  // namespace diskferry::testing
