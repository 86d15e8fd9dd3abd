#include "daemon/mounter.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <utility>

#include "daemon/block_devices.h"
#include "daemon/fs_mount.h"
#include "daemon/kernel_log.h"
#include "daemon/log.h"
#include "daemon/storage_stack.h"

namespace diskferry::daemon {
namespace {

constexpr size_t kMaxFstypeLength = 32;
// Stacked mounts at the sysroot are peeled one at a time; more than this means something
// other than the daemon is mounting there.
constexpr int kMaxUnmounts = 8;

bool IsValidFstype(std::string_view fstype) {
  if (fstype.empty() || fstype.size() > kMaxFstypeLength) return false;
  for (const char c : fstype) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string ReadOnlyData(std::string_view fstype) {
  if (fstype == "ext3" || fstype == "ext4") return "noload";
  if (fstype == "xfs") return "norecovery";
  if (fstype == "btrfs") return "rescue=nologreplay";
  return {};
}

// ntfs-3g shows every file as 0777 without these (NTFS has no unix modes): 0644 files and
// 0755 directories instead, as a copy would want them.
constexpr std::string_view kNtfsData = "fmask=0133,dmask=0022";

// The kernel's name of the block device at `path` ("vda1", "dm-0"), which its messages use.
std::string KernelName(const std::string& path) {
  char resolved[PATH_MAX];
  const std::string real = ::realpath(path.c_str(), resolved) != nullptr ? resolved : path;
  return real.substr(real.rfind('/') + 1);
}

std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string joined;
  for (const std::string& p : problems) joined += "; module " + p;
  return joined;
}

}  // namespace

MountOptions ChooseMountOptions(std::string_view fstype, bool read_write, bool replay) {
  MountOptions options;
  options.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  options.description = read_write ? "rw" : "ro";
  options.description += ",nosuid,nodev,noexec";
  if (!read_write) {
    options.flags |= MS_RDONLY;
    if (!replay) options.data = ReadOnlyData(fstype);
  }
  if (fstype == "ntfs") options.data = kNtfsData;
  if (!options.data.empty()) options.description += "," + options.data;
  return options;
}

Mounter::Mounter(std::string sysroot, std::string dev_dir, bool allowed, FsModuleLoader* loader,
                 std::string sys_block_dir)
    : sysroot_(std::move(sysroot)),
      dev_dir_(std::move(dev_dir)),
      sys_block_dir_(std::move(sys_block_dir)),
      allowed_(allowed),
      loader_(loader) {}

OpResult<MountData> Mounter::Mount(std::string_view device, bool read_write,
                                   std::string_view fstype, bool replay) {
  if (!allowed_) {
    return OpError{ENOTSUP, "mount " + std::string(device) +
                                ": mounting needs the daemon to run as PID 1 in the appliance"
                                " (test mode serves the sysroot directory as it is)"};
  }
  OpResult<std::string> found = DevicePath(device);
  if (!found.ok()) return found.error();
  const std::string& path = found.value();
  OpResult<std::string> type = ResolveFstype(path, fstype, device);
  if (!type.ok()) return type.error();
  if (OpResult<bool> unmounted = UnmountSysroot(); !unmounted.ok()) return unmounted.error();

  const std::vector<std::string> problems = loader_->EnsureLoaded(type.value());
  for (const std::string& p : problems) LogWarning("module %s", p.c_str());
  const MountOptions options = ChooseMountOptions(type.value(), read_write, replay);
  KernelLogCursor log;  // what the kernel says from here on is about this mount
  if (OpResult<bool> mounted = MountDevice(path, sysroot_, type.value(), options.flags,
                                            options.data, options.description);
      !mounted.ok()) {
    OpError error = MountError(mounted.error(), "mount " + std::string(device) + " (" +
                                                    type.value() + ", " + options.description +
                                                    ")");
    error.message += JoinProblems(problems);
    return error;
  }
  // kUnmounted --Mount--> kMounted
  state_ = State::kMounted;
  LogDebug("mounted %s (%s) on %s with %s", path.c_str(), type->c_str(), sysroot_.c_str(),
           options.description.c_str());
  const bool replayed = SaysJournalReplayed(log.Read(), KernelName(path));
  if (replayed) LogInfo("%s: journal replayed into the overlay", path.c_str());
  return MountData{std::move(type).value(), options.description, replayed};
}

OpResult<bool> Mounter::Unmount() {
  if (!allowed_) {
    return OpError{ENOTSUP, "umount: unmounting needs the daemon to run as PID 1 in the appliance"};
  }
  ::sync();
  OpResult<bool> unmounted = UnmountSysroot();
  ReapFuseServers();
  return unmounted;
}

OpResult<std::string> Mounter::DevicePath(std::string_view device) const {
  return ResolveBlockDevice(sys_block_dir_, dev_dir_, device);
}

OpResult<bool> Mounter::UnmountSysroot() {
  if (state_ == State::kMounted) LogDebug("unmounting the previous filesystem");
  for (int i = 0; i < kMaxUnmounts; ++i) {
    if (::umount2(sysroot_.c_str(), 0) != 0) {
      // EINVAL: nothing (more) is mounted there.
      if (errno == EINVAL) break;
      return ErrnoError(errno, "unmount " + sysroot_);
    }
  }
  // kMounted --unmount--> kUnmounted
  state_ = State::kUnmounted;
  return true;
}

OpResult<std::string> Mounter::ResolveFstype(const std::string& path,
                                             std::string_view requested,
                                             std::string_view device) {
  std::string fstype(requested);
  if (fstype.empty()) {
    OpResult<FsProbe> probe = ProbeFilesystem(path);
    if (!probe.ok()) return probe.error();
    if (probe->fstype.empty()) {
      return OpError{EINVAL, std::string(device) +
                                 ": no filesystem found (blkid); name an fstype to force one"};
    }
    fstype = probe->fstype;
  }
  if (!IsValidFstype(fstype)) return OpError{EINVAL, "invalid fstype: " + fstype};
  if (fstype == "swap") return OpError{EINVAL, std::string(device) + ": swap cannot be mounted"};
  return fstype;
}

}  // namespace diskferry::daemon
