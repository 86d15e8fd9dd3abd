#include "daemon/init.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>

#include "daemon/after_restore.h"
#include "daemon/boot_options.h"
#include "daemon/control_port.h"
#include "daemon/daemon_context.h"
#include "daemon/log.h"
#include "daemon/modules.h"
#include "daemon/serve.h"
#include "daemon/shm.h"
#include "protocol/source_file.h"
#include "daemon/sys_files.h"
#include "protocol/launch_secret.h"

namespace diskferry::daemon {
namespace {

constexpr auto kPortTimeout = std::chrono::seconds(10);
// The host connects before the guest boots and sends Hello at once; this only bounds a
// host that died during boot.
constexpr auto kHostTimeout = std::chrono::seconds(60);
constexpr auto kHeartbeatInterval = std::chrono::seconds(1);

[[noreturn]] void PowerOff() {
  ::sync();
  // Peel every mount at the sysroot; whatever refuses (EBUSY) is detached instead.
  int unmounted = 0;
  while (unmounted < 8 && ::umount2(kVmSysroot, 0) == 0) ++unmounted;
  ::umount2(kVmSysroot, MNT_DETACH);
  ::sync();
  ::reboot(RB_POWER_OFF);
  // Still here: reboot(2) failed. Exiting would panic the kernel, so wait for the host
  // to kill QEMU instead.
  for (;;) ::pause();
}

[[noreturn]] void Fatal(const std::string& message) {
  LogInfo("FATAL: %s", message.c_str());
  PowerOff();
}

// Async-signal-safe: a crash in PID 1 powers off instead of panicking the kernel.
void OnFatalSignal(int sig) {
  static const char kMessage[] = "diskferry-daemon: FATAL: crashed (signal ";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  const char digits[] = {static_cast<char>('0' + sig / 10), static_cast<char>('0' + sig % 10),
                         ')', '\n'};
  n = ::write(STDERR_FILENO, digits, sizeof digits);
  ::sync();
  ::reboot(RB_POWER_OFF);
  for (;;) ::pause();
}

void InstallFatalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnFatalSignal;
  for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  std::set_terminate([] { Fatal("uncaught exception"); });
}

void MountOrDie(const char* source, const char* target, const char* fstype) {
  ::mkdir(target, 0755);
  // EBUSY: already mounted (a kernel with CONFIG_DEVTMPFS_MOUNT, or a re-exec).
  if (::mount(source, target, fstype, MS_NOSUID | MS_NOEXEC, nullptr) != 0 && errno != EBUSY) {
    Fatal(std::string("mount ") + fstype + " on " + target + ": " + std::strerror(errno));
  }
}

// The kernel opens /dev/console for init only if the initramfs holds that node; without
// it fds 0-2 are closed, and the first open() would land on fd 0.
void EnsureConsole() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) continue;
    const int console = ::open("/dev/console", O_RDWR | O_NOCTTY);
    if (console < 0) return;
    if (console != fd) {
      ::dup2(console, fd);
      ::close(console);
    }
  }
}

// devtmpfs first, so that the console exists before anything can fail.
void SetUpFilesystems() {
  ::mkdir("/dev", 0755);
  const bool dev_ok =
      ::mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") == 0 || errno == EBUSY;
  const int dev_errno = errno;
  EnsureConsole();
  if (!dev_ok) Fatal(std::string("mount devtmpfs on /dev: ") + std::strerror(dev_errno));
  MountOrDie("proc", "/proc", "proc");
  MountOrDie("sysfs", "/sys", "sysfs");
  ::mkdir(kVmSysroot, 0755);
  ::mkdir("/tmp", 01777);
}

// A missing list file is a warning: a kernel with everything built in needs none.
std::string ReadListFile(const char* path) {
  OpResult<std::string> text = ReadSmallFile(path);
  if (!text.ok()) {
    LogWarning("%s; loading no modules from it", text.error().message.c_str());
    return {};
  }
  return std::move(text).value();
}

