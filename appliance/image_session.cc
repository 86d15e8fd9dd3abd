#include "appliance/image_session.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "appliance/appliance_dir.h"
#include "appliance/ewf.h"
#include "appliance/filesystem_choice.h"
#include "appliance/kernel_choice.h"
#include "appliance/overlay.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

bool IsReadable(const std::filesystem::path& path) {
  return static_cast<bool>(std::ifstream(path, std::ios::binary));
}

// What std::ifstream cannot say: why. errno after a failed open is set by the C library
// on both Linux and Windows, and names the usual reasons (ENOENT, EACCES).
Status CannotOpen(const std::string& path) {
  const int err = errno;
  return err != 0 ? ErrnoStatus(err, path) : Status(Code::kIoError, path + ": cannot be opened");
}

// Activation runs vgchange/mdadm in the guest; under TCG a few seconds each, more under
// load.
constexpr auto kActivateTimeout = std::chrono::seconds(120);
// cryptsetup's argon2id with 1 GiB and 4 iterations took about 100 s under TCG on 2 busy
// cores; several key slots are tried in turn.
constexpr auto kUnlockTimeout = std::chrono::seconds(330);
constexpr auto kMountOsTimeout = std::chrono::seconds(120);
// LUKS inside LVM inside LUKS is as deep as real systems go.
constexpr int kMaxUnlockRounds = 4;

std::string_view LuksKind(const FilesystemInfo& luks) {
  if (luks.note.find("LUKS2") != std::string::npos) return "LUKS2";
  if (luks.note.find("LUKS1") != std::string::npos) return "LUKS1";
  return "LUKS";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

Result<std::vector<KeyFile>> ReadKeys(const std::vector<KeyFileSpec>& specs) {
  std::vector<KeyFile> keys;
  for (const KeyFileSpec& spec : specs) {
    auto key = KeyFile::Read(spec.path);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  return keys;
}

}  // namespace

std::vector<size_t> KeysForDevice(const FilesystemInfo& luks,
                                  const std::vector<KeyFileSpec>& keys) {
  std::vector<size_t> own;
  std::vector<size_t> any;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].device.empty()) {
      any.push_back(i);
    } else if (NamesFilesystem(luks, keys[i].device)) {
      own.push_back(i);
    }
  }
  return own.empty() ? any : own;
}

Status NoKeyFor(const FilesystemInfo& luks) {
  const std::string dev = PrintableText(luks.device);
  return Status(Code::kFailedPrecondition,
                dev + " is a " + std::string(LuksKind(luks)) +
                    " container; give its key with --key-file PATH or --key-file " + dev +
                    "=PATH");
}

Status KeysRejected(const FilesystemInfo& luks, const std::vector<std::string>& paths) {
  return Status(Code::kFailedPrecondition,
                PrintableText(luks.device) + ": no key slot opens with key file" +
                    (paths.size() > 1 ? "s " : " ") + Join(paths, ", "));
}

Result<std::string> FindDaemonBinary() {
  if (const char* env = std::getenv("DISKFERRY_DAEMON"); env != nullptr && *env != '\0') {
    if (!IsReadable(env)) return CannotOpen(std::string("DISKFERRY_DAEMON=") + env);
    return std::string(env);
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = self.parent_path();
    for (const auto& candidate : {dir / "diskferry-daemon", dir / "../lib/diskferry/diskferry-daemon"}) {
      if (IsReadable(candidate)) return candidate.lexically_normal().string();
    }
  }
  return Status(Code::kNotFound, "diskferry-daemon not found next to " + self.string() +
                                     "; build it or set DISKFERRY_DAEMON");
}

Result<ApplianceImage> PrepareAppliance(ApplianceBuildConfig build) {
  if (build.appliance_dir.empty()) {
    if (const char* env = std::getenv(kApplianceDirEnvVar); env != nullptr && *env != '\0') {
      build.appliance_dir = env;
    }
  }
  if (!build.appliance_dir.empty()) return LoadApplianceDir(build.appliance_dir);
  if (HostBuildsAppliances() && build.daemon.empty()) {
    auto daemon = FindDaemonBinary();
    if (!daemon.ok()) return daemon.status();
    build.daemon = *daemon;
  }
  return BuildAppliance(build);
}

std::vector<DiskConfig> SessionDisks(const ImageSessionConfig& config) {
  std::vector<DiskConfig> disks = {{config.image, config.format, config.backing}};
  disks.insert(disks.end(), config.extra_disks.begin(), config.extra_disks.end());
  return disks;
}

