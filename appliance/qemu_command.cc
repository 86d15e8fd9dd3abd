#include "appliance/qemu_command.h"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "host/host_path.h"
#include "protocol/storage_disk.h"

namespace diskferry {

// Kernel flags, measured under TCG on the 2-core CI machine class (QEMU 7.2, -machine pc,
// 512 MiB, one virtio-blk drive, 256 MiB ivshmem, the real appliance and daemon; medians
// of 9-15 launches interleaved round-robin, "launch" = spawn to Hello reply, "guest" =
// the daemon's uptime at hello). Kept:
//   quiet              every printk line costs an emulated 8250 UART write
//   panic=-1           a panic reboots at once; -no-reboot turns that into QEMU exiting
//   cryptomgr.notests  skips the crypto self-tests (~0.36 s of initcalls under TCG):
//                      launch 2674 -> 2279 ms, guest 1975 -> 1699 ms (11 rounds);
//                      2829 -> 2624 ms, 2106 -> 1828 ms (15 rounds, busier host)
//   no_timer_check     kept for robustness, not speed: on a loaded host the kernel's
//                      check that the timer interrupt reaches the IO-APIC can miss its
//                      window under TCG, and the guest panics ("IO-APIC + timer doesn't
//                      work"); seen in CI with four builds beside it. libguestfs's
//                      appliance passes it too.
// Measured and dropped (no win beyond the +-100 ms noise, or harmful):
//   8250.nr_uarts=1, tsc=reliable (each within +-40 ms on top of cryptomgr.notests);
//   mitigations=off, noapictimer, noapic, rcupdate.rcu_expedited=1,
//   i8042.noaux/nomux/nopnp/dumbkbd (none better than base);
//   lpj=: the kernel already skips the delay-loop calibration under QEMU;
//   edd=off: EDD is a module here, never loaded;
//   acpi=off: no ACPI power-off, so the guest cannot end QEMU on Shutdown;
//   pci=noacpi / acpi=noirq: 500 ms faster on pc (the PIIX ACPI PCI-link AML costs
//   ~0.35 s), but this kernel lacks MPS support: MSI setup WARNs and I/O BARs fail.
const char kDefaultKernelCmdline[] =
    "console=ttyS0 quiet panic=-1 cryptomgr.notests no_timer_check "
    "diskferry.port=org.diskferry.ctl.0";

namespace {

// Plain "tcg" (multi-threaded TCG, QEMU's default for x86 on x86): thread=single was
// slower in both runs (launch 3892 vs 3431 ms; busybox boot 2757 vs 2478 ms wall), and
// -cpu max slower still (4340 ms).
constexpr char kTcgAccelArg[] = "tcg";
// WHPX with kernel-irqchip=off: QEMU emulates the APIC and IOAPIC instead of the
// hypervisor. With WHPX's own irqchip, QEMU for Windows (6.0 onwards) loses MSIs on some
// hosts ("whpx: injection failed, MSI ... lost (c0350005)", QEMU gitlab issue
// #346) and the guest hangs at boot; our virtio devices use MSI. Not measured here: no
// Windows machine with WHPX in CI.
constexpr char kWhpxAccelArg[] = "whpx,kernel-irqchip=off";

bool IsShellSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
}

}  // namespace

std::string EscapeOptionValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

