// ImageSession: what a command needs to work inside one disk image: the appliance built or
// reused, booted with the image attached, a filesystem chosen and mounted.
//
//   ImageSessionConfig --Open--> ImageSession (appliance kReady, filesystem mounted)
//
// Threading: like Appliance, one thread at a time; sessions are independent of each other.
#ifndef DISKFERRY_APPLIANCE_IMAGE_SESSION_H_
#define DISKFERRY_APPLIANCE_IMAGE_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/appliance_builder.h"
#include "appliance/ewf.h"
#include "appliance/filesystem_choice.h"
#include "appliance/guest_types.h"
#include "appliance/image_inspect.h"
#include "appliance/key_file.h"
#include "appliance/temp_dir.h"
#include "protocol/status.h"

namespace diskferry {

// One disk as a user names it.
struct DiskConfig {
  std::string image;
  // QEMU block driver (image_inspect.h: kImageFormats) or kEwfFormat (ewf.h: served by
  // nbdkit, read-only sessions only). Empty means raw, after checking
  // that the file does not carry another format's signature.
  std::string format;
  // The backing files the user names, nearest first (ResolveDiskChain).
  std::vector<ImageLayer> backing;

  bool operator==(const DiskConfig&) const = default;
};

// A LUKS key file as the user names it (--key-file, keys: in manifests). The file is read
// on the host and its bytes go to the guest over the control channel only.
struct KeyFileSpec {
  // The LUKS device it opens ("/dev/sda2", "/dev/vg/secret"); empty: every LUKS device
  // that has no key of its own.
  std::string device;
  std::string path;

  bool operator==(const KeyFileSpec&) const = default;
};

// ImageSessionConfig::filesystem value that mounts a whole OS tree: the root filesystem
// (the one holding etc/fstab and an os-release) with the others where its fstab says.
inline constexpr char kWholeOs[] = "os";

struct ImageSessionConfig {
  // The first disk (/dev/sda), named in messages as "the image".
  std::string image;
  // QEMU block driver (image_inspect.h: kImageFormats) or kEwfFormat (ewf.h: served by
  // nbdkit, read-only sessions only). Empty means raw, after checking
  // that the file does not carry another format's signature: formats are never guessed
  // (a raw image whose content looks like qcow2 could otherwise name host files as
  // backing files).
  std::string format;
  // The backing files the user names, nearest first: a header naming one is refused
  // unless it is given here (ResolveDiskChain).
  std::vector<ImageLayer> backing;
  // More disks of the same machine, attached after the first in this order (/dev/sdb,
  // /dev/sdc, ...): a volume group or RAID array across disks, data disks.
  std::vector<DiskConfig> extra_disks;
  // Read-only sessions: attach each disk through a throw-away qcow2 overlay in a private
  // temporary directory, so that a filesystem whose journal needs recovery is replayed
  // into it (the image is never written) and shows what the running system had
  // committed. false: the on-disk state (ext3/4 noload, xfs norecovery, btrfs
  // nologreplay), for forensic work.
  bool replay = true;
  // Key files for LUKS devices, tried in order (a device's own first, then the ones for
  // every device).
  std::vector<KeyFileSpec> keys;
  bool writable = false;
  // --fs: device, LABEL=x or UUID=y, or kWholeOs (--os); empty: the only one
  std::string filesystem;
  bool mount = true;          // false: boot and attach only (appliance check)
  ApplianceBuildConfig build;  // daemon empty: FindDaemonBinary()
  ApplianceConfig launch;      // image and drives are filled in by Open
};

// DISKFERRY_DAEMON if set, else diskferry-daemon next to the running program.
// kNotFound naming the places looked at.
Result<std::string> FindDaemonBinary();

// The appliance to boot: the directory build.appliance_dir names, else the one
// DISKFERRY_APPLIANCE names (LoadApplianceDir), else BuildAppliance with the daemon
// FindDaemonBinary finds when build.daemon is empty. Windows hosts cannot build one:
// there BuildAppliance says how to export one on Linux (docs/windows.md).
Result<ApplianceImage> PrepareAppliance(ApplianceBuildConfig build);

// Every disk of `config`, the first one first.
std::vector<DiskConfig> SessionDisks(const ImageSessionConfig& config);

// A disk checked (image_inspect.h): its format (empty: raw, unless the file carries
// another format's signature, which is refused with a hint; a LUKS container is raw,
// since the appliance opens it) and the backing files QEMU may open. Errors name the
// image in one line.
Result<DiskChain> ResolveDisk(const DiskConfig& disk);

// The keys to try on the LUKS container `luks`, as indexes into `keys`: the ones whose
// device names it (or one of its aliases), else every one with no device, in order.
std::vector<size_t> KeysForDevice(const FilesystemInfo& luks, const std::vector<KeyFileSpec>& keys);
// "/dev/sda2 is a LUKS2 container; give its key with --key-file PATH or --key-file
// /dev/sda2=PATH" (kFailedPrecondition).
Status NoKeyFor(const FilesystemInfo& luks);
// "/dev/sda2: no key slot opens with key file k.key" (kFailedPrecondition).
Status KeysRejected(const FilesystemInfo& luks, const std::vector<std::string>& paths);

// A LUKS container that stayed closed, and why (without the image's name).
struct LockedLuks {
  std::string device;
  Status why;
};

// The error a session ends with when the filesystem `wanted` ("" for the only one,
// kWholeOs for the OS tree) could not be had (`choice`): the LUKS container the user
// named, if it stayed closed; else what stayed closed and the storage problems, leading
// when nothing matched (kNotFound) and appended otherwise; else `choice` itself.
Status SessionStorageError(std::string_view wanted, const Status& choice,
                           const StorageListing& storage, const std::vector<LockedLuks>& locked);

// Guest memory a session with LUKS keys gets at least: argon2id key slots made by
// cryptsetup take up to 1 GiB to open.
inline constexpr unsigned kLuksMemoryMib = 1280;

class ImageSession {
 public:
  // In steps: check the disks and read the key files; prepare and boot the appliance;
  // then, with config.mount, activate the storage stack (md, LVM), open LUKS containers
  // with the keys, and mount the chosen filesystem or the whole OS tree.
  // Errors name the image: "disk.img: no filesystem found; candidates: ...",
  // "disk.img: /dev/sda2 is a LUKS2 container; give its key with --key-file PATH ...".
  // A LUKS container that does not open, and storage the daemon could not activate, fail
  // the session only when the filesystem asked for is missing; otherwise they are
  // warnings().
  static Result<std::unique_ptr<ImageSession>> Open(const ImageSessionConfig& config);
  // A session over an appliance already running (Appliance::OverStream) whose daemon
  // serves its own directory: nothing is mounted by the session, no warnings. For tests
  // that drive sessions (runner/) without a VM.
  static std::unique_ptr<ImageSession> OverAppliance(std::unique_ptr<Appliance> appliance);