FsModuleTable LoadBootModules() {
  std::vector<std::string> warnings;
  const std::vector<std::string> boot = ParseBootModules(ReadListFile(kBootModulesFile), &warnings);
  FsModuleTable fs = ParseFsModules(ReadListFile(kFsModulesFile), &warnings);
  for (const std::string& w : warnings) LogWarning("%s", w.c_str());
  const int failed = LoadModules(boot);
  LogDebug("loaded %zu boot modules (%d failed) at %llu ms", boot.size() - failed, failed,
           static_cast<unsigned long long>(UptimeMs()));
  return fs;
}

// No ivshmem device is fine: the host then uses the socket lane.
std::optional<ShmRegion> MapSharedMemory() {
  const std::optional<std::string> bar = FindIvshmemBar(kPciDevicesDir);
  if (!bar) {
    LogDebug("no ivshmem device");
    return std::nullopt;
  }
  // Memory decoding is the firmware's job at boot; after a rescan nobody has done it.
  const std::string device_dir = bar->substr(0, bar->rfind('/'));
  if (OpResult<bool> on = EnablePciDevice(device_dir); !on.ok()) {
    LogWarning("shared memory: %s", on.error().message.c_str());
  }
  OpResult<ShmRegion> region = ShmRegion::Map(*bar);
  if (!region.ok()) {
    LogWarning("shared memory: %s", region.error().message.c_str());
    return std::nullopt;
  }
  LogDebug("shared memory: %llu bytes at %s",
           static_cast<unsigned long long>(region->size()), bar->c_str());
  return std::move(region).value();
}

DaemonContext MakeVmContext(FsModuleTable fs_modules, uint64_t started_ms) {
  DaemonContext ctx;
  ctx.sysroot = kVmSysroot;
  ctx.in_vm = true;
  ctx.started_ms = started_ms;
  ctx.kernel_release = KernelRelease();
  OpResult<std::string> proc = ReadSmallFile("/proc/filesystems");
  if (!proc.ok()) LogWarning("%s", proc.error().message.c_str());
  ctx.filesystems = MergeFilesystems(proc.ok() ? proc.value() : std::string(), fs_modules);
  ctx.fs_modules = std::move(fs_modules);
  ctx.sys_block_dir = "/sys/block";
  ctx.dev_dir = "/dev";
  ctx.launch_secret_path = kLaunchSecretSysfsPath;
  ctx.pci_rescan_file = kPciRescanFile;
  ctx.random_device = "/dev/urandom";
  return ctx;
}

}  // namespace

void RunAsInit() {
  InstallFatalHandlers();
  const uint64_t started_ms = UptimeMs();
  SetUpFilesystems();
  OpResult<std::string> cmdline = ReadSmallFile("/proc/cmdline");
  const BootOptions options = ParseKernelCmdline(cmdline.ok() ? cmdline.value() : "");
  SetDebugLogging(options.debug);
  LogDebug("started at %llu ms", static_cast<unsigned long long>(started_ms));

  FsModuleTable fs_modules = LoadBootModules();
  DropSourcePagesAfterReading();
  Result<int> port = OpenControlPort(options.port_name, kPortTimeout);
  if (!port.ok()) Fatal(port.status().message());
  std::optional<ShmRegion> shm;
  std::unique_ptr<Heartbeat> heartbeat;
  DaemonContext ctx = MakeVmContext(std::move(fs_modules), started_ms);
  // At boot, and again after a restore from a template, which was saved without the
  // ivshmem device: the restored guest finds its launch's region by rescanning.
  auto attach_shm = [&shm, &heartbeat, &ctx] {
    if (shm) return;
    shm = MapSharedMemory();
    if (!shm) return;
    AttachShm(&*shm, &ctx);
    heartbeat = std::make_unique<Heartbeat>(shm->header(), kHeartbeatInterval);
  };
  attach_shm();
  ctx.attach_restored_devices = attach_shm;

  if (Status host = WaitForHost(*port, kHostTimeout); !host.ok()) Fatal(host.message());
  LogDebug("serving on %s at %llu ms", options.port_name.c_str(),
           static_cast<unsigned long long>(UptimeMs()));
  Result<ServeEnd> end = Serve(*port, ctx);
  if (!end.ok()) Fatal("control channel: " + end.status().message());
  LogDebug(*end == ServeEnd::kShutdown ? "shutdown requested" : "host closed the channel");
  heartbeat.reset();
  PowerOff();
}

}  // namespace diskferry::daemon
