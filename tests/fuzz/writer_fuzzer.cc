// Fuzz target: what an extraction writes on the host from the records a guest sends.
// LaneUnpacker (as in lane_fuzzer.cc) feeds the sink copy-out uses, HostTreeWriter with the
// default safe options (host_safety.h), or a TarSink writing OUT.tar, behind the file size
// cap ExtractTree puts in front of every sink (protocol/size_checking_sink.h).
//
// Input: lane_fuzzer.cc's, except that the first byte chooses two things: bit 0 the lane
// (shared memory), bit 1 the sink (TarSink). A failed buffer ends the transfer as it does in
// copy-out (HostTreeWriter::RemoveUnfinished; the TarSink is dropped); Finish() follows
// otherwise.
//
// Each input runs in a fresh PARENT directory on tmpfs (/dev/shm, so that the tar sink's
// fsync costs nothing) holding
//   canary            a file whose bytes and mode must not change
//   canary_dir/       a directory that must stay empty
//   dest/             DEST, holding beforehand symlinks to both (escape -> ../canary_dir,
//                     canary_link -> ../canary) and a hard link to the canary (hard)
// After the sink is gone, the target traps if PARENT holds anything else, if the canaries
// changed, if any entry is a device node, or a file other than a directory with a setuid or
// setgid bit (host_safety.h: on a directory, Linux gives setuid no meaning and setgid only
// passes the group on; the writer keeps both), or, for the tar sink, if DEST holds anything
// but what was planted and OUT.tar. Then the tree is removed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <span>
#include <string>

#include "protocol/lane_memory.h"
#include "protocol/lane_unpacker.h"
#include "protocol/size_checking_sink.h"
#include "sinks/host_tree_writer.h"
#include "sinks/tar_sink.h"
#include "tests/fuzz/lane_input.h"

namespace diskferry {
namespace {

constexpr uint32_t kSlots = 2;
constexpr uint64_t kSlotSize = 64 * 1024;
constexpr char kCanaryText[] = "canary: must not change\n";
constexpr mode_t kCanaryMode = 0644;

void Require(bool promise) {
  if (!promise) __builtin_trap();
}

void RemoveTree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    Require(unlink(path.c_str()) == 0);
    return;
  }
  chmod(path.c_str(), 0700);  // a guest directory may be mode 0 (matters when not root)
  if (DIR* d = opendir(path.c_str())) {
    std::set<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.insert(e->d_name);
      }
    }
    closedir(d);
    for (const std::string& name : names) RemoveTree(path + "/" + name);
  }
  Require(rmdir(path.c_str()) == 0);
}

std::string& BaseDir() {
  static std::string dir;
  return dir;
}

void RemoveBase() { RemoveTree(BaseDir()); }

// A directory of this process's own under /dev/shm (or $TMPDIR), removed at exit.
const std::string& Base() {
  static const bool made = [] {
    const char* tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/writer_fuzzer.XXXXXX";
    Require(mkdtemp(dir.data()) != nullptr);
    BaseDir() = dir;
    std::atexit(RemoveBase);
    return true;
  }();
  (void)made;
  return BaseDir();
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  Require(d != nullptr);
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.insert(e->d_name);
    }
  }
  closedir(d);
  return names;
}

// No device node, no setuid or setgid bit but on a directory, anywhere under `path`.
void RequireSafeTree(const std::string& path) {
  struct stat st;
  Require(lstat(path.c_str(), &st) == 0);
  Require(!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode));
  Require(S_ISDIR(st.st_mode) || (st.st_mode & (S_ISUID | S_ISGID)) == 0);
  if (!S_ISDIR(st.st_mode)) return;
  chmod(path.c_str(), st.st_mode | 0700);
  for (const std::string& name : Names(path)) RequireSafeTree(path + "/" + name);
}

