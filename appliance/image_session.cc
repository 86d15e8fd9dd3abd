#include "appliance/image_session.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "appliance/appliance_dir.h"
#include "appliance/filesystem_choice.h"

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

Result<DiskChain> ResolveSessionDisk(const ImageSessionConfig& config) {
  if (!std::ifstream(std::filesystem::path(config.image), std::ios::binary)) {
    return CannotOpen(config.image);
  }
  std::string format = config.format;
  if (format.empty()) {
    auto probed = ProbeImageFormat(config.image);
    if (!probed.ok()) return probed.status();
    if (!probed->empty()) {
      return Status(Code::kInvalidArgument,
                    config.image + ": looks like " + *probed + ", not raw; formats are never " +
                        "guessed, so pass --format " + *probed + " if you trust this image");
    }
    format = "raw";
  }
  return ResolveDiskChain(ImageLayer{config.image, format}, config.backing);
}

Result<std::unique_ptr<ImageSession>> ImageSession::Open(const ImageSessionConfig& config) {
  auto disk = ResolveSessionDisk(config);
  if (!disk.ok()) return disk.status();

  auto image = PrepareAppliance(config.build);
  if (!image.ok()) return image.status().WithContext("preparing the appliance");

  std::unique_ptr<ImageSession> session(new ImageSession());
  session->image_ = *image;
  ApplianceConfig launch = config.launch;
  launch.image = *image;
  launch.drives = {DriveSpec{disk->image.path, disk->image.format, config.writable, disk->backing}};
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
  auto mounted = appliance_->control().Mount(filesystem_.device, config.writable, "");
  if (!mounted.ok()) return mounted.status();
  mount_ = *mounted;
  return Status::Ok();
}

}  // namespace diskferry