Result<DiskChain> ResolveDisk(const DiskConfig& disk) {
  if (!std::ifstream(std::filesystem::path(disk.image), std::ios::binary)) {
    return CannotOpen(disk.image);
  }
  std::string format = disk.format;
  if (format.empty()) {
    auto probed = ProbeImageFormat(disk.image);
    if (!probed.ok()) return probed.status();
    // A LUKS container is read as raw bytes: the appliance opens it (--key-file), and
    // QEMU's own luks driver is never used.
    if (!probed->empty() && *probed != "luks") {
      return Status(Code::kInvalidArgument,
                    disk.image + ": looks like " + *probed + ", not raw; formats are never " +
                        "guessed, so pass --format " + *probed + " if you trust this image");
    }
    format = "raw";
  } else if (format == kEwfFormat) {
    // Served by nbdkit when the session starts (ServeEwf); the image has no backing files.
    if (Status st = EwfSupported(); !st.ok()) return st;
    if (!disk.backing.empty()) {
      return Status(Code::kInvalidArgument,
                    disk.image + ": an E01 image has no backing files; drop --backing");
    }
    return DiskChain{ImageLayer{disk.image, kEwfFormat, ""}, {}, 0};
  } else if (format == "luks") {
    return Status(Code::kInvalidArgument,
                  disk.image + ": LUKS is opened inside the appliance; give the image as raw " +
                      "(no --format) with --key-file PATH");
  }
  return ResolveDiskChain(ImageLayer{disk.image, format}, disk.backing);
}

Status ImageSession::ServeEwf(const ImageSessionConfig& config, std::vector<DiskChain>* disks) {
  for (size_t i = 0; i < disks->size(); ++i) {
    DiskChain& disk = (*disks)[i];
    if (disk.image.format != kEwfFormat) continue;
    if (config.writable) {
      return Status(Code::kInvalidArgument,
                    disk.image.path + ": an E01 image is read-only evidence; diskferry never " +
                        "writes one (extract from it, or convert it with ewfexport first)");
    }
    if (!ewf_dir_) {
      auto dir = TempDir::Create("diskferry-ewf-");
      if (!dir.ok()) return dir.status().WithContext("E01 sockets");
      ewf_dir_ = std::move(*dir);
    }
    auto media = ReadEwfMedia(disk.image.path);
    if (!media.ok()) return media.status();
    const std::string name = "disk" + std::to_string(i);
    auto server = EwfServer::Start(disk.image.path, ewf_dir_->File(name + ".sock"),
                                   ewf_dir_->File(name + ".log"));
    if (!server.ok()) return server.status();
    disk.image = ImageLayer{disk.image.path, "raw", server->socket_path()};
    disk.virtual_size = media->media_size;
    ewf_servers_.push_back(std::move(*server));
  }
  return Status();
}

Result<std::vector<DriveSpec>> ImageSession::Drives(const ImageSessionConfig& config,
                                                   const std::vector<DiskChain>& disks) {
  std::vector<DriveSpec> drives;
  overlays_ = !config.writable && config.replay;
  if (!overlays_) {
    for (const DiskChain& d : disks) {
      drives.push_back(
          {d.image.path, d.image.format, config.writable, d.backing, d.image.nbd_socket});
    }
    return drives;
  }
  auto dir = TempDir::Create("diskferry-overlay-");
  if (!dir.ok()) return dir.status().WithContext("throw-away overlays");
  scratch_ = std::move(*dir);
  for (size_t i = 0; i < disks.size(); ++i) {
    auto overlay = CreateOverlay(disks[i], scratch_->File("disk" + std::to_string(i) + ".qcow2"));
    if (!overlay.ok()) return overlay.status();
    drives.push_back({overlay->image.path, overlay->image.format, true, overlay->backing});
  }
  return drives;
}

std::unique_ptr<ImageSession> ImageSession::OverAppliance(std::unique_ptr<Appliance> appliance) {
  std::unique_ptr<ImageSession> session(new ImageSession());
  session->appliance_ = std::move(appliance);
  return session;
}