std::string ShellQuote(std::string_view word) {
  bool safe = !word.empty();
  for (const char c : word) safe = safe && IsShellSafe(c);
  if (safe) return std::string(word);
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

QemuCommand::QemuCommand() : cmdline_(kDefaultKernelCmdline) {}

QemuCommand& QemuCommand::Binary(std::string path) {
  binary_ = std::move(path);
  return *this;
}

QemuCommand& QemuCommand::Machine(std::string type) {
  machine_ = std::move(type);
  return *this;
}

QemuCommand& QemuCommand::Accel(Accelerator accel) {
  accel_ = accel;
  return *this;
}

QemuCommand& QemuCommand::Memory(uint32_t mib) {
  memory_mib_ = mib;
  return *this;
}

QemuCommand& QemuCommand::Cpus(uint32_t count) {
  cpus_ = count;
  return *this;
}

QemuCommand& QemuCommand::Kernel(std::string path) {
  kernel_ = std::move(path);
  return *this;
}

QemuCommand& QemuCommand::Initrd(std::string path) {
  initrd_ = std::move(path);
  return *this;
}

QemuCommand& QemuCommand::StorageDisk(std::string path) {
  storage_disk_ = std::move(path);
  return *this;
}

QemuCommand& QemuCommand::Append(std::string cmdline) {
  cmdline_ = std::move(cmdline);
  return *this;
}

QemuCommand& QemuCommand::NoDefaults(bool enabled) {
  no_defaults_ = enabled;
  return *this;
}

QemuCommand& QemuCommand::ConsoleLog(std::string path) {
  console_log_ = std::move(path);
  return *this;
}

QemuCommand& QemuCommand::AddDrive(QemuDrive drive) {
  drives_.push_back(std::move(drive));
  return *this;
}

QemuCommand& QemuCommand::SerialPort(std::string socket_path, std::string port_name) {
  socket_path_ = std::move(socket_path);
  tcp_port_ = 0;
  port_name_ = std::move(port_name);
  return *this;
}

QemuCommand& QemuCommand::SerialPortTcp(int port, std::string port_name) {
  socket_path_.clear();
  tcp_port_ = port;
  port_name_ = std::move(port_name);
  return *this;
}

QemuCommand& QemuCommand::FirmwareFile(std::string name, std::string path) {
  firmware_files_.emplace_back(std::move(name), std::move(path));
  return *this;
}

QemuCommand& QemuCommand::SharedMemory(std::string path, uint64_t size) {
  shm_path_ = std::move(path);
  shm_size_ = size;
  return *this;
}

QemuCommand& QemuCommand::RamFile(std::string path, bool shared) {
  ram_path_ = std::move(path);
  ram_shared_ = shared;
  return *this;
}

QemuCommand& QemuCommand::IncomingDeferred() {
  incoming_deferred_ = true;
  return *this;
}

QemuCommand& QemuCommand::QmpSocket(std::string path) {
  qmp_socket_ = std::move(path);
  return *this;
}

namespace {

std::string PciAddr(int slot) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", slot);
  return std::string(",addr=") + text;
}

}  // namespace

void QemuCommand::AppendMachineArgs(std::vector<std::string>* argv) const {
  std::string machine = EscapeOptionValue(machine_);
  if (!ram_path_.empty()) machine += ",memory-backend=ram";
  argv->insert(argv->end(), {"-machine", machine, "-accel"});
  switch (accel_) {
    case Accelerator::kKvm:
      argv->insert(argv->end(), {"kvm", "-cpu", "host"});
      break;
    case Accelerator::kWhpx:
      argv->push_back(kWhpxAccelArg);
      break;
    case Accelerator::kTcg:
      argv->push_back(kTcgAccelArg);
      break;
  }
  argv->insert(argv->end(), {"-m", std::to_string(memory_mib_), "-smp", std::to_string(cpus_)});
  if (!ram_path_.empty()) {
    argv->insert(argv->end(),
                 {"-object", "memory-backend-file,id=ram,size=" + std::to_string(memory_mib_) +
                                 "M,mem-path=" + EscapeOptionValue(ram_path_) +
                                 ",share=" + (ram_shared_ ? "on" : "off")});
  }
  if (no_defaults_) {
    argv->insert(argv->end(), {"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"});
  }
  if (!console_log_.empty()) {
    argv->insert(argv->end(),
                 {"-chardev", "file,id=console,path=" + EscapeOptionValue(console_log_), "-serial",
                  "chardev:console"});
  }
  if (!kernel_.empty()) argv->insert(argv->end(), {"-kernel", kernel_});
  if (!initrd_.empty()) argv->insert(argv->end(), {"-initrd", initrd_});
  if (!cmdline_.empty()) argv->insert(argv->end(), {"-append", cmdline_});
  if (!qmp_socket_.empty()) {
    argv->insert(argv->end(),
                 {"-qmp", "unix:" + EscapeOptionValue(qmp_socket_) + ",server=on,wait=off"});
  }
  if (incoming_deferred_) argv->insert(argv->end(), {"-incoming", "defer"});
}

