// FakeMountOps: an OsMountOps (daemon/os_tree.h) over scratch directories for the
// whole-OS tests. "Mounting" a device copies the directory tree it stands for into the
// target; unmounting empties the target. Every call is recorded.
#ifndef DISKFERRY_TESTS_DAEMON_OS_FAKE_MOUNT_OPS_H_
#define DISKFERRY_TESTS_DAEMON_OS_FAKE_MOUNT_OPS_H_

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/os_tree.h"

namespace diskferry::daemon::testing {

// A device with a path, a blkid type and a filesystem UUID.
inline DeviceFacts Device(std::string path, std::string fstype, std::string uuid) {
  DeviceFacts d;
  d.path = std::move(path);
  d.fstype = std::move(fstype);
  d.uuid = std::move(uuid);
  return d;
}

// Mount copies the source tree of (device, extra data) into the target; Unmount empties
// the target. Targets must lie inside `scratch`: a confinement bug fails the test instead
// of writing to the host.
class FakeMountOps : public OsMountOps {
 public:
  FakeMountOps(std::string scratch, std::string sysroot)
      : scratch_(std::filesystem::canonical(scratch)),
        sysroot_(std::move(sysroot)),
        sysroot_real_(std::filesystem::canonical(sysroot_)) {}

  // What `device` mounted with `extra_data` ("subvol=@") holds.
  void AddSource(const std::string& device, const std::string& extra_data, std::string dir) {
    sources_[Key(device, extra_data)] = std::move(dir);
  }

  std::set<std::string> fail_devices;  // their mounts fail with EIO
  bool fail_read_write = false;        // read-write mounts fail with EROFS
  int fstab_reads_left = -1;           // then reads of etc/fstab fail with EIO; -1: never

  // "mount /dev/sda2 /boot ro subvol=@", "unmount /boot": targets shown inside the sysroot.
  std::vector<std::string> calls;
  std::vector<std::filesystem::path> mounted;  // real targets, in mount order

  OpResult<OsMountOutcome> Mount(const std::string& device, const std::string& target,
                                 const std::string& fstype, bool read_write,
                                 const std::string& extra_data) override {
    const std::string what = "mount " + device + " (" + fstype + ")";
    if (fail_devices.contains(device)) return ErrnoError(EIO, what);
    if (read_write && fail_read_write) return ErrnoError(EROFS, what);
    const auto source = sources_.find(Key(device, extra_data));
    if (source == sources_.end()) return ErrnoError(ENOENT, what);
    const std::filesystem::path real = std::filesystem::canonical(target);
    if (!IsInside(real, scratch_))
      return ErrnoError(EXDEV, "fake: target outside: " + real.string());
    std::filesystem::copy(source->second, real,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::copy_symlinks |
                              std::filesystem::copy_options::overwrite_existing);
    mounted.push_back(real);
    std::string options = read_write ? "rw" : "ro";
    if (!extra_data.empty()) options += "," + extra_data;
    calls.push_back("mount " + device + " " + Shown(real) + " " + options);
    return OsMountOutcome{options, false};
  }

  OpResult<bool> Unmount(const std::string& target) override {
    const std::filesystem::path real = std::filesystem::weakly_canonical(target);
    const auto it = std::find(mounted.begin(), mounted.end(), real);
    if (it == mounted.end()) return ErrnoError(EINVAL, "unmount " + target);
    mounted.erase(it);
    for (const std::filesystem::directory_entry& e : std::filesystem::directory_iterator(real))
      std::filesystem::remove_all(e.path());
    calls.push_back("unmount " + Shown(real));
    return true;
  }

  OpResult<std::string> ReadFileInRoot(const std::string& relative, size_t max_bytes) override {
    if (relative == kFstabPath && fstab_reads_left >= 0 && fstab_reads_left-- == 0) {
      return ErrnoError(EIO, "/etc/fstab");
    }
    return ReadFileInSysroot(sysroot_, relative, max_bytes);
  }

 private:
  static std::string Key(const std::string& device, const std::string& extra_data) {
    return extra_data.empty() ? device : device + " " + extra_data;
  }
  static bool IsInside(const std::filesystem::path& path, const std::filesystem::path& dir) {
    const std::string p = path.string();
    return p == dir.string() || p.starts_with(dir.string() + "/");
  }
  std::string Shown(const std::filesystem::path& real) const {
    return real == sysroot_real_ ? "/" : real.string().substr(sysroot_real_.string().size());
  }

  const std::filesystem::path scratch_;
  const std::string sysroot_;
  const std::filesystem::path sysroot_real_;
  std::map<std::string, std::string> sources_;
};

}  // namespace diskferry::daemon::testing

#endif  // DISKFERRY_TESTS_DAEMON_OS_FAKE_MOUNT_OPS_H_
