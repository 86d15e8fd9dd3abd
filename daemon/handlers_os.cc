#include "daemon/handlers_os.h"

#include <cerrno>
#include <utility>

#include "daemon/log.h"

namespace diskferry::daemon {

OpResult<bool> OsTreeSlot::Release(std::string_view what, const std::string& sysroot,
                                   OsMountOps& ops) {
  if (!tree_) return true;
  LogDebug("unmounting the OS tree of %s", tree_->root_device.c_str());
  const OsTreeData tree = std::move(*tree_);
  tree_.reset();
  OpResult<bool> unmounted = UnmountOsTree(tree, sysroot, ops);
  if (!unmounted.ok()) {
    return OpError{unmounted.error().err,
                   std::string(what) + ": OS tree: " + unmounted.error().message};
  }
  return true;
}

OpResult<OsTreeData> OsTreeSlot::Mount(const MountOsParams& params, const MountOsEnv& env,
                                       OsMountOps& ops) {
  if (env.transfer_active) {
    return OpError{EBUSY, "mount-os: a transfer is active (end it first)"};
  }
  if (OpResult<bool> released = Release("mount-os", env.sysroot, ops); !released.ok()) {
    return released.error();
  }
  if (env.unmount_single) {
    if (OpResult<bool> unmounted = env.unmount_single(); !unmounted.ok()) {
      return unmounted.error();
    }
  }
  OsTreeRequest request;
  request.sysroot = env.sysroot;
  request.devices = env.devices;
  request.mountable_types = env.mountable_types;
  request.read_write = params.read_write;
  request.root_device = params.root;
  OpResult<OsTreeData> tree = MountOsTree(request, ops);
  if (!tree.ok()) return tree.error();
  for (SkippedMount& skipped : tree->skipped) {
    // The reply's reason stands alone on the host: a missing device names its spec.
    if (skipped.kind == SkipKind::kNotFound && !skipped.reason.starts_with(skipped.spec)) {
      skipped.reason = skipped.spec + ": " + skipped.reason;
    }
  }
  tree_ = tree.value();
  return tree;
}

std::string_view SkipKindWord(SkipKind kind) {
  switch (kind) {
    case SkipKind::kNotFound:
      return "missing";
    case SkipKind::kNotMountable:
      return "unsupported";
    default:
      return SkipKindName(kind);
  }
}

}  // namespace diskferry::daemon
