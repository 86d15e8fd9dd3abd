#include "appliance/initramfs_layout.h"

namespace diskferry {

const std::vector<std::string>& BusyboxLinks() {
  // The kernel runs /sbin/modprobe (CONFIG_MODPROBE_PATH) for request_module, e.g. when
  // a mount asks for "fs-xfs"; the rest are for a human debugging with rdinit=/bin/sh.
  static const std::vector<std::string> kLinks = {
      "/bin/sh",    "/bin/mount",     "/bin/umount",  "/bin/ls",     "/bin/cat",
      "/bin/dmesg", "/sbin/modprobe", "/sbin/insmod", "/sbin/lsmod",
  };
  return kLinks;
}

namespace {

void AddSkeleton(const std::string& daemon, const std::string& busybox, InitramfsSpec* spec) {
  for (const char* dir : {"/dev", "/proc", "/sys", "/sysroot", "/etc", "/etc/diskferry"}) {
    spec->AddDirectory(dir);
  }
  spec->AddDirectory("/tmp", 01777);
  // Without /dev/console the kernel starts /init with no stdin/stdout/stderr
  // ("Warning: unable to open an initial console"); devtmpfs is not mounted yet.
  spec->AddCharDevice("/dev/console", 0600, 5, 1);
  spec->AddFile("/init", daemon, 0755);
  spec->AddFile("/bin/busybox", busybox, 0755);
  for (const std::string& link : BusyboxLinks()) spec->AddSymlink(link, "/bin/busybox");
}

void AddModules(const HostKernel& kernel, const ModuleIndex& index, const ModulePlan& plan,
                InitramfsSpec* spec) {
  std::string dir = "/lib/modules/" + kernel.release;
  spec->AddDirectory(dir);
  std::set<std::string> shipped = plan.AllPaths();
  for (const std::string& path : shipped) {
    std::string source = kernel.modules_dir + "/" + path;
    std::string guest = GuestModulePath(kernel.release, path);
    if (IsCompressedModulePath(path)) {
      spec->AddDecompressedFile(guest, source, 0644);
    } else {
      spec->AddFile(guest, source, 0644);
    }
  }
  // busybox modprobe (the kernel's request_module helper) reads these.
  spec->AddData(dir + "/modules.dep", index.RenderDep(shipped));
  spec->AddData(dir + "/modules.alias", index.RenderAlias(shipped));
  spec->AddData(dir + "/modules.softdep", index.RenderSoftdep(shipped));
  spec->AddData(dir + "/modules.builtin", index.RenderBuiltin());
}

}  // namespace

InitramfsSpec LayoutInitramfs(const HostKernel& kernel, const ModuleIndex& index,
                              const ModulePlan& plan, const std::string& daemon,
                              const std::string& busybox) {
  InitramfsSpec spec;
  AddSkeleton(daemon, busybox, &spec);
  AddModules(kernel, index, plan, &spec);
  spec.AddData("/etc/diskferry/modules.boot", RenderModulesBoot(plan, kernel.release));
  spec.AddData("/etc/diskferry/modules.fs", RenderModulesFs(plan, kernel.release));
  spec.AddData("/etc/diskferry/modules.storage", RenderModulesStorage(plan, kernel.release));
  return spec;
}

InitramfsSpec LayoutStorageArchive(const StorageToolsPlan& tools) {
  InitramfsSpec spec;
  if (tools.present.empty()) return spec;
  for (const StorageToolFile& file : tools.files) spec.AddFile(file.guest, file.source, 0755);
  for (const StorageToolLink& link : tools.links) spec.AddSymlink(link.guest, link.target);
  // cryptsetup warns and runs without its lock directory; lvm and mdadm create theirs,
  // but a directory in the archive costs nothing.
  for (const char* dir : {"/run", "/run/lock", "/run/lvm", "/run/cryptsetup", "/run/mdadm"}) {
    spec.AddDirectory(dir);
  }
  if (tools.Has("lvm")) spec.AddData("/etc/lvm/lvm.conf", RenderLvmConf(tools));
  if (tools.Has("mdadm")) spec.AddData("/etc/mdadm/mdadm.conf", RenderMdadmConf());
  // ntfs-3g reads the mount table from /etc/mtab and updates it unless it is a link.
  if (tools.Has("ntfs-3g")) spec.AddSymlink("/etc/mtab", "/proc/self/mounts");
  return spec;
}

}  // namespace diskferry
