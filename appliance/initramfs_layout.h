// Initramfs layout: what the appliance's initramfs holds, as an InitramfsSpec.
//
//   /init                          the diskferry daemon (static)
//   /bin/busybox + applet links    /bin/sh, /sbin/modprobe (the kernel's request_module
//                                  helper), /bin/mount, /bin/ls, /bin/cat, ... for debugging
//   /dev/console                   so /init starts with stdio on the console
//   /dev /proc /sys /sysroot /tmp  mount points
//   /lib/modules/RELEASE/...       the planned modules at their original relative paths,
//                                  decompressed (names end in .ko), with modules.dep,
//                                  modules.alias, modules.softdep and modules.builtin
//                                  limited to what is shipped
//   /etc/diskferry/modules.boot    RenderModulesBoot: loaded by the daemon at boot
//   /etc/diskferry/modules.fs      RenderModulesFs: loaded before the first mount of a type
//   /etc/diskferry/modules.storage RenderModulesStorage: loaded before a storage tool runs
//
// The storage disk's archive (protocol/storage_disk.h), unpacked over the same root by
// the daemon when a disk first needs a tool:
//   /usr/sbin/lvm, cryptsetup, ... the host's storage tools that are present (storage_tools.h)
//   /lib64/ld-linux-x86-64.so.2,   their dynamic loader and shared libraries, at the paths
//   /lib/x86_64-linux-gnu/...      the host's loader found them (the guest's loader has no
//                                  ld.so.cache and searches the same system directories)
//   /etc/lvm/lvm.conf              RenderLvmConf, when lvm is packed
//   /etc/mdadm/mdadm.conf          RenderMdadmConf, when mdadm is packed
//   /etc/mtab -> /proc/self/mounts when ntfs-3g is packed
//   /run, /run/lock, /run/lvm,     where the tools keep locks and state
//   /run/cryptsetup, /run/mdadm
// About 23 MiB with the tools of a Debian 12 host: unpacking that at every boot cost
// about 0.26 s under TCG (benchmarks/README.md), a disk that is not read costs nothing.
//
// Pure: reads no files (the writer does). Thread-safe.
#ifndef DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_
#define DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_

#include <string>
#include <vector>

#include "appliance/initramfs_writer.h"
#include "appliance/kernel_locator.h"
#include "appliance/module_index.h"
#include "appliance/module_plan.h"
#include "appliance/storage_tools.h"

namespace diskferry {

// Busybox applets linked into /bin or /sbin.
const std::vector<std::string>& BusyboxLinks();

InitramfsSpec LayoutInitramfs(const HostKernel& kernel, const ModuleIndex& index,
                              const ModulePlan& plan, const std::string& daemon,
                              const std::string& busybox);

// The storage disk's archive; empty when no tool is present.
InitramfsSpec LayoutStorageArchive(const StorageToolsPlan& tools);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_