void Plant(const std::string& parent) {
  Require(mkdir(parent.c_str(), 0755) == 0);
  const std::string canary = parent + "/canary";
  const int fd = open(canary.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, kCanaryMode);
  Require(fd >= 0);
  Require(write(fd, kCanaryText, sizeof kCanaryText - 1) == sizeof kCanaryText - 1);
  close(fd);
  Require(chmod(canary.c_str(), kCanaryMode) == 0);
  Require(mkdir((parent + "/canary_dir").c_str(), 0755) == 0);
  Require(mkdir((parent + "/dest").c_str(), 0755) == 0);
  Require(symlink("../canary_dir", (parent + "/dest/escape").c_str()) == 0);
  Require(symlink("../canary", (parent + "/dest/canary_link").c_str()) == 0);
  Require(link(canary.c_str(), (parent + "/dest/hard").c_str()) == 0);
}

void CheckAfter(const std::string& parent, bool tar) {
  Require(Names(parent) == (std::set<std::string>{"canary", "canary_dir", "dest"}));
  const std::string canary = parent + "/canary";
  struct stat st;
  Require(lstat(canary.c_str(), &st) == 0 && S_ISREG(st.st_mode));
  Require((st.st_mode & 07777) == kCanaryMode && st.st_size == sizeof kCanaryText - 1);
  char text[sizeof kCanaryText] = {};
  const int fd = open(canary.c_str(), O_RDONLY | O_CLOEXEC);
  Require(fd >= 0);
  Require(read(fd, text, sizeof text) == sizeof kCanaryText - 1);
  close(fd);
  Require(std::memcmp(text, kCanaryText, sizeof kCanaryText - 1) == 0);
  Require(lstat((parent + "/canary_dir").c_str(), &st) == 0 && S_ISDIR(st.st_mode));
  Require((st.st_mode & 07777) == 0755 && Names(parent + "/canary_dir").empty());
  if (tar) {
    std::set<std::string> names = Names(parent + "/dest");
    names.erase("OUT.tar");
    Require(names == (std::set<std::string>{"canary_link", "escape", "hard"}));
  }
  RequireSafeTree(parent + "/dest");
}

void RunDirectory(const std::string& dest, const uint8_t* data, size_t size, bool shm) {
  Result<std::unique_ptr<HostTreeWriter>> writer = HostTreeWriter::Open(dest, {});
  Require(writer.ok());
  HeapLaneMemory memory(kSlots, kSlotSize, kSlots, kSlotSize);
  SizeCheckingSink capped(writer->get(), kDefaultMaxFileSize);
  LaneUnpacker unpacker(&capped, shm ? &memory : nullptr);
  if (FeedLaneBuffers(data, size, shm ? &memory : nullptr, unpacker)) {
    if (!unpacker.Finish().ok()) (void)(*writer)->RemoveUnfinished();
  } else {
    (void)(*writer)->RemoveUnfinished();
  }
}

void RunTar(const std::string& dest, const uint8_t* data, size_t size, bool shm) {
  Result<std::unique_ptr<TarSink>> tar = TarSink::Open(dest + "/OUT.tar", {});
  Require(tar.ok());
  HeapLaneMemory memory(kSlots, kSlotSize, kSlots, kSlotSize);
  SizeCheckingSink capped(tar->get(), kDefaultMaxFileSize);
  LaneUnpacker unpacker(&capped, shm ? &memory : nullptr);
  if (FeedLaneBuffers(data, size, shm ? &memory : nullptr, unpacker)) (void)unpacker.Finish();
}

}  // namespace
}  // namespace diskferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  if (size < 1) return 0;
  const bool shm = (data[0] & 1) != 0;
  const bool tar = (data[0] & 2) != 0;
  const std::string parent = Base() + "/p";
  Plant(parent);
  if (tar) {
    RunTar(parent + "/dest", data + 1, size - 1, shm);
  } else {
    RunDirectory(parent + "/dest", data + 1, size - 1, shm);
  }
  CheckAfter(parent, tar);
  RemoveTree(parent);
  return 0;
}
