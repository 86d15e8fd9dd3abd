#include "daemon/os_tree.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "daemon/fs_mount.h"
#include "daemon/kernel_log.h"
#include "daemon/log.h"
#include "daemon/mounter.h"
#include "daemon/scoped_fd.h"
#include "daemon/storage_stack.h"
#include "daemon/sysroot_fs.h"

namespace diskferry::daemon {
namespace {

constexpr const char* kOsReleasePaths[] = {"etc/os-release", "usr/lib/os-release"};

bool IsMountableType(const OsTreeRequest& request, const std::string& fstype) {
  return !fstype.empty() &&
         std::find(request.mountable_types.begin(), request.mountable_types.end(), fstype) !=
             request.mountable_types.end();
}

// The os-release of the tree at the sysroot (etc/ first, as os-release(5) says); nullopt
// when neither can be read.
std::optional<std::map<std::string, std::string>> ReadOsRelease(OsMountOps& ops) {
  for (const char* path : kOsReleasePaths) {
    OpResult<std::string> text = ops.ReadFileInRoot(path, kMaxOsReleaseBytes);
    if (text.ok()) return ParseOsRelease(text.value());
  }
  return std::nullopt;
}

// The devices to look at for the root: the one the request names, or all of them with
// each btrfs filesystem once (its devices share the UUID).
OpResult<std::vector<const DeviceFacts*>> RootDevices(const OsTreeRequest& request) {
  if (!request.root_device.empty()) {
    OpResult<const DeviceFacts*> named = ResolveFstabSpec(request.root_device, request.devices);
    if (!named.ok()) return OpError{EINVAL, "root device " + named.error().message};
    return std::vector<const DeviceFacts*>{named.value()};
  }
  std::vector<const DeviceFacts*> devices;
  std::set<std::string> btrfs_uuids;
  for (const DeviceFacts& device : request.devices) {
    const bool seen =
        device.fstype == "btrfs" && !device.uuid.empty() && !btrfs_uuids.insert(device.uuid).second;
    if (!seen) devices.push_back(&device);
  }
  return devices;
}

std::vector<std::string> SubvolumesToTry(const OsTreeRequest& request, const DeviceFacts& device) {
  if (device.fstype != "btrfs") return {""};
  if (request.root_subvolume) return {*request.root_subvolume};
  return kBtrfsRootSubvolumes;
}

// Mounts `device` read-only at the sysroot, sees what it holds and unmounts it. A mount
// that fails is the probe's problem; an unmount that fails is an error (the sysroot is
// then unusable).
OpResult<RootProbe> ProbeRoot(const OsTreeRequest& request, OsMountOps& ops,
                              const DeviceFacts& device, const std::string& subvolume) {
  RootProbe probe;
  probe.device = device.path;
  probe.fstype = device.fstype;
  probe.subvolume = subvolume;
  if (!IsMountableType(request, device.fstype)) {
    probe.problem = "not a filesystem the appliance mounts";
    return probe;
  }
  OpResult<OsMountOutcome> mounted = ops.Mount(device.path, request.sysroot, device.fstype, false,
                                               SubvolumeData(subvolume).value());
  if (!mounted.ok()) {
    probe.problem = mounted.error().message;
    return probe;
  }
  const OpResult<std::string> fstab = ops.ReadFileInRoot(kFstabPath, kMaxFstabBytes);
  probe.has_fstab = fstab.ok();
  if (!fstab.ok() && fstab.error().err != ENOENT && fstab.error().err != ENOTDIR) {
    probe.problem = fstab.error().message;
  }
  if (const auto os_release = ReadOsRelease(ops)) {
    probe.has_os_release = true;
    probe.os_name = OsDisplayName(*os_release);
  }
  if (OpResult<bool> unmounted = ops.Unmount(request.sysroot); !unmounted.ok()) {
    return unmounted.error();
  }
  return probe;
}

OpResult<RootProbe> FindRoot(const OsTreeRequest& request, OsMountOps& ops) {
  OpResult<std::vector<const DeviceFacts*>> devices = RootDevices(request);
  if (!devices.ok()) return devices.error();
  std::vector<RootProbe> probes;
  for (const DeviceFacts* device : devices.value()) {
    for (const std::string& subvolume : SubvolumesToTry(request, *device)) {
      OpResult<RootProbe> probe = ProbeRoot(request, ops, *device, subvolume);
      if (!probe.ok()) return probe.error();
      probes.push_back(std::move(probe).value());
      if (IsRootCandidate(probes.back())) break;
    }
  }
  return ChooseRoot(probes);
}

// A directory inside the tree, opened O_PATH, and its path from the tree's root.
struct ResolvedDir {
  ScopedFd fd;
  std::string resolved;  // "/var/home"
};

// Opens `mount_point` inside the tree with every symlink resolved in it; refuses the root
// itself. `root_real` is the sysroot's real path.
OpResult<ResolvedDir> ResolveMountPoint(const std::string& sysroot, const std::string& root_real,
                                        const std::string& mount_point) {
  OpResult<int> opened = OpenInSysroot(sysroot, mount_point, O_PATH | O_DIRECTORY);
  if (!opened.ok()) return opened.error();
  ScopedFd dir(opened.value());
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(ProcFdPath(dir.get(), "").c_str(), buf, sizeof buf);
  if (n < 0) return ErrnoError(errno, mount_point);
  if (static_cast<size_t>(n) == sizeof buf) return ErrnoError(ENAMETOOLONG, mount_point);
  const std::string real(buf, static_cast<size_t>(n));
  if (real == root_real) {
    return OpError{EINVAL, mount_point + " resolves to / (the root itself)"};
  }
  const std::string prefix = root_real == "/" ? "" : root_real;
  if (!real.starts_with(prefix + "/")) {
    // RESOLVE_IN_ROOT makes this unreachable; refused all the same.
    return OpError{EXDEV, mount_point + " resolves outside the tree"};
  }
  return ResolvedDir{std::move(dir), real.substr(prefix.size())};
}

// Mounts the planned mounts after the root, in order, into `tree`.
class ChildMounter {
 public:
  ChildMounter(const OsTreeRequest& request, OsMountOps& ops, std::string root_real,
               OsTreeData* tree)
      : request_(request), ops_(ops), root_real_(std::move(root_real)), tree_(tree) {}

