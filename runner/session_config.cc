#include "runner/session_config.h"

#include <string_view>

namespace diskferry {
namespace {

// The manifest's `filesystem: os` and the session's whole-OS value are one word.
static_assert(std::string_view(kWholeOs) == "os");

std::string FsArgument(const FilesystemSpec& fs) {
  return fs.kind == FilesystemKind::kOs ? std::string(kWholeOs) : fs.AsFsArgument();
}

Result<DiskConfig> DiskConfigOf(const DiskSpec& disk, const FormatProbe& probe,
                                std::vector<ProbedFormat>* probed) {
  DiskConfig config;
  config.image = disk.image.path;
  for (const HostPath& b : disk.backing) config.backing.push_back({b.path, ""});
  if (disk.format) {
    config.format = std::string(ImageFormatName(*disk.format));
    return config;
  }
  Result<std::string> format = probe(disk.image.path);
  if (!format.ok()) return format.status();
  config.format = format->empty() ? "raw" : *format;
  probed->push_back({disk.image.path, config.format});
  return config;
}

}  // namespace

Result<ImageSessionConfig> SessionConfigOf(const MachineSpec& machine, bool writable,
                                           const FormatProbe& probe,
                                           std::vector<ProbedFormat>* probed) {
  ImageSessionConfig config;
  for (size_t i = 0; i < machine.disks.size(); ++i) {
    Result<DiskConfig> disk = DiskConfigOf(machine.disks[i], probe, probed);
    if (!disk.ok()) return disk.status();
    if (i == 0) {
      config.image = disk->image;
      config.format = disk->format;
      config.backing = std::move(disk->backing);
    } else {
      config.extra_disks.push_back(std::move(*disk));
    }
  }
  config.writable = writable;
  config.filesystem = FsArgument(machine.filesystem);
  for (const KeySpec& key : machine.keys) config.keys.push_back({key.device, key.file.path});
  config.replay = machine.replay;
  return config;
}

}  // namespace diskferry
