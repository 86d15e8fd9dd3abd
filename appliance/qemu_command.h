// QemuCommand: the one typed builder for QEMU command lines (docs/style.md, "Protocol and shared
// memory"). Nothing else in diskferry pastes QEMU options together.
//
// Setters record values; Argv() renders them in a fixed order, so equal builders give
// equal vectors (tests compare exact vectors). Values placed inside QEMU's key=value
// option syntax go through EscapeOptionValue(), so a path containing ',' cannot inject
// options. Setters do no I/O and never fail: callers validate paths and sizes first.
//
// Thread-compatible: a plain value.
#ifndef DISKFERRY_APPLIANCE_QEMU_COMMAND_H_
#define DISKFERRY_APPLIANCE_QEMU_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/accelerator.h"
#include "appliance/image_layers.h"

namespace diskferry {

inline constexpr char kDefaultQemuBinary[] = "qemu-system-x86_64";
// q35. A bare busybox boot favoured "pc" (guest uptime 1.39 s vs 1.61 s for q35).
// Re-measured with today's appliance (drive + ivshmem + virtio-serial, cryptomgr.notests,
// 11-15 interleaved rounds), q35 is the faster one: launch 2141-2309 ms vs 2624-2656 ms,
// guest 1543-1549 ms vs 1828-1851 ms, because PIIX's ACPI PCI interrupt links
// (LNKB/LNKC) take ~0.35 s of AML under TCG. ApplianceConfig::machine switches it.
inline constexpr char kDefaultMachine[] = "q35";
inline constexpr char kControlPortName[] = "org.diskferry.ctl.0";
// The kernel command line; see qemu_command.cc for the flags measured and why each stays.
extern const char kDefaultKernelCmdline[];

// ',' -> ",,": QEMU's escape inside a comma-separated option list.
std::string EscapeOptionValue(std::string_view value);
// A POSIX shell word that expands to exactly `word`.
std::string ShellQuote(std::string_view word);

// Every PCI device has a fixed slot, whatever else is attached: the control port's
// virtio-serial at kControlPortSlot, ivshmem at kShmSlot, the N-th drive at
// kFirstDriveSlot + N and the storage disk after the drives. A template (no drives) and an
// appliance restored from it then agree on every device they share, and the drives a
// restored guest finds by rescanning its bus take the order a cold boot gives them.
inline constexpr int kControlPortSlot = 0x02;
inline constexpr int kShmSlot = 0x03;
inline constexpr int kFirstDriveSlot = 0x04;
// Slots up to 0x1e are free on q35 (0x1f is the ICH9 bridge): room for this many drives
// and the storage disk.
inline constexpr size_t kMaxDrives = 24;

struct QemuDrive {
  std::string path;
  std::string format = "raw";  // a QEMU format driver: raw, qcow2, vmdk, ...
  bool read_only = true;
  // The backing files, nearest first (always read-only). QEMU opens exactly these, and
  // a format that can have one gets `"backing": null` (JSON syntax) when this is empty: never the
  // file an image's header names (image_inspect.h).
  std::vector<ImageLayer> backing;
  // Non-empty: the drive's bytes come from the NBD server on this unix socket
  // (ImageLayer::nbd_socket), under a `format` node; `path` is not opened.
  std::string nbd_socket = {};
};

class QemuCommand {
 public:
  QemuCommand();