  Appliance& appliance() { return *appliance_; }
  const ApplianceImage& image() const { return image_; }
  const FilesystemInfo& filesystem() const { return filesystem_; }
  const MountInfo& mount() const { return mount_; }
  // Every filesystem mounted, the root first (empty when config.mount was false).
  const std::vector<MountedFilesystem>& mounted() const { return mounted_; }
  // The filesystems and problems the activated storage stack showed (after unlocking).
  const StorageListing& storage() const { return storage_; }
  // The whole-OS tree (config.filesystem == kWholeOs): its name, what fstab lines were
  // skipped and why; nullptr otherwise.
  const OsTreeInfo* os_tree() const { return os_ ? &*os_ : nullptr; }
  // One line each, starting with the image: the kernel the session switched to, LUKS
  // containers left closed, degraded arrays and storage problems that did not stop the
  // session. May hold guest text: escape before printing.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Powers the appliance off (see Appliance::Shutdown). The throw-away overlays go with
  // the session.
  Status Close() { return appliance_->Shutdown(); }

 private:
  ImageSession() = default;
  // Starts an nbdkit for every E01 disk (ewf.h) and makes its chain a raw layer on the
  // server's socket with the medium's size. An E01 in a writable session is refused.
  Status ServeEwf(const ImageSessionConfig& config, std::vector<DiskChain>* disks);
  // The drives QEMU gets: the disks themselves, or throw-away overlays over them.
  Result<std::vector<DriveSpec>> Drives(const ImageSessionConfig& config,
                                        const std::vector<DiskChain>& disks);
  // ListStorage with activation, then unlocking LUKS containers with `keys` until no
  // more open (LVM inside LUKS shows up after a second listing).
  Status ActivateStorage(const ImageSessionConfig& config, const std::vector<KeyFile>& keys,
                         const std::vector<KeyFileSpec>& specs);
  Status UnlockOne(const FilesystemInfo& luks, const std::vector<KeyFile>& keys,
                   const std::vector<KeyFileSpec>& specs, bool read_write);
  void KeepStorageWarnings(const ImageSessionConfig& config);
  // The name to choose by: config.filesystem, or for a LUKS container the device it opened.
  std::string Wanted(const ImageSessionConfig& config) const;
  // When the filesystems to mount need a kernel other than the booted one
  // (kernel_choice.h), relaunches on it and activates the storage again.
  Status SwitchKernelWhenNeeded(const ImageSessionConfig& config,
                                const std::vector<KeyFile>& keys);
  Status MountChosen(const ImageSessionConfig& config);
  Status MountWholeOs(const ImageSessionConfig& config);
  // The OS name and root device, for the candidate list; empty if none is found.
  OsRootHint LearnOsRoot();

  ApplianceImage image_;
  // Declared before appliance_, so destroyed after it: QEMU has the overlays open and is
  // connected to the E01 servers, whose sockets are in ewf_dir_.
  std::optional<TempDir> scratch_;
  std::optional<TempDir> ewf_dir_;
  std::vector<EwfServer> ewf_servers_;
  bool overlays_ = false;  // the drives are throw-away overlays: mounts may replay
  ApplianceConfig launch_;  // as launched: a kernel switch (kernel_choice.h) relaunches with it
  std::unique_ptr<Appliance> appliance_;
  FilesystemInfo filesystem_;
  MountInfo mount_;
  std::vector<MountedFilesystem> mounted_;
  StorageListing storage_;
  std::vector<LockedLuks> locked_;
  // LUKS containers opened, and the plaintext device each gave.
  std::vector<std::pair<FilesystemInfo, std::string>> opened_;
  std::optional<OsTreeInfo> os_;
  std::vector<std::string> warnings_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_IMAGE_SESSION_H_
