// Appliance: validation, shutdown and teardown. Launch is in appliance_launch.cc.
#include "appliance/appliance.h"

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

using std::chrono::milliseconds;

// The kernel unpacks the initramfs into RAM; below this even a small appliance fails.
constexpr uint32_t kMinMemoryMib = 128;
constexpr uint32_t kMaxVcpus = 64;
constexpr milliseconds kKillTimeout(5000);

Status CheckFileExists(const std::string& path, const std::string& what) {
  if (path.empty()) return Status(Code::kInvalidArgument, what + ": no path given");
  std::error_code ec;
  const auto st = std::filesystem::status(std::filesystem::path(path), ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    return ErrnoStatus(ENOENT, what + " " + path);
  }
  if (ec) return Status(Code::kIoError, what + " " + path + ": " + ec.message());
  if (std::filesystem::is_directory(st))
    return Status(Code::kInvalidArgument, what + " " + path + " is a directory");
  return Status::Ok();
}

bool IsFormatName(const std::string& format) {
  if (format.empty()) return false;
  for (const char c : format) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Status CheckSizes(const ApplianceConfig& c) {
  if (c.memory_mib < kMinMemoryMib) {
    return Status(Code::kInvalidArgument, "appliance memory " + std::to_string(c.memory_mib) +
                                              " MiB is below the minimum of " +
                                              std::to_string(kMinMemoryMib) + " MiB");
  }
  if (c.vcpus < 1 || c.vcpus > kMaxVcpus) {
    return Status(Code::kInvalidArgument,
                  "appliance vCPUs must be 1.." + std::to_string(kMaxVcpus));
  }
  if (c.shm_size != 0 && !IsValidShmSize(c.shm_size)) {
    return Status(Code::kInvalidArgument, "shared-memory size " + std::to_string(c.shm_size) +
                                              " is not a power of two of at least 8 KiB");
  }
  if (c.launch_timeout.count() <= 0 || c.call_timeout.count() <= 0) {
    return Status(Code::kInvalidArgument, "appliance timeouts must be positive");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateApplianceConfig(const ApplianceConfig& config) {
  if (Status s = CheckFileExists(config.image.kernel, "appliance kernel"); !s.ok()) return s;
  if (Status s = CheckFileExists(config.image.initrd, "appliance initramfs"); !s.ok()) return s;
  if (!config.image.storage.empty()) {
    if (Status s = CheckFileExists(config.image.storage, "appliance storage disk"); !s.ok()) {
      return s;
    }
  }
  if (config.drives.size() > kMaxDrives) {
    return Status(Code::kInvalidArgument, std::to_string(config.drives.size()) +
                                              " disks given; one appliance takes at most " +
                                              std::to_string(kMaxDrives));
  }
  for (const DriveSpec& d : config.drives) {
    std::vector<ImageLayer> layers = {{d.path, d.format}};
    layers.insert(layers.end(), d.backing.begin(), d.backing.end());
    for (const ImageLayer& layer : layers) {
      if (Status s = CheckFileExists(layer.path, "disk image"); !s.ok()) return s;
      if (!IsFormatName(layer.format)) {
        return Status(Code::kInvalidArgument, layer.path + ": disk format \"" + layer.format +
                                                  "\" is not a QEMU format name (raw, qcow2, ...)");
      }
    }
  }
  if (config.qemu_binary.empty()) return Status(Code::kInvalidArgument, "no QEMU binary given");
  return CheckSizes(config);
}

Appliance::~Appliance() {
  switch (state()) {
    case ApplianceState::kReady:
      (void)Shutdown(kDestructorShutdownTimeout);
      break;
    case ApplianceState::kConfig:  // Launch() always settles kLaunching; be safe anyway
    case ApplianceState::kLaunching:
      Teardown(/*keep_console_log=*/false);
      states_.Apply(state() == ApplianceState::kConfig ? ApplianceEvent::kClose
                                                       : ApplianceEvent::kFail);
      break;
    case ApplianceState::kClosed:
      break;
  }
}

std::unique_ptr<Appliance> Appliance::OverStream(std::unique_ptr<ControlClient> control,
                                                 HelloInfo hello) {
  std::unique_ptr<Appliance> appliance(new Appliance());
  appliance->control_ = std::move(control);
  appliance->hello_ = std::move(hello);
  appliance->states_.Apply(ApplianceEvent::kSpawn);  // kConfig --Spawn--> kLaunching
  appliance->states_.Apply(ApplianceEvent::kHello);  // kLaunching --Hello--> kReady
  return appliance;
}

Status Appliance::Shutdown(milliseconds timeout) {
  if (state() == ApplianceState::kClosed) return Status::Ok();
  if (state() != ApplianceState::kReady) {
    return Status(Code::kFailedPrecondition, "appliance is not running");
  }
  const Status result = PowerOff(timeout);
  Teardown(/*keep_console_log=*/false);
  states_.Apply(ApplianceEvent::kClose);  // kReady --Close--> kClosed
  return result;
}

Status Appliance::PowerOff(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool was_open = control_->state() == ControlClient::State::kOpen;
  Status asked = control_->Shutdown(timeout);
  // The guest may power off before its reply leaves: a channel closed by the peer during
  // the request means it is going. Any other failure: it was never told, so do not wait.
  if (was_open && asked.code() == Code::kUnavailable) asked = Status::Ok();
  if (!asked.ok()) {
    (void)qemu_.KillAndWait(kKillTimeout);
    return asked.WithContext("shutdown (QEMU killed)");
  }
  if (!qemu_.running()) return Status::Ok();  // OverStream: no QEMU to wait for
  const auto left =
      std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  if (qemu_.Wait(std::max(left, milliseconds(0))).ok()) return Status::Ok();
  (void)qemu_.KillAndWait(kKillTimeout);
  return Status(Code::kTimeout, "appliance did not power off within " +
                                    std::to_string(timeout.count()) + " ms; QEMU killed");
}

void Appliance::Teardown(bool keep_console_log) {
  if (control_) control_->Close();
  if (qemu_.running()) (void)qemu_.KillAndWait(kKillTimeout);
  listener_.Close();
  shm_.Close();
  std::error_code ec;
  const bool has_console = std::filesystem::file_size(console_log_, ec) > 0 && !ec;
  if (keep_console_log && console_log_is_ours_ && has_console) {
    dir_.RemoveAllBut(kConsoleLogName);
  } else {
    dir_.Remove();
  }
}

}  // namespace diskferry