Result<std::unique_ptr<ImageSession>> ImageSession::Open(const ImageSessionConfig& config) {
  std::vector<DiskChain> disks;
  for (const DiskConfig& d : SessionDisks(config)) {
    auto disk = ResolveDisk(d);
    if (!disk.ok()) return disk.status();
    disks.push_back(std::move(*disk));
  }
  // Read before anything boots, so that a missing key file costs nothing; wiped when
  // Open returns.
  auto keys = ReadKeys(config.keys);
  if (!keys.ok()) return keys.status();

  auto image = PrepareAppliance(config.build);
  if (!image.ok()) return image.status().WithContext("preparing the appliance");

  std::unique_ptr<ImageSession> session(new ImageSession());
  if (Status st = session->ServeEwf(config, &disks); !st.ok()) return st;
  session->image_ = *image;
  ApplianceConfig launch = config.launch;
  launch.image = *image;
  if (!config.keys.empty()) launch.memory_mib = std::max(launch.memory_mib, kLuksMemoryMib);
  auto drives = session->Drives(config, disks);
  if (!drives.ok()) return drives.status();
  launch.drives = std::move(*drives);
  session->launch_ = launch;
  auto appliance = Appliance::Launch(launch);
  if (!appliance.ok()) return appliance.status();
  session->appliance_ = std::move(*appliance);
  if (!config.mount) return session;

  Status st = session->ActivateStorage(config, *keys, config.keys);
  if (st.ok()) st = session->SwitchKernelWhenNeeded(config, *keys);
  if (st.ok()) {
    st = config.filesystem == kWholeOs ? session->MountWholeOs(config)
                                       : session->MountChosen(config);
  }
  if (!st.ok()) return st.WithContext(config.image);
  return session;
}

Status ImageSession::ActivateStorage(const ImageSessionConfig& config,
                                     const std::vector<KeyFile>& keys,
                                     const std::vector<KeyFileSpec>& specs) {
  const bool read_write = config.writable || overlays_;
  ControlClient& control = appliance_->control();
  auto listing = control.ListStorage(/*activate=*/true, read_write, kActivateTimeout);
  if (!listing.ok()) return listing.status();
  storage_ = std::move(*listing);
  std::vector<FilesystemInfo> tried;
  for (int round = 0; round < kMaxUnlockRounds; ++round) {
    bool opened = false;
    for (const FilesystemInfo& fs : std::vector<FilesystemInfo>(storage_.filesystems)) {
      if (fs.fstype != "crypto_LUKS") continue;
      if (std::any_of(tried.begin(), tried.end(),
                      [&](const FilesystemInfo& t) { return t.device == fs.device; })) {
        continue;
      }
      tried.push_back(fs);
      Status st = UnlockOne(fs, keys, specs, read_write);
      if (st.code() == Code::kTimeout || st.code() == Code::kProtocolError ||
          st.code() == Code::kUnavailable) {
        return st;  // the appliance is gone or hostile: nothing else will work either
      }
      if (st.ok()) {
        opened = true;
      } else {
        locked_.push_back({fs.device, st});
      }
    }
    if (!opened) break;
    // Opened containers may hold PVs, md members or more LUKS: activate again.
    listing = control.ListStorage(/*activate=*/true, read_write, kActivateTimeout);
    if (!listing.ok()) return listing.status();
    storage_ = std::move(*listing);
  }
  for (const KeyFileSpec& spec : specs) {
    if (spec.device.empty()) continue;
    if (std::none_of(tried.begin(), tried.end(),
                     [&](const FilesystemInfo& t) { return NamesFilesystem(t, spec.device); })) {
      warnings_.push_back(config.image + ": key file " + spec.path + " is for " +
                          PrintableText(spec.device) + ", which is not a LUKS container here");
    }
  }
  return Status::Ok();
}

Status ImageSession::UnlockOne(const FilesystemInfo& luks, const std::vector<KeyFile>& keys,
                               const std::vector<KeyFileSpec>& specs, bool read_write) {
  const std::vector<size_t> candidates = KeysForDevice(luks, specs);
  if (candidates.empty()) return NoKeyFor(luks);
  std::vector<std::string> rejected;
  for (size_t i : candidates) {
    auto opened = appliance_->control().Unlock(luks.device, keys[i].bytes(), read_write,
                                               kUnlockTimeout);
    if (opened.ok()) {
      opened_.emplace_back(luks, *opened);
      return Status::Ok();
    }
    if (GuestErrno(opened.status()) != "EKEYREJECTED") {
      return opened.status().WithContext(PrintableText(luks.device));
    }
    rejected.push_back(specs[i].path);
  }
  return KeysRejected(luks, rejected);
}

Status SessionStorageError(std::string_view wanted, const Status& choice,
                           const StorageListing& storage, const std::vector<LockedLuks>& locked) {
  std::vector<std::string> why;
  for (const LockedLuks& luks : locked) {
    const bool named =
        !wanted.empty() && wanted != kWholeOs &&
        std::any_of(storage.filesystems.begin(), storage.filesystems.end(),
                    [&](const FilesystemInfo& fs) {
                      return fs.device == luks.device && NamesFilesystem(fs, wanted);
                    });
    if (named) return luks.why;
    why.push_back(luks.why.message());
  }
  why.insert(why.end(), storage.problems.begin(), storage.problems.end());
  if (why.empty()) return choice;
  // Nothing matched: what stayed closed is the reason, and alone the clearest message.
  if (choice.code() == Code::kNotFound && !locked.empty()) {
    return Status(locked.front().why.code(), Join(why, "; "));
  }
  if (locked.empty()) return Status(choice.code(), Join(why, "; ") + "; " + choice.message());
  return Status(choice.code(), choice.message() + "; " + Join(why, "; "));
}

