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
// Pure: reads no files (the writer does). Thread-safe.
#ifndef DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_
#define DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_

#include <string>
#include <vector>

#include "appliance/initramfs_writer.h"
#include "appliance/kernel_locator.h"
#include "appliance/module_index.h"
#include "appliance/module_plan.h"

namespace diskferry {

// Busybox applets linked into /bin or /sbin.
const std::vector<std::string>& BusyboxLinks();

InitramfsSpec LayoutInitramfs(const HostKernel& kernel, const ModuleIndex& index,
                              const ModulePlan& plan, const std::string& daemon,
                              const std::string& busybox);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_INITRAMFS_LAYOUT_H_
