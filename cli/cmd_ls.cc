// `diskferry ls [-l] [-R] [--fs FS | --os] [--add DISK]... IMAGE[:PATH]`: like virt-ls.
#include <cstdio>
#include <string>

#include "appliance/image_session.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/image_spec.h"
#include "cli/ls_format.h"
#include "runner/guest_walk.h"

namespace diskferry {
namespace {

struct LsOptions {
  ApplianceOptions appliance;
  std::string target;
  DiskOptions disk;
  bool long_format = false;
  bool recursive = false;
};

// Prints `dir`'s entries; with `recursive`, full paths and every subdirectory (symlinks to
// directories are listed, not followed), depth first in name order, through
// WalkGuestTree: however deep the guest's answers go, no host recursion, and a path past
// kMaxGuestPathBytes is a protocol error.
Status ListDirectory(ControlClient& control, const std::string& dir, const LsOptions& options) {
  auto read_dir = [&control](const std::string& d) { return control.ReadDirAll(d); };
  auto visit = [&options](const std::string& path, const DirEntryInfo& e) -> Result<bool> {
    const std::string& shown = options.recursive ? path : e.name;
    std::printf("%s\n", FormatEntry(e, shown, options.long_format).c_str());
    return options.recursive;
  };
  return WalkGuestTree(dir, read_dir, visit);
}

int RunLs(const LsOptions& options) {
  auto spec = ParseImageSpec(options.target, HostPathExists);
  if (!spec.ok()) return ReportFailure(spec.status());
  auto made = SessionConfigFrom(options.appliance);
  if (!made.ok()) return ReportFailure(made.status());
  ImageSessionConfig config = *made;
  config.image = spec->image;
  if (Status st = ConfigureDisks(options.disk, &config); !st.ok()) return ReportFailure(st);
  config.launch.shm_size = 0;  // listing needs no data lanes
  auto session = ImageSession::Open(config);
  if (!session.ok()) return ReportFailure(session.status());
  ReportSession(**session, spec->image);
  Status st = ListDirectory((*session)->appliance().control(), spec->path, options);
  std::fflush(stdout);
  Status closed = (*session)->Close();
  if (!st.ok()) return ReportFailure(InImage(st, spec->image));
  if (!closed.ok()) return ReportFailure(closed.WithContext("shutting the appliance down"));
  return kExitOk;
}

}  // namespace

void RegisterLsCommand(CLI::App* app, int* exit_code) {
  static LsOptions options;
  auto* ls = app->add_subcommand("ls", "list a directory inside a disk image (like virt-ls)");
  ls->add_option("target", options.target, "IMAGE[:PATH], e.g. disk.img:/etc")->required();
  ls->add_flag("-l,--long", options.long_format, "long listing: mode, links, uid, gid, size, mtime");
  ls->add_flag("-R,--recursive", options.recursive, "list subdirectories too, as full paths");
  AddDiskOptions(ls, &options.disk, /*with_filesystem=*/true);
  AddApplianceOptions(ls, &options.appliance);
  ls->callback([=] { *exit_code = RunLs(options); });
}

}  // namespace diskferry
