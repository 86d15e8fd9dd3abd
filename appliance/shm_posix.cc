#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <random>
#include <string_view>
#include <utility>

#include "appliance/child_registry.h"
#include "appliance/shm_region.h"
#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

std::atomic<uint64_t> g_counter{0};
constexpr std::string_view kNamePrefix = "diskferry-";

// The creator's pid from "diskferry-<pid>-...", or 0 if the name is not one of ours.
pid_t PidFromName(std::string_view name) {
  if (name.substr(0, kNamePrefix.size()) != kNamePrefix) return 0;
  name.remove_prefix(kNamePrefix.size());
  pid_t pid = 0;
  size_t i = 0;
  for (; i < name.size() && i < 9 && name[i] >= '0' && name[i] <= '9'; ++i) {
    pid = pid * 10 + (name[i] - '0');
  }
  return i > 0 && i < name.size() && name[i] == '-' ? pid : 0;
}

bool IsStale(int dir_fd, const char* name, pid_t pid, std::chrono::seconds min_age) {
  if (pid <= 0 || pid == ::getpid()) return false;
  if (::kill(pid, 0) == 0 || errno != ESRCH) return false;  // alive (or not ours to probe)
  struct stat st;
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
         std::time(nullptr) - st.st_mtime > min_age.count();
}

std::string NewShmPath() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(kShmDirectory) + "/diskferry-" + std::to_string(::getpid()) + "-" +
         std::to_string(g_counter.fetch_add(1)) + "-" + suffix;
}

Status NoSpaceStatus(int fd, uint64_t size) {
  struct statvfs st;
  std::string free = "unknown";
  if (::fstatvfs(fd, &st) == 0) {
    free = std::to_string(static_cast<uint64_t>(st.f_bavail) * st.f_frsize >> 20) + " MiB";
  }
  return Status(Code::kUnavailable, std::string(kShmDirectory) + " has " + free +
                                        " free; the shared-memory region needs " +
                                        std::to_string(size >> 20) +
                                        " MiB (enlarge /dev/shm or lower the shm size)");
}

// Sizes the file, sparse, after checking that /dev/shm has room for all of it. Pages are
// allocated as the lanes touch them: a transfer of small files uses a few MiB of a 256 MiB
// region, and reserving it all (posix_fallocate) cost every appliance 256 MiB of memory
// and ~0.1 s of zeroing at launch. Should /dev/shm fill up after this check, whoever
// touches a missing page gets SIGBUS: QEMU, whose death ends the job like any appliance
// death (it is retried), or diskferry.
Status SizeWithRoom(int fd, uint64_t size, const std::string& path) {
  struct statvfs st;
  if (::fstatvfs(fd, &st) == 0 && static_cast<uint64_t>(st.f_bavail) * st.f_frsize < size) {
    return NoSpaceStatus(fd, size);
  }
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return ErrnoStatus(errno, "size " + path);
  return Status::Ok();
}

}  // namespace

size_t RemoveStaleShmFiles(std::chrono::seconds min_age) {
  DIR* dir = ::opendir(kShmDirectory);
  if (dir == nullptr) return 0;
  size_t removed = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (IsStale(::dirfd(dir), e->d_name, PidFromName(e->d_name), min_age) &&
        ::unlinkat(::dirfd(dir), e->d_name, 0) == 0) {
      ++removed;
    }
  }
  ::closedir(dir);
  return removed;
}

Result<ShmRegion> ShmRegion::Create(uint64_t size) {
  if (!IsValidShmSize(size)) {
    return Status(Code::kInvalidArgument, "shared-memory size " + std::to_string(size) +
                                              " is not a power of two of at least " +
                                              std::to_string(2 * kShmHeaderSize) + " bytes");
  }
  InstallChildCleanupHandlers();
  RemoveStaleShmFiles();
  std::string path = NewShmPath();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create " + path);
  // From here on the object owns fd and name: an early return unlinks and closes.
  ShmRegion region(nullptr, size, fd, std::move(path));
  if (Status s = SizeWithRoom(fd, size, region.path_); !s.ok()) return s;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap " + region.path_);
  region.data_ = static_cast<uint8_t*>(p);
  return region;
}

ShmRegion::ShmRegion(uint8_t* data, uint64_t size, intptr_t handle, std::string path)
    : data_(data),
      size_(size),
      handle_(handle),
      path_(std::move(path)),
      linked_(true),
      cleanup_slot_(RegisterFile(path_)) {}

void ShmRegion::Unlink() {
  if (linked_) ::unlink(path_.c_str());
  linked_ = false;
  UnregisterFile(std::exchange(cleanup_slot_, -1));
}

void ShmRegion::Close() {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
  Unlink();
  data_ = nullptr;
  size_ = 0;
  handle_ = kNoHandle;
  path_.clear();
}

}  // namespace diskferry
