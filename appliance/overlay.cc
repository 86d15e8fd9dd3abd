#include "appliance/overlay.h"

#include <chrono>
#include <filesystem>

#include "appliance/process.h"

namespace diskferry {

Status CreateOverlay(const std::string& image, const std::string& format, const std::string& out) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(out), ec) || ec) {
    return Status(Code::kInvalidArgument, out + ": already exists; not overwriting");
  }
  const std::string backing = std::filesystem::absolute(image).string();
  auto proc = Process::Spawn(SpawnOptions{{"qemu-img", "create", "-q", "-f", "qcow2", "-F",
                                           format.empty() ? "raw" : format, "-b", backing, out},
                                          OutputMode::kPipe, ""});
  if (!proc.ok()) return proc.status().WithContext("qemu-img");
  auto output = proc->ReadOutput(std::chrono::seconds(60));
  auto status = proc->Wait(std::chrono::seconds(60));
  if (!status.ok()) return status.status();
  if (!status->success()) {
    return Status(Code::kIoError, "qemu-img create " + out + " failed: " +
                                      (output.ok() ? *output : status->ToString()));
  }
  return Status::Ok();
}

}  // namespace diskferry