  QemuCommand& Binary(std::string path);
  QemuCommand& Machine(std::string type);
  // KVM adds `-cpu host`; TCG uses the measured-best TCG options; WHPX runs with the
  // irqchip emulated by QEMU (kernel-irqchip=off, see qemu_command.cc).
  QemuCommand& Accel(Accelerator accel);
  QemuCommand& Memory(uint32_t mib);
  QemuCommand& Cpus(uint32_t count);
  QemuCommand& Kernel(std::string path);
  QemuCommand& Initrd(std::string path);
  // Replaces the whole kernel command line (default kDefaultKernelCmdline).
  QemuCommand& Append(std::string cmdline);
  // -nodefaults -no-user-config -display none -no-reboot: no NIC, VGA, monitor, or
  // implicit serial; a guest reboot or panic (panic=-1) makes QEMU exit.
  QemuCommand& NoDefaults(bool enabled = true);
  // The guest's ttyS0 goes to this file (-chardev file + -serial chardev:).
  QemuCommand& ConsoleLog(std::string path);
  // Drives become virtio-blk devices in the order added: /dev/vda, /dev/vdb, ...
  // Each is a graph of -blockdev nodes named explicitly (no -drive, whose file= parses
  // "json:" and "nbd:" and follows an image's own backing file): the N-th drive's format
  // node is `dN` over the file node `dNf`; its K-th backing layer is `dNbK` over `dNbKf`.
  QemuCommand& AddDrive(QemuDrive drive);
  // The storage disk (protocol/storage_disk.h): `path` as a read-only raw virtio-blk disk
  // with serial kStorageDiskSerial, after every drive, so that it never shifts their
  // names. "" attaches nothing.
  QemuCommand& StorageDisk(std::string path);
  // virtio-serial port `port_name` backed by a unix socket QEMU connects to (server=off):
  // diskferry listens on `socket_path` before spawning QEMU.
  QemuCommand& SerialPort(std::string socket_path, std::string port_name = kControlPortName);
  // The same port backed by a TCP connection QEMU makes to 127.0.0.1:`port` (server=off):
  // diskferry listens there before spawning QEMU (tcp_listener.h). Replaces SerialPort().
  QemuCommand& SerialPortTcp(int port, std::string port_name = kControlPortName);
  // ivshmem-plain backed by `path` (a /dev/shm file of exactly `size` bytes).
  QemuCommand& SharedMemory(std::string path, uint64_t size);
  // The fw_cfg entry `name` (QEMU wants "opt/..." names) holding the bytes of the file
  // at `path`, which QEMU reads at start-up: `-fw_cfg name=NAME,file=PATH`. Only the
  // path is on the command line, never the bytes (the launch secret travels so, and any
  // local user can list command lines). Entries appear in the order added.
  QemuCommand& FirmwareFile(std::string name, std::string path);

  // Guest RAM from the file at `path` (memory-backend-file, `-machine ...,memory-backend=`):
  // shared (share=on), so that the guest's writes reach the file, for the VM a template
  // is saved from; private (share=off), a copy-on-write mapping of the file, for an
  // appliance restored from it (template_store.h). "" (the default): anonymous RAM.
  QemuCommand& RamFile(std::string path, bool shared);
  // Waits for a migration stream instead of booting (`-incoming defer`), which QMP then
  // feeds (template_store.h, RestoreVmState): an appliance restored from a template.
  QemuCommand& IncomingDeferred();
  // A QMP monitor on the Unix socket `path`, which QEMU creates (server=on,wait=off).
  QemuCommand& QmpSocket(std::string path);

  std::vector<std::string> Argv() const;
  // Argv() as one line a user can paste into a shell to reproduce the launch.
  std::string ShellCommand() const;

 private:
  void AppendMachineArgs(std::vector<std::string>* argv) const;
  void AppendDeviceArgs(std::vector<std::string>* argv) const;

  std::string binary_ = kDefaultQemuBinary;
  std::string machine_ = kDefaultMachine;
  Accelerator accel_ = Accelerator::kTcg;
  uint32_t memory_mib_ = 512;
  uint32_t cpus_ = 1;
  std::string kernel_;
  std::string initrd_;
  std::string cmdline_;
  bool no_defaults_ = true;
  std::string console_log_;
  std::vector<QemuDrive> drives_;
  std::string storage_disk_;
  std::string socket_path_;  // SerialPort
  int tcp_port_ = 0;         // SerialPortTcp
  std::string port_name_;
  std::string shm_path_;
  uint64_t shm_size_ = 0;
  std::vector<std::pair<std::string, std::string>> firmware_files_;  // {name, path}
  std::string ram_path_;
  bool ram_shared_ = false;
  bool incoming_deferred_ = false;
  std::string qmp_socket_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_QEMU_COMMAND_H_