  void Mount(const PlannedMount& planned);

 private:
  void Skip(const PlannedMount& planned, SkipKind kind, std::string reason);
  // Why mounting on `resolved` would be wrong: the same directory as, or above, a mount
  // made before (a symlink can reorder what depth ordering put in order).
  std::optional<std::pair<SkipKind, std::string>> Overlap(const std::string& resolved) const;

  const OsTreeRequest& request_;
  OsMountOps& ops_;
  const std::string root_real_;
  OsTreeData* const tree_;
  std::vector<std::pair<std::string, int>> not_mounted_;  // mount point, line
};

void ChildMounter::Skip(const PlannedMount& planned, SkipKind kind, std::string reason) {
  not_mounted_.emplace_back(planned.mount_point, planned.line);
  tree_->skipped.push_back(SkippedMount{planned.spec, planned.mount_point, planned.fstype,
                                        planned.line, kind, std::move(reason)});
}

std::optional<std::pair<SkipKind, std::string>> ChildMounter::Overlap(
    const std::string& resolved) const {
  for (const OsMount& earlier : tree_->mounted) {
    const std::string where = earlier.resolved + " (line " + std::to_string(earlier.line) + ")";
    if (earlier.resolved == resolved) {
      return std::pair(SkipKind::kDuplicate, "resolves to " + where + ", already mounted on");
    }
    if (IsAtOrBelow(earlier.resolved, resolved)) {
      return std::pair(SkipKind::kOverlap, "resolves to " + resolved + ", which would hide " +
                                               where + ", mounted before it");
    }
  }
  return std::nullopt;
}

void ChildMounter::Mount(const PlannedMount& planned) {
  for (const auto& [point, line] : not_mounted_) {
    if (IsAtOrBelow(planned.mount_point, point)) {
      return Skip(planned, SkipKind::kParentNotMounted,
                  "below " + point + " (line " + std::to_string(line) + "), which is not mounted");
    }
  }
  OpResult<ResolvedDir> dir = ResolveMountPoint(request_.sysroot, root_real_, planned.mount_point);
  if (!dir.ok()) {
    const int err = dir.error().err;
    if (err == ENOENT || err == ENOTDIR) {
      return Skip(planned, SkipKind::kMountPointMissing,
                  err == ENOENT ? "no such directory in the tree" : "not a directory in the tree");
    }
    return Skip(planned, SkipKind::kBadMountPoint, dir.error().message);
  }
  if (auto overlap = Overlap(dir->resolved)) {
    return Skip(planned, overlap->first, std::move(overlap->second));
  }
  OpResult<OsMountOutcome> mounted = ops_.Mount(planned.device, ProcFdPath(dir->fd.get(), ""),
                                                planned.fstype, request_.read_write, planned.data);
  if (!mounted.ok()) return Skip(planned, SkipKind::kMountFailed, mounted.error().message);
  tree_->mounted.push_back(OsMount{planned.device, planned.mount_point, dir->resolved,
                                   planned.fstype, mounted->options, mounted->replayed,
                                   planned.spec, planned.line});
}

// The root mounted at the sysroot in the requested mode; `os_name` from the probe.
OpResult<OsTreeData> MountRoot(const OsTreeRequest& request, OsMountOps& ops,
                               const RootProbe& root) {
  OpResult<OsMountOutcome> mounted =
      ops.Mount(root.device, request.sysroot, root.fstype, request.read_write,
                SubvolumeData(root.subvolume).value());
  if (!mounted.ok()) return mounted.error();
  OsTreeData tree;
  tree.root_device = root.device;
  tree.root_fstype = root.fstype;
  tree.root_subvolume = root.subvolume;
  tree.os_name = root.os_name;
  tree.mounted.push_back(OsMount{root.device, "/", "/", root.fstype, mounted->options,
                                 mounted->replayed, root.device, 0});
  return tree;
}

// Reads the mounted root's fstab and os-release (they may differ from what the read-only
// look saw: a read-write mount replays the journal) and mounts the rest.
OpResult<bool> MountRest(const OsTreeRequest& request, OsMountOps& ops, OsTreeData* tree) {
  const OpResult<std::string> fstab = ops.ReadFileInRoot(kFstabPath, kMaxFstabBytes);
  if (!fstab.ok()) {
    return OpError{fstab.error().err, "root " + tree->root_device + ": " + fstab.error().message};
  }
  char real[PATH_MAX];
  if (::realpath(request.sysroot.c_str(), real) == nullptr) {
    return ErrnoError(errno, "sysroot " + request.sysroot);
  }
  if (const auto os_release = ReadOsRelease(ops)) tree->os_name = OsDisplayName(*os_release);
  const ParsedFstab parsed = ParseFstab(fstab.value());
  for (const FstabWarning& warning : parsed.warnings) {
    tree->warnings.push_back(DescribeWarning(warning));
  }
  const OsMountPlan plan = PlanOsMounts(
      parsed.entries, request.devices,
      OsRoot{tree->root_device, tree->root_fstype, tree->root_subvolume}, request.mountable_types);
  tree->mounted.front().spec = plan.mounts.front().spec;
  tree->mounted.front().line = plan.mounts.front().line;
  tree->skipped = plan.skipped;
  ChildMounter children(request, ops, real, tree);
  for (size_t i = 1; i < plan.mounts.size(); ++i) children.Mount(plan.mounts[i]);
  std::stable_sort(tree->skipped.begin(), tree->skipped.end(),
                   [](const SkippedMount& a, const SkippedMount& b) { return a.line < b.line; });
  return true;
}

// The kernel's name of the block device at `path` ("vda1", "dm-0"), which its messages use.
std::string KernelName(const std::string& path) {
  char resolved[PATH_MAX];
  const std::string real = ::realpath(path.c_str(), resolved) != nullptr ? resolved : path;
  return real.substr(real.rfind('/') + 1);
}

bool IsDevicePathByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '+' || c == ':' || c == '-';
}

}  // namespace

