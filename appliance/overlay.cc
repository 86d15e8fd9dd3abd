#include "appliance/overlay.h"

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "appliance/process.h"

namespace diskferry {

Result<DiskChain> CreateOverlay(const DiskChain& base, const std::string& out) {
  if (int err = CreateNewFile(out); err != 0) {
    if (err == EEXIST) return Status(Code::kInvalidArgument, out + ": already exists; not overwriting");
    return ErrnoStatus(err, out);
  }
  const std::string absolute_out = std::filesystem::absolute(std::filesystem::path(out)).string();
  const std::string backing =
      std::filesystem::absolute(std::filesystem::path(base.image.path)).string();
  auto proc = Process::Spawn(SpawnOptions{{"qemu-img", "create", "-q", "-u", "-f", "qcow2", "-F",
                                           base.image.format, "-b", backing, absolute_out,
                                           std::to_string(base.virtual_size)},
                                          OutputMode::kPipe, ""});
  auto fail = [&](Status st) {
    std::error_code ec;
    std::filesystem::remove(std::filesystem::path(out), ec);
    return st;
  };
  if (!proc.ok()) return fail(proc.status().WithContext("qemu-img"));
  auto output = proc->ReadOutput(std::chrono::seconds(60));
  auto status = proc->Wait(std::chrono::seconds(60));
  if (!status.ok()) return fail(status.status());
  if (!status->success()) {
    return fail(Status(Code::kIoError, "qemu-img create " + out + " failed: " +
                                           (output.ok() ? *output : status->ToString())));
  }
  DiskChain overlay;
  overlay.image = {out, "qcow2"};
  overlay.backing.push_back(base.image);
  overlay.backing.insert(overlay.backing.end(), base.backing.begin(), base.backing.end());
  overlay.virtual_size = base.virtual_size;
  return overlay;
}

}  // namespace diskferry
