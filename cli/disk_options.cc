#include "cli/disk_options.h"

namespace diskferry {

Result<KeyFileSpec> ParseKeyFileArg(std::string_view arg) {
  KeyFileSpec spec;
  const size_t eq = arg.find('=');
  if (arg.rfind("/dev/", 0) == 0 && eq != std::string_view::npos) {
    spec.device = std::string(arg.substr(0, eq));
    spec.path = std::string(arg.substr(eq + 1));
  } else {
    spec.path = std::string(arg);
  }
  if (spec.path.empty()) {
    return Status(Code::kInvalidArgument, "--key-file " + std::string(arg) + ": no path");
  }
  return spec;
}

Status ConfigureDisks(const DiskOptions& options, ImageSessionConfig* config) {
  if (options.whole_os && !options.filesystem.empty()) {
    return Status(Code::kInvalidArgument,
                  "--os mounts the whole OS tree and --fs one filesystem; give one of them");
  }
  const size_t disks = 1 + options.add.size();
  const size_t formats = options.formats.size();
  if (formats > 1 && formats != disks) {
    return Status(Code::kInvalidArgument,
                  "--format given " + std::to_string(formats) + " times for " +
                      std::to_string(disks) + " disks; give it once for all, or once per disk");
  }
  auto format_of = [&](size_t disk) {
    return formats == 0 ? std::string() : options.formats[formats == 1 ? 0 : disk];
  };
  config->format = format_of(0);
  config->backing.clear();
  for (const std::string& path : options.backing) config->backing.push_back({path, ""});
  config->extra_disks.clear();
  for (size_t i = 0; i < options.add.size(); ++i) {
    config->extra_disks.push_back({options.add[i], format_of(i + 1), {}});
  }
  config->keys.clear();
  for (const std::string& arg : options.key_files) {
    auto spec = ParseKeyFileArg(arg);
    if (!spec.ok()) return spec.status();
    if (Status st = CheckKeyFile(spec->path); !st.ok()) return st;
    config->keys.push_back(*spec);
  }
  config->replay = !options.no_replay;
  config->filesystem = options.whole_os ? std::string(kWholeOs) : options.filesystem;
  return Status::Ok();
}

}  // namespace diskferry