void ImageSession::KeepStorageWarnings(const ImageSessionConfig& config) {
  for (const LockedLuks& luks : locked_) {
    warnings_.push_back(config.image + ": " + luks.why.message() +
                        "; the rest of the disk stays readable");
  }
  for (const std::string& problem : storage_.problems) {
    warnings_.push_back(config.image + ": " + problem);
  }
  // A degraded array reads, but a backup of it should say so (the daemon's md note).
  for (const FilesystemInfo& fs : storage_.filesystems) {
    if (fs.device.starts_with("/dev/md") && fs.note.find("degraded") != std::string::npos) {
      warnings_.push_back(config.image + ": " + fs.device + " is " + fs.note);
    }
  }
}

OsRootHint ImageSession::LearnOsRoot() {
  auto os = appliance_->control().MountOs(/*read_write=*/false, /*replay=*/false, "",
                                          kMountOsTimeout);
  if (!os.ok() || os->mounted.empty()) return {};
  return {os->mounted.front().device, os->os_name};
}

std::string ImageSession::Wanted(const ImageSessionConfig& config) const {
  std::string wanted = config.filesystem;
  // --fs naming a LUKS container means what it holds.
  for (const auto& [container, plain] : opened_) {
    if (!wanted.empty() && NamesFilesystem(container, wanted)) wanted = plain;
  }
  return wanted;
}

Status ImageSession::SwitchKernelWhenNeeded(const ImageSessionConfig& config,
                                            const std::vector<KeyFile>& keys) {
  const bool whole_os = config.filesystem == kWholeOs;
  std::vector<FilesystemInfo> needed;
  if (whole_os) {
    needed = NeededFilesystems(storage_.filesystems, "", true);
  } else if (auto chosen = ChooseFilesystem(storage_.filesystems, Wanted(config)); chosen.ok()) {
    needed = NeededFilesystems(storage_.filesystems, chosen->device, false);
  } else {
    return Status::Ok();  // MountChosen says why nothing can be chosen
  }
  std::string announcement;
  auto switched = SwitchKernelIfNeeded(config.image, needed, whole_os, config.build, launch_,
                                       &image_, &appliance_, &announcement);
  if (!switched.ok()) return switched.status();
  if (!*switched) return Status::Ok();
  // The new appliance has activated and unlocked nothing yet.
  opened_.clear();
  locked_.clear();
  warnings_ = {announcement};
  return ActivateStorage(config, keys, config.keys);
}

Status ImageSession::MountChosen(const ImageSessionConfig& config) {
  const std::string wanted = Wanted(config);
  auto chosen = ChooseFilesystem(storage_.filesystems, wanted);
  if (!chosen.ok()) {
    Status choice = chosen.status();
    if (wanted.empty() && choice.code() == Code::kInvalidArgument) {
      // Several candidates: name the installed OS among them (best effort).
      choice = ChooseFilesystem(storage_.filesystems, "", LearnOsRoot()).status();
    }
    return SessionStorageError(wanted, choice, storage_, locked_);
  }
  KeepStorageWarnings(config);
  filesystem_ = *chosen;
  auto mounted = appliance_->control().Mount(filesystem_.device, config.writable, "", overlays_);
  if (!mounted.ok()) return mounted.status();
  mount_ = *mounted;
  mounted_ = {MountedFilesystem{filesystem_.device, mount_.fstype, "/", mount_.replayed,
                                mount_.options}};
  return Status::Ok();
}

Status ImageSession::MountWholeOs(const ImageSessionConfig& config) {
  auto os = appliance_->control().MountOs(config.writable, overlays_, "", kMountOsTimeout);
  if (!os.ok()) {
    return SessionStorageError(kWholeOs, os.status(), storage_, locked_);
  }
  if (os->mounted.empty() || os->mounted.front().mount_point != "/") {
    return Status(Code::kProtocolError, "MountOs reply without the root filesystem first");
  }
  KeepStorageWarnings(config);
  os_ = std::move(*os);
  mounted_ = os_->mounted;
  const MountedFilesystem& root = mounted_.front();
  filesystem_ = FilesystemInfo{};
  filesystem_.device = root.device;
  filesystem_.fstype = root.fstype;
  for (const FilesystemInfo& fs : storage_.filesystems) {
    if (fs.device == root.device) filesystem_ = fs;
  }
  mount_ = MountInfo{root.fstype, root.options, root.replayed};
  return Status::Ok();
}

}  // namespace diskferry