OpResult<OsTreeData> MountOsTree(const OsTreeRequest& request, OsMountOps& ops) {
  if (request.root_subvolume) {
    if (OpResult<std::string> data = SubvolumeData(*request.root_subvolume); !data.ok()) {
      return data.error();
    }
  }
  OpResult<RootProbe> root = FindRoot(request, ops);
  if (!root.ok()) return root.error();
  OpResult<OsTreeData> tree = MountRoot(request, ops, root.value());
  if (!tree.ok()) return tree.error();
  if (OpResult<bool> rest = MountRest(request, ops, &tree.value()); !rest.ok()) {
    // Only the root is mounted when MountRest fails.
    if (OpResult<bool> unmounted = ops.Unmount(request.sysroot); !unmounted.ok()) {
      LogWarning("%s", unmounted.error().message.c_str());
    }
    return rest.error();
  }
  return tree;
}

OpResult<bool> UnmountOsTree(const OsTreeData& tree, const std::string& sysroot, OsMountOps& ops) {
  std::optional<OpError> first_error;
  for (auto it = tree.mounted.rbegin(); it != tree.mounted.rend(); ++it) {
    const std::string target = it->resolved == "/" ? sysroot : sysroot + it->resolved;
    OpResult<bool> unmounted = ops.Unmount(target);
    if (!unmounted.ok() && !first_error) first_error = unmounted.error();
  }
  if (first_error) return *first_error;
  return true;
}

