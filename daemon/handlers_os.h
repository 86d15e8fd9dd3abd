// The MountOs request: a whole-OS tree at the sysroot (os_tree.h), and the record of it
// that Mount, Umount, MountOs and Shutdown use to unmount it first.
//
// One filesystem (Mount) or one tree (MountOs) is mounted at the sysroot at a time:
// MountOs unmounts what Mount mounted before it looks for a root, and Mount, Umount and
// MountOs unmount a tree (OsTreeSlot::Release) before they go on. Nothing changes while a
// transfer is in progress: its descriptors hold the filesystems open.
//
// Owned by the Dispatcher; called from the serving thread only (thread-compatible).
#ifndef DISKFERRY_DAEMON_HANDLERS_OS_H_
#define DISKFERRY_DAEMON_HANDLERS_OS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/os_mount_plan.h"
#include "daemon/os_tree.h"

namespace diskferry::daemon {

struct MountOsParams {
  bool read_write = false;
  bool replay = false;  // read-only mounts may let the kernel replay a journal (mounter.h)
  std::string root;     // a device path or fstab spec; empty: ChooseRoot
};

// What the request needs from the session besides the tree.
struct MountOsEnv {
  std::string sysroot;
  bool transfer_active = false;
  // Unmounts whatever Mount mounted at the sysroot (Mounter::Unmount); nothing mounted is
  // fine.
  std::function<OpResult<bool>()> unmount_single;
  // CollectDeviceFacts over the listing: the LVs, md arrays and opened LUKS devices that
  // ListFilesystems{activate} brought up are among them.
  std::vector<DeviceFacts> devices;
  std::vector<std::string> mountable_types;  // DaemonContext::filesystems
};

// The tree mounted at the sysroot, if any.
class OsTreeSlot {
 public:
  bool holds_tree() const { return tree_.has_value(); }
  const OsTreeData* tree() const { return tree_ ? &*tree_ : nullptr; }

  // Unmounts the tree (children first, UnmountOsTree) when one is mounted, and forgets
  // it: every mount was tried, so a retry could only fail on those already gone. Returns
  // UnmountOsTree's first error (EBUSY) prefixed with `what` ("mount").
  OpResult<bool> Release(std::string_view what, const std::string& sysroot, OsMountOps& ops);

  // MountOs: EBUSY while a transfer is active; then unmounts a tree and what Mount
  // mounted, and mounts the tree MountOsTree finds over `env.devices` with `ops` (whose
  // mounts already carry params.replay). A skipped line naming no device here has a reason
  // that names its spec ("UUID=1234: no such device"). Errors are MountOsTree's (ENOENT: no root) or
  // an unmount's; nothing is left recorded after one.
  OpResult<OsTreeData> Mount(const MountOsParams& params, const MountOsEnv& env, OsMountOps& ops);

 private:
  std::optional<OsTreeData> tree_;
};

// The word MountOsReply.skipped[].kind carries for a SkipKind: "missing" for a spec that
// names no device here, "unsupported" for a device the appliance cannot mount, the
// SkipKindName otherwise ("swap", "noauto", "mount failed").
std::string_view SkipKindWord(SkipKind kind);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_OS_H_
