// ImageSession: what a command needs to work inside one disk image: the appliance built or
// reused, booted with the image attached, a filesystem chosen and mounted.
//
//   ImageSessionConfig --Open--> ImageSession (appliance kReady, filesystem mounted)
//
// Threading: like Appliance, one thread at a time; sessions are independent of each other.
#ifndef DISKFERRY_APPLIANCE_IMAGE_SESSION_H_
#define DISKFERRY_APPLIANCE_IMAGE_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/appliance_builder.h"
#include "appliance/guest_types.h"
#include "appliance/image_inspect.h"
#include "protocol/status.h"

namespace diskferry {

struct ImageSessionConfig {
  std::string image;
  // QEMU block driver (image_inspect.h: kImageFormats). Empty means raw, after checking
  // that the file does not carry another format's signature: formats are never guessed
  // (a raw image whose content looks like qcow2 could otherwise name host files as
  // backing files).
  std::string format;
  // The backing files the user names, nearest first: a header naming one is refused
  // unless it is given here (ResolveDiskChain).
  std::vector<ImageLayer> backing;
  bool writable = false;
  std::string filesystem;     // --fs: device, LABEL=x or UUID=y; empty: the only one
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

// The disk `config` describes, checked (image_inspect.h): its format (empty: raw, unless
// the file carries another format's signature, which is refused with a hint) and the
// backing files QEMU may open. Errors name the image in one line.
Result<DiskChain> ResolveSessionDisk(const ImageSessionConfig& config);

class ImageSession {
 public:
  // Errors name the image: "disk.img: no filesystem found; candidates: ...".
  static Result<std::unique_ptr<ImageSession>> Open(const ImageSessionConfig& config);

  Appliance& appliance() { return *appliance_; }
  const ApplianceImage& image() const { return image_; }
  const FilesystemInfo& filesystem() const { return filesystem_; }
  const MountInfo& mount() const { return mount_; }
  // Powers the appliance off (see Appliance::Shutdown).
  Status Close() { return appliance_->Shutdown(); }

 private:
  ImageSession() = default;
  Status MountChosen(const ImageSessionConfig& config);

  ApplianceImage image_;
  std::unique_ptr<Appliance> appliance_;
  FilesystemInfo filesystem_;
  MountInfo mount_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_IMAGE_SESSION_H_