std::string DescribeMount(const OsMount& mount) {
  std::string text = mount.device + " on " + mount.mount_point;
  if (mount.resolved != mount.mount_point) text += " (at " + mount.resolved + ")";
  text += " type " + mount.fstype;
  if (!mount.options.empty()) text += " (" + mount.options + ")";
  return text;
}

OpResult<std::string> ReadFileInSysroot(const std::string& sysroot, std::string_view relative,
                                        size_t max_bytes) {
  const std::string path = "/" + std::string(relative);
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_RDONLY | O_NONBLOCK | O_NOATIME);
  if (!opened.ok() && opened.error().err == EPERM) {
    opened = OpenInSysroot(sysroot, path, O_RDONLY | O_NONBLOCK);
  }
  if (!opened.ok()) return opened.error();
  const ScopedFd file(opened.value());
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode)) return OpError{EINVAL, path + ": not a regular file"};
  const std::string too_big = path + ": longer than " + std::to_string(max_bytes) + " bytes";
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return OpError{EFBIG, too_big};
  std::string data(max_bytes + 1, '\0');
  size_t size = 0;
  while (size < data.size()) {
    const ssize_t n = ::read(file.get(), data.data() + size, data.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > max_bytes) return OpError{EFBIG, too_big};  // it grew since fstat
  data.resize(size);
  return data;
}

OpResult<std::string> GuestDevicePath(const std::string& dev_dir, std::string_view device) {
  if (const std::optional<std::string> name = ToGuestDeviceName(device)) {
    return dev_dir + "/" + *name;
  }
  const OpError bad{EINVAL, std::string(device) + ": not a device name"};
  if (!device.starts_with("/dev/")) return bad;
  const std::string_view rest = device.substr(5);
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t end = std::min(rest.find('/', start), rest.size());
    const std::string_view part = rest.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." ||
        !std::all_of(part.begin(), part.end(), IsDevicePathByte)) {
      return bad;
    }
    start = end + 1;
  }
  return dev_dir + "/" + std::string(rest);
}

SysOsMountOps::SysOsMountOps(std::string sysroot, std::string dev_dir, FsModuleLoader* loader,
                             bool replay, std::string sys_block_dir)
    : sysroot_(std::move(sysroot)),
      dev_dir_(std::move(dev_dir)),
      loader_(loader),
      replay_(replay),
      sys_block_dir_(std::move(sys_block_dir)) {}

OpResult<OsMountOutcome> SysOsMountOps::Mount(const std::string& device, const std::string& target,
                                              const std::string& fstype, bool read_write,
                                              const std::string& extra_data) {
  OpResult<std::string> path = sys_block_dir_.empty()
                                    ? GuestDevicePath(dev_dir_, device)
                                    : ResolveBlockDevice(sys_block_dir_, dev_dir_, device);
  if (!path.ok()) return path.error();
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return ErrnoError(errno, device);
  if (!S_ISBLK(st.st_mode)) return OpError{ENOTBLK, device + ": not a block device"};
  const std::vector<std::string> problems = loader_->EnsureLoaded(fstype);
  for (const std::string& p : problems) LogWarning("module %s", p.c_str());
  const MountOptions options = ChooseMountOptions(fstype, read_write, replay_);
  std::string data = options.data;
  std::string description = options.description;
  if (!extra_data.empty()) {
    data += (data.empty() ? "" : ",") + extra_data;
    description += "," + extra_data;
  }
  KernelLogCursor log;  // what the kernel says from here on is about this mount
  if (OpResult<bool> mounted =
          MountDevice(path.value(), target, fstype, options.flags, data, description);
      !mounted.ok()) {
    OpError error =
        MountError(mounted.error(), "mount " + device + " (" + fstype + ", " + description + ")");
    for (const std::string& p : problems) error.message += "; module " + p;
    return error;
  }
  LogDebug("mounted %s (%s) on %s with %s", path->c_str(), fstype.c_str(), target.c_str(),
           description.c_str());
  return OsMountOutcome{description, SaysJournalReplayed(log.Read(), KernelName(path.value()))};
}

OpResult<bool> SysOsMountOps::Unmount(const std::string& target) {
  // The targets are paths MountOsTree resolved without symlinks; a final symlink planted
  // since is not followed.
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
    return ErrnoError(errno, "unmount " + target);
  }
  ReapFuseServers();
  return true;
}

OpResult<std::string> SysOsMountOps::ReadFileInRoot(const std::string& relative, size_t max_bytes) {
  return ReadFileInSysroot(sysroot_, relative, max_bytes);
}

}  // namespace diskferry::daemon
