#include "appliance/image_session.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "appliance/appliance_dir.h"
#include "appliance/filesystem_choice.h"
#include "appliance/kernel_choice.h"
#include "appliance/overlay.h"

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

}  // namespace

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
    if (!probed->empty()) {
      return Status(Code::kInvalidArgument,
                    disk.image + ": looks like " + *probed + ", not raw; formats are never " +
                        "guessed, so pass --format " + *probed + " if you trust this image");
    }
    format = "raw";
  }
  return ResolveDiskChain(ImageLayer{disk.image, format}, disk.backing);
}

Result<std::vector<DriveSpec>> ImageSession::Drives(const ImageSessionConfig& config,
                                                   const std::vector<DiskChain>& disks) {
  std::vector<DriveSpec> drives;
  overlays_ = !config.writable && config.replay;
  if (!overlays_) {
    for (const DiskChain& d : disks) {
      drives.push_back({d.image.path, d.image.format, config.writable, d.backing});
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

Result<std::unique_ptr<ImageSession>> ImageSession::Open(const ImageSessionConfig& config) {
  std::vector<DiskChain> disks;
  for (const DiskConfig& d : SessionDisks(config)) {
    auto disk = ResolveDisk(d);
    if (!disk.ok()) return disk.status();
    disks.push_back(std::move(*disk));
  }

  auto image = PrepareAppliance(config.build);
  if (!image.ok()) return image.status().WithContext("preparing the appliance");

  std::unique_ptr<ImageSession> session(new ImageSession());
  session->image_ = *image;
  ApplianceConfig launch = config.launch;
  launch.image = *image;
  auto drives = session->Drives(config, disks);
  if (!drives.ok()) return drives.status();
  launch.drives = std::move(*drives);
  session->launch_ = launch;
  auto appliance = Appliance::Launch(launch);
  if (!appliance.ok()) return appliance.status();
  session->appliance_ = std::move(*appliance);
  if (config.mount) {
    Status st = session->MountChosen(config);
    if (!st.ok()) return st.WithContext(config.image);
  }
  return session;
}

Status ImageSession::MountChosen(const ImageSessionConfig& config) {
  auto filesystems = appliance_->control().ListFilesystems();
  if (!filesystems.ok()) return filesystems.status();
  auto chosen = ChooseFilesystem(*filesystems, config.filesystem);
  if (!chosen.ok()) return chosen.status();
  filesystem_ = *chosen;
  auto switched =
      SwitchKernelIfNeeded(config.image, NeededFilesystems(*filesystems, chosen->device, false),
                           false, config.build, launch_, &image_, &appliance_);
  if (!switched.ok()) return switched.status();
  auto mounted = appliance_->control().Mount(filesystem_.device, config.writable, "", overlays_);
  if (!mounted.ok()) return mounted.status();
  mount_ = *mounted;
  mounted_ = {MountedFilesystem{filesystem_.device, mount_.fstype, "/", mount_.replayed}};
  return Status::Ok();
}

}  // namespace diskferry
