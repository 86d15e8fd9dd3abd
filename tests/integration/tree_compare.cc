#include "tests/integration/tree_compare.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace fs = std::filesystem;
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string UserXattrs(const std::string& path) {
  char names[4096];
  const ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
  std::map<std::string, std::string> found;
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
    const std::string name(names + i);
    if (name.rfind("user.", 0) != 0) continue;
    char value[4096];
    const ssize_t v = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
    found[name] = std::string(value, v > 0 ? static_cast<size_t>(v) : 0);
  }
  std::string out;
  for (const auto& [k, v] : found) out += k + "=" + v + ";";
  return out;
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

bool IsSparse(const struct stat& st) { return st.st_blocks * 512 < st.st_size; }

void CompareOne(const std::string& rel, const std::string& pa, const std::string& pb,
                const CompareOptions& o, std::vector<std::string>* diffs) {
  struct stat a, b;
  if (::lstat(pb.c_str(), &b) != 0) {
    diffs->push_back(rel + ": missing");
    return;
  }
  ::lstat(pa.c_str(), &a);
  auto diff = [&](const std::string& what) { diffs->push_back(rel + ": " + what); };
  if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT)) return diff("type differs");
  if (o.modes && (a.st_mode & 07777) != (b.st_mode & 07777) && !S_ISLNK(a.st_mode)) {
    diff("mode differs");
  }
  if (o.owners && (a.st_uid != b.st_uid || a.st_gid != b.st_gid)) diff("owner differs");
  if (S_ISREG(a.st_mode)) {
    if (a.st_size != b.st_size) return diff("size differs");
    if (ReadAll(pa) != ReadAll(pb)) diff("content differs");
    if (o.sparse && IsSparse(a) && !IsSparse(b)) diff("holes lost");
  }
  if (S_ISLNK(a.st_mode) && o.symlinks && fs::read_symlink(pa) != fs::read_symlink(pb)) {
    diff("link target differs");
  }
  if (o.mtime_precision_ns > 0 && !S_ISLNK(a.st_mode) &&
      MtimeNs(a) / o.mtime_precision_ns != MtimeNs(b) / o.mtime_precision_ns) {
    diff("mtime differs: " + std::to_string(MtimeNs(a)) + " vs " + std::to_string(MtimeNs(b)));
  }
  if (o.xattrs && UserXattrs(pa) != UserXattrs(pb)) diff("xattrs differ");
}

}  // namespace

std::vector<std::string> CompareTrees(const std::string& a, const std::string& b,
                                      const CompareOptions& o) {
  std::vector<std::string> diffs;
  std::map<ino_t, std::string> first_a;  // inode in a -> first path, for hard links
  std::map<std::string, ino_t> inode_b;
  for (const std::string& rel : ListTree(a)) {
    const std::string pa = a + rel, pb = b + rel;
    CompareOne(rel, pa, pb, o, &diffs);
    struct stat sa, sb;
    if (o.hardlinks && ::lstat(pa.c_str(), &sa) == 0 && S_ISREG(sa.st_mode) && sa.st_nlink > 1 &&
        ::lstat(pb.c_str(), &sb) == 0) {
      auto [it, fresh] = first_a.emplace(sa.st_ino, rel);
      if (fresh) {
        inode_b[rel] = sb.st_ino;
      } else if (inode_b[it->second] != sb.st_ino) {
        diffs.push_back(rel + ": not hard-linked to " + it->second);
      }
    }
  }
  const auto la = ListTree(a), lb = ListTree(b);
  for (const auto& rel : lb) {
    if (!std::binary_search(la.begin(), la.end(), rel) && rel != "/lost+found") {
      diffs.push_back(rel + ": unexpected");
    }
  }
  return diffs;
}

void AddRoundTripContent(const std::string& root, bool big_file, bool xattrs, bool hardlinks) {
  const fs::path r(root);
  fs::create_directories(r / "sizes");
  auto write = [](const fs::path& p, size_t n, char fill) {
    std::ofstream(p, std::ios::binary) << std::string(n, fill);
  };
  const size_t threshold = 256 * 1024;
  write(r / "sizes/4k", 4096, 'a');
  write(r / "sizes/threshold-minus-1", threshold - 1, 'b');
  write(r / "sizes/threshold", threshold, 'c');
  write(r / "sizes/threshold-plus-1", threshold + 1, 'd');
  write(r / "sizes/1m-plus-1", (1 << 20) + 1, 'e');
  if (big_file) {
    std::string out;
    RunShell("head -c 104857600 /dev/urandom > '" + (r / "sizes/100m").string() + "'", &out);
  }
  {  // 8 MiB with data at 1 MiB and 5 MiB only
    const int fd = ::open((r / "sizes/sparse").c_str(), O_CREAT | O_WRONLY, 0644);
    ::ftruncate(fd, 8 << 20);
    ::pwrite(fd, "island one", 10, 1 << 20);
    ::pwrite(fd, "island two", 10, 5 << 20);
    ::close(fd);
  }
  write(r / "names/new\nline", 3, 'n');
  fs::create_directories(r / "deep/a/b/c/d/e/f/g/h/i/j");
  write(r / "deep/a/b/c/d/e/f/g/h/i/j/bottom", 6, 'z');
  if (hardlinks) fs::create_hard_link(r / "sizes/4k", r / "names/hardlink-to-4k");
  if (xattrs) ::setxattr((r / "etc/hostname").c_str(), "user.origin", "test", 4, 0);
  struct timespec times[2] = {{1700000000, 123456789}, {1700000000, 987654321}};
  ::utimensat(AT_FDCWD, (r / "sizes/4k").c_str(), times, AT_SYMLINK_NOFOLLOW);
}

std::string Sha256(const std::string& path) {
  std::string out;
  RunShell("sha256sum '" + path + "' | cut -d' ' -f1", &out);
  return out;
}

}  // namespace diskferry::testing
