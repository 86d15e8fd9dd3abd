#include "tests/daemon/tree_samples.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace diskferry::daemon::testing {
namespace {

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + seed + i / 997) & 0xff);
  return s;
}

void Put(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (!content.empty()) (void)!::write(fd, content.data(), content.size());
  ::fchmod(fd, mode);
  ::close(fd);
}

void SetTimes(const std::string& path, int64_t sec) {
  const timespec times[2] = {{sec - 100, 5}, {sec, 123456789}};
  ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

void MakeSparse(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::ftruncate(fd, kSampleSparseSize);
  const std::string a = Pattern(4 << 10, 7), b = Pattern(64 << 10, 9);
  (void)!::pwrite(fd, a.data(), a.size(), 1 << 20);
  (void)!::pwrite(fd, b.data(), b.size(), 6 << 20);
  ::close(fd);
}

std::vector<std::string> Walk(const std::string& root, const std::string& rel) {
  std::vector<std::string> out;
  DIR* dir = ::opendir((root + "/" + rel).c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = rel.empty() ? name : rel + "/" + name;
    out.push_back(child);
    struct stat st {};
    if (::lstat((root + "/" + child).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      for (std::string& c : Walk(root, child)) out.push_back(std::move(c));
    }
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> UserXattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[4096];
  const ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
  for (ssize_t i = 0; i < n;) {
    const std::string name(names + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    if (name.rfind("user.", 0) != 0) continue;
    char value[4096];
    const ssize_t v = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
    out[name] = v < 0 ? "<error>" : std::string(value, static_cast<size_t>(v));
  }
  return out;
}

std::string Describe(const std::string& path, const struct stat& st) {
  std::ostringstream s;
  s << "mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid
    << " gid=" << st.st_gid << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
  if (!S_ISDIR(st.st_mode)) s << " size=" << st.st_size;
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) s << " rdev=" << st.st_rdev;
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    const ssize_t n = ::readlink(path.c_str(), target, sizeof target);
    s << " target=" << std::string(target, n < 0 ? 0 : static_cast<size_t>(n));
  }
  for (const auto& [name, value] : UserXattrs(path)) s << " " << name << "=" << value;
  return s.str();
}

// Paths grouped by shared inode, for files with nlink > 1.
std::set<std::set<std::string>> LinkGroups(const std::string& root,
                                           const std::vector<std::string>& paths) {
  std::map<ino_t, std::set<std::string>> by_inode;
  for (const std::string& p : paths) {
    struct stat st {};
    if (::lstat((root + "/" + p).c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      by_inode[st.st_ino].insert(p);
    }
  }
  std::set<std::set<std::string>> groups;
  for (auto& [ino, group] : by_inode) groups.insert(group);
  return groups;
}

}  // namespace

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool BuildSampleTree(const std::string& dir) {
  Put(dir + "/a.txt", "alpha", 0640);
  if (::setxattr((dir + "/a.txt").c_str(), "user.note", "n1", 2, 0) != 0) return false;
  ::chown((dir + "/a.txt").c_str(), 1001, 1002);
  Put(dir + "/empty", "", 0600);
  Put(dir + "/big.bin", Pattern(kSampleBigSize, 3), 0644);
  MakeSparse(dir + "/sparse.img");
  Put(dir + "/hard1", "shared", 0644);
  ::mkdir((dir + "/sub").c_str(), 0700);
  ::setxattr((dir + "/sub").c_str(), "user.dir", "d", 1, 0);
  ::link((dir + "/hard1").c_str(), (dir + "/sub/hard2").c_str());
  ::symlink("a.txt", (dir + "/link").c_str());
  ::symlink("/etc/passwd", (dir + "/abs-link").c_str());
  ::mkfifo((dir + "/fifo").c_str(), 0640);
  ::mkdir((dir + "/sub/deep").c_str(), 0755);
  Put(dir + "/sub/deep/b.bin", Pattern(3000, 5), 0600);
  Put(dir + "/new\nline", "nl", 0644);
  ::mkdir((dir + "/ro").c_str(), 0755);
  Put(dir + "/ro/x", "x", 0444);
  ::chmod((dir + "/ro").c_str(), 0555);
  int64_t t = 1600000000;
  for (const char* p : {"/a.txt", "/empty", "/big.bin", "/sparse.img", "/hard1", "/link",
                        "/abs-link", "/fifo", "/sub/deep/b.bin", "/new\nline", "/ro/x"}) {
    SetTimes(dir + p, t += 1000);
  }
  for (const char* p : {"/sub/deep", "/sub", "/ro"}) SetTimes(dir + p, t += 1000);
  return true;
}

std::vector<std::string> CompareTrees(const std::string& a, const std::string& b) {
  std::vector<std::string> diffs;
  const std::vector<std::string> pa = Walk(a, ""), pb = Walk(b, "");
  if (pa != pb) {
    std::string list;
    for (const auto& p : pa) list += " " + p;
    list += " |";
    for (const auto& p : pb) list += " " + p;
    diffs.push_back("entries differ:" + list);
    return diffs;
  }
  for (const std::string& p : pa) {
    struct stat sa {}, sb {};
    ::lstat((a + "/" + p).c_str(), &sa);
    ::lstat((b + "/" + p).c_str(), &sb);
    const std::string da = Describe(a + "/" + p, sa), db = Describe(b + "/" + p, sb);
    if (da != db) diffs.push_back(p + ": " + da + " vs " + db);
    if (S_ISREG(sa.st_mode) && ReadWhole(a + "/" + p) != ReadWhole(b + "/" + p)) {
      diffs.push_back(p + ": contents differ");
    }
  }
  if (LinkGroups(a, pa) != LinkGroups(b, pb)) diffs.push_back("hard link groups differ");
  return diffs;
}

}  // namespace diskferry::daemon::testing