namespace {

// Format drivers with a backing file (QAPI's BlockdevOptionsGenericCOWFormat): the only
// ones that take `backing=`.
bool HasBackingOption(std::string_view format) {
  return format == "qcow2" || format == "qed" || format == "vmdk" || format == "qcow";
}

// QEMU's protocol driver for a layer: `file` refuses anything but a regular file
// ("'file' driver requires '/dev/loop0' to be a regular file"), so a block device gets
// `host_device`, which opens it by name the same way.
const char* ProtocolDriverFor(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  std::error_code ec;
  return fs_path.ok() && std::filesystem::is_block_file(*fs_path, ec) ? "host_device" : "file";
}

// One layer: a file node, then the format node over it. `backing` names the node below
// (or "null"); "" for a format without backing files. The file node is opened by name
// with driver=file (host_device for a block device), so its path is never parsed as a
// protocol; a layer served over NBD (ImageLayer::nbd_socket) gets a read-only nbd node on
// that unix socket instead. Cache: the -blockdev defaults (cache.direct=off, flushes
// honoured) with the device's write cache on: what
// cache=writeback means. cache=none would need O_DIRECT, which tmpfs (a common home for
// test images) refuses.
void AppendLayer(std::vector<std::string>* argv, const std::string& node, const ImageLayer& layer,
                 bool read_only, const std::string& backing) {
  const std::string ro = read_only ? "on" : "off";
  if (!layer.nbd_socket.empty()) {
    // An E01 image's medium, served read-only by nbdkit (ewf.h): QEMU connects to the
    // socket and never opens the image's files.
    argv->insert(argv->end(),
                 {"-blockdev", "driver=nbd,node-name=" + node + "f,server.type=unix,server.path=" +
                                   EscapeOptionValue(layer.nbd_socket) + ",read-only=on"});
  } else {
    argv->insert(argv->end(), {"-blockdev", std::string("driver=") + ProtocolDriverFor(layer.path) +
                                                ",node-name=" + node + "f,filename=" +
                                                EscapeOptionValue(layer.path) + ",read-only=" + ro});
  }
  std::string format = "driver=" + EscapeOptionValue(layer.format) + ",node-name=" + node +
                       ",file=" + node + "f,read-only=" + ro;
  if (HasBackingOption(layer.format)) {
    if (!backing.empty()) {
      format += ",backing=" + backing;
    } else {
      // No backing file: only QEMU's JSON syntax can say so. In key=value syntax
      // `backing=null` names a node called "null" and the image does not open. The values
      // are ours: node names, and a format name checked to be [a-z0-9]+ (appliance.cc).
      format = "{\"driver\":\"" + layer.format + "\",\"node-name\":\"" + node + "\",\"file\":\"" +
               node + "f\",\"read-only\":" + (read_only ? "true" : "false") + ",\"backing\":null}";
    }
  }
  argv->insert(argv->end(), {"-blockdev", format});
}

}  // namespace

void QemuCommand::AppendDeviceArgs(std::vector<std::string>* argv) const {
  for (size_t i = 0; i < drives_.size(); ++i) {
    const QemuDrive& d = drives_[i];
    const std::string id = "d" + std::to_string(i);
    // Deepest first: a node must exist before the layer above names it.
    std::string below;
    for (size_t k = d.backing.size(); k-- > 0;) {
      const std::string node = id + "b" + std::to_string(k);
      AppendLayer(argv, node, d.backing[k], /*read_only=*/true, below);
      below = node;
    }
    AppendLayer(argv, id, ImageLayer{d.path, d.format, d.nbd_socket}, d.read_only, below);
    argv->insert(argv->end(), {"-device", "virtio-blk-pci,drive=" + id +
                                              PciAddr(kFirstDriveSlot + static_cast<int>(i))});
  }
  if (!storage_disk_.empty()) {
    AppendLayer(argv, "tools", ImageLayer{storage_disk_, "raw"}, /*read_only=*/true, "");
    argv->insert(
        argv->end(),
        {"-device", "virtio-blk-pci,drive=tools,serial=" + std::string(kStorageDiskSerial) +
                        PciAddr(kFirstDriveSlot + static_cast<int>(drives_.size()))});
  }
  std::string ctl_chardev;
  if (!socket_path_.empty()) {
    ctl_chardev = "socket,id=ctl,path=" + EscapeOptionValue(socket_path_) + ",server=off";
  } else if (tcp_port_ != 0) {
    ctl_chardev = "socket,id=ctl,host=127.0.0.1,port=" + std::to_string(tcp_port_) + ",server=off";
  }
  if (!ctl_chardev.empty()) {
    argv->insert(argv->end(), {"-chardev", ctl_chardev, "-device",
                               "virtio-serial-pci" + PciAddr(kControlPortSlot), "-device",
                               "virtserialport,chardev=ctl,name=" + EscapeOptionValue(port_name_)});
  }
  if (!shm_path_.empty()) {
    argv->insert(argv->end(), {"-object",
                               "memory-backend-file,id=shm,size=" + std::to_string(shm_size_) +
                                   ",share=on,mem-path=" + EscapeOptionValue(shm_path_),
                               "-device", "ivshmem-plain,memdev=shm" + PciAddr(kShmSlot)});
  }
  for (const auto& [name, path] : firmware_files_) {
    argv->insert(argv->end(), {"-fw_cfg", "name=" + EscapeOptionValue(name) +
                                              ",file=" + EscapeOptionValue(path)});
  }
}

std::vector<std::string> QemuCommand::Argv() const {
  std::vector<std::string> argv = {binary_};
  AppendMachineArgs(&argv);
  AppendDeviceArgs(&argv);
  return argv;
}

std::string QemuCommand::ShellCommand() const {
  std::string out;
  for (const std::string& arg : Argv()) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(arg);
  }
  return out;
}

}  // namespace diskferry
