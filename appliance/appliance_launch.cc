// Appliance::Launch and its steps. The lifecycle, shutdown and teardown live in
// appliance.cc; the failure report's pieces in launch_report.cc.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "appliance/appliance.h"
#include "appliance/control_greeting.h"
#include "appliance/hypervisor_verdict.h"
#include "appliance/launch_report.h"
#include "host/host_path.h"
#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kQemuOutputName[] = "qemu.log";
// The launch secret's file in the appliance's private directory (launch_secret.h).
constexpr char kLaunchSecretFileName[] = "secret";
// How often the accept loop checks whether QEMU is still alive.
constexpr milliseconds kQemuCheckInterval(50);
// After the channel closes during boot, QEMU is normally already exiting (panic=-1 and
// -no-reboot): give it this long so the error can carry its exit status.
constexpr milliseconds kExitGrace(2000);
constexpr milliseconds kKillTimeout(5000);
// A restore takes a fraction of a second; past this, the template is at fault and a cold
// boot is the better bet (appliance_template.cc).
constexpr milliseconds kRestoreTimeout(20000);
constexpr char kQmpSocketName[] = "qmp";

struct ShmStamp {
  uint64_t magic;
  uint32_t version;
  uint64_t region_size;
};

// Field by field into locals: the guest may still be writing (shm_layout.h).
ShmStamp ReadShmStamp(const uint8_t* header) {
  ShmStamp s;
  std::memcpy(&s.magic, header + offsetof(ShmHeader, magic), sizeof s.magic);
  std::memcpy(&s.version, header + offsetof(ShmHeader, version), sizeof s.version);
  std::memcpy(&s.region_size, header + offsetof(ShmHeader, region_size), sizeof s.region_size);
  return s;
}

// The control channel's two ends: where we listen (DISKFERRY_CONTROL chooses how), and
// how QEMU's chardev reaches it.
Result<ControlListener> ListenForQemu(const TempDir& dir) {
  return ControlListener::Listen(dir.path());
}

void ConnectControlPort(const ControlListener& listener, QemuCommand* cmd) {
  listener.ConnectQemu(cmd);
}

// How the VM starts: booted, booted to be saved as a template, or restored from one.
struct StartFrom {
  bool save_template = false;
  bool restore = false;
  TemplateFiles files;
  std::string qmp_socket;
};

QemuCommand BuildCommand(const ApplianceConfig& config, Accelerator accel,
                         const std::string& console_log, const ControlListener& listener,
                         const ShmRegion& shm, const std::string& secret_path,
                         const StartFrom& from) {
  std::string cmdline = kDefaultKernelCmdline;
  if (!config.extra_kernel_args.empty()) cmdline += " " + config.extra_kernel_args;
  QemuCommand cmd;
  cmd.Binary(config.qemu_binary).Machine(config.machine).Accel(accel);
  cmd.Memory(config.memory_mib).Cpus(config.vcpus).NoDefaults().ConsoleLog(console_log);
  cmd.Kernel(config.image.kernel).Initrd(config.image.initrd).Append(cmdline);
  for (const DriveSpec& d : config.drives) {
    cmd.AddDrive({d.path, d.format, !d.writable, d.backing, d.nbd_socket});
  }
  cmd.StorageDisk(config.image.storage);
  ConnectControlPort(listener, &cmd);
  if (shm.valid()) cmd.SharedMemory(shm.path(), shm.size());
  cmd.FirmwareFile(kLaunchSecretFwCfgName, secret_path);
  if (from.save_template) {
    cmd.RamFile(from.files.ram, /*shared=*/true).QmpSocket(from.qmp_socket);
  } else if (from.restore) {
    cmd.RamFile(from.files.ram, /*shared=*/false).IncomingDeferred().QmpSocket(from.qmp_socket);
  }
  return cmd;
}

}  // namespace

Result<std::unique_ptr<Appliance>> Appliance::Launch(const ApplianceConfig& config) {
  if (Status s = ValidateApplianceConfig(config); !s.ok()) return s;
  std::string why_cold;
  std::function<void()> if_cold_boots;
  Result<std::unique_ptr<Appliance>> restored =
      LaunchFromTemplate(config, &why_cold, &if_cold_boots);
  if (!restored.ok() || *restored != nullptr) return restored;
  Result<std::unique_ptr<Appliance>> cold = LaunchCold(config, why_cold);
  if (cold.ok() && if_cold_boots) if_cold_boots();
  return cold;
}

Result<std::unique_ptr<Appliance>> Appliance::LaunchCold(const ApplianceConfig& config,
                                                         const std::string& why_cold) {
  const auto start = Clock::now();
  std::unique_ptr<Appliance> app(new Appliance());
  app->template_note_ = why_cold;
  Status started = app->Start(config);
  if (started.ok()) return app;
  if (!app->hypervisor_failed_) return started;
  // The failure is recorded: Prepare now chooses TCG, and says why. The trial's time
  // counts against launch_timeout.
  ApplianceConfig retry = config;
  retry.launch_timeout -= std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  app.reset(new Appliance());
  app->template_note_ = why_cold;
  if (Status s = app->Start(retry); !s.ok()) return s;
  return app;
}

Status Appliance::Start(const ApplianceConfig& config, LaunchKind kind,
                        const TemplateFiles& files) {
  kind_ = kind;
  template_files_ = files;
  Status started = Prepare(config);
  if (started.ok()) started = SpawnQemu(config);
  if (!started.ok()) {
    Teardown(/*keep_console_log=*/false);
    states_.Apply(ApplianceEvent::kClose);  // kConfig --Close--> kClosed
    return started;
  }
  states_.Apply(ApplianceEvent::kSpawn);  // kConfig --Spawn--> kLaunching
  if (kind_ == LaunchKind::kRestore) {
    const Status restored =
        RestoreVmState(qmp_socket_, template_files_.state, Clock::now() + LaunchTimeLeft());
    if (!restored.ok()) return LaunchFailure(restored);
  }
  if (Status s = ConnectAndGreet(config); !s.ok()) {
    if (HypervisorFailedTrial(s)) return AbandonTrial(s, config.qemu_binary);
    return LaunchFailure(s);
  }
  if (hypervisor_trial_) HypervisorVerdicts::Shared().RecordSuccess(accel_.accel, config.qemu_binary);
  shm_.Unlink();  // QEMU has mapped it: nothing left to name it by
  // From now on a failed call leaves the stream unusable, and so the appliance.
  control_->SetBrokenHook([this](const Status&) { (void)qemu_.Kill(); });
  states_.Apply(ApplianceEvent::kHello);  // kLaunching --Hello--> kReady
  return Status::Ok();
}

Status Appliance::Prepare(const ApplianceConfig& config) {
  Result<AccelChoice> accel = ChooseAccelerator(config.accel);
  if (!accel.ok()) return accel.status();
  accel_ = *accel;
  launch_timeout_ = config.launch_timeout;
  if (kind_ == LaunchKind::kRestore) launch_timeout_ = std::min(launch_timeout_, kRestoreTimeout);
  if (accel_.probed && accel_.accel != Accelerator::kTcg) {
    HypervisorVerdicts& verdicts = HypervisorVerdicts::Shared();
    if (std::optional<std::string> failed = verdicts.KnownFailure(accel_.accel, config.qemu_binary)) {
      accel_ = AccelChoice{Accelerator::kTcg, "TCG: " + *failed, true};
    } else if (!verdicts.Proven(accel_.accel, config.qemu_binary)) {
      hypervisor_trial_ = true;
      // Half at most, so that TCG keeps time to boot within launch_timeout.
      launch_timeout_ = std::min<milliseconds>(kHypervisorTrialTimeout, launch_timeout_ / 2);
    }
  }
  Result<TempDir> dir = TempDir::Create("diskferry-");
  if (!dir.ok()) return dir.status();
  dir_ = std::move(*dir);
  console_log_is_ours_ = config.console_log.empty();
  console_log_ = console_log_is_ours_ ? dir_.File(kConsoleLogName) : config.console_log;
  Result<ControlListener> listener = ListenForQemu(dir_);
  if (!listener.ok()) return listener.status();
  listener_ = std::move(*listener);
  if (Status s = WriteLaunchSecret(); !s.ok()) return s;
  if (config.shm_size != 0 && kHostHasIvshmem) {
    Result<ShmRegion> shm = ShmRegion::Create(config.shm_size);
    if (!shm.ok()) return shm.status();
    shm_ = std::move(*shm);
  }
  StartFrom from;
  from.save_template = kind_ == LaunchKind::kSaveTemplate;
  from.restore = kind_ == LaunchKind::kRestore;
  from.files = template_files_;
  if (kind_ != LaunchKind::kCold) qmp_socket_ = from.qmp_socket = dir_.File(kQmpSocketName);
  command_ = BuildCommand(config, accel_.accel, console_log_, listener_, shm_, secret_path_, from);
  return Status::Ok();
}

// Drawn for both transports (one code path, and cheap); only tcp asks for it back.
Status Appliance::WriteLaunchSecret() {
  Result<LaunchSecret> secret = LaunchSecret::Draw();
  if (!secret.ok()) return secret.status().WithContext("launch secret");
  secret_path_ = dir_.File(kLaunchSecretFileName);
  if (Status s = secret->WriteTo(secret_path_); !s.ok()) return s.WithContext("launch secret");
  secret_.emplace(*secret);
  return Status::Ok();
}

void Appliance::RemoveLaunchSecretFile() {
  if (secret_path_.empty()) return;
  std::error_code ec;
  if (Result<std::filesystem::path> path = HostFsPath(secret_path_); path.ok()) {
    std::filesystem::remove(*path, ec);
  }
  secret_path_.clear();
}

Status Appliance::SpawnQemu(const ApplianceConfig& config) {
  SpawnOptions options;
  options.argv = command_.Argv();
  options.output = OutputMode::kFile;
  options.output_path = dir_.File(kQemuOutputName);
  spawned_at_ = Clock::now();
  Result<Process> qemu = Process::Spawn(options);
  if (!qemu.ok()) return qemu.status().WithContext("start QEMU");
  qemu_ = std::move(*qemu);
  return Status::Ok();
}

milliseconds Appliance::LaunchTimeLeft() const {
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - spawned_at_);
  return std::max(milliseconds(0), launch_timeout_ - elapsed);
}

Status Appliance::QemuStillRunning() {
  Result<std::optional<ExitStatus>> exited = qemu_.TryWait();
  if (!exited.ok()) return exited.status();
  if (!exited->has_value()) return Status::Ok();
  return Status(Code::kUnavailable,
                "QEMU " + (*exited)->ToString() + " before connecting to the control socket");
}

Status Appliance::ConnectAndGreet(const ApplianceConfig& config) {
  GreetingOptions options;
  options.secret = secret_ ? &*secret_ : nullptr;
  options.require_secret = listener_.transport() == ControlTransport::kTcp;
  options.call_timeout = config.call_timeout;
  options.check_interval = kQemuCheckInterval;
  options.time_left = [this] { return LaunchTimeLeft(); };
  options.keep_waiting = [this] { return QemuStillRunning(); };
  options.hello.template_point = kind_ == LaunchKind::kSaveTemplate;
  if (kind_ == LaunchKind::kRestore) {
    options.hello.disks =
        static_cast<uint32_t>(config.drives.size() + (config.image.storage.empty() ? 0 : 1));
  }
  Result<DaemonGreeting> greeting = AcceptDaemon(&listener_, options);
  listener_.Close();  // one connection only; unlinks the socket path
  if (!greeting.ok()) return greeting.status();
  control_ = std::move(greeting->client);
  launch_time_ = std::chrono::duration_cast<milliseconds>(Clock::now() - spawned_at_);
  hello_ = std::move(greeting->hello);
  hello_.launch_secret.clear();  // checked; nobody needs it any more
  // QEMU read it at start-up; the guest's copy is in fw_cfg.
  RemoveLaunchSecretFile();
  return CheckHello();
}

Status Appliance::CheckHello() const {
  const auto ours = static_cast<uint32_t>(proto::ProtocolVersion::V0);
  if (hello_.protocol_version != ours) {
    return Status(Code::kProtocolError,
                  "daemon " + hello_.daemon_version + " speaks protocol version " +
                      std::to_string(hello_.protocol_version) + ", this diskferry speaks " +
                      std::to_string(ours) + " (stale appliance image?)");
  }
  if (kind_ == LaunchKind::kRestore && !hello_.restored) {
    return Status(Code::kProtocolError, "the appliance did not come from its template");
  }
  if (!shm_.valid()) return Status::Ok();
  if (hello_.shm_size != shm_.size()) {
    return Status(Code::kProtocolError, "guest sees a shared-memory region of " +
                                            std::to_string(hello_.shm_size) + " bytes, not " +
                                            std::to_string(shm_.size()));
  }
  const ShmStamp stamp = ReadShmStamp(shm_.data());
  if (stamp.magic != kShmMagic || stamp.version != kShmLayoutVersion ||
      stamp.region_size != shm_.size()) {
    char magic[19];
    std::snprintf(magic, sizeof magic, "0x%016llx", static_cast<unsigned long long>(stamp.magic));
    return Status(Code::kProtocolError,
                  std::string("the guest did not stamp the shared-memory header: magic ") + magic +
                      ", version " + std::to_string(stamp.version) + ", size " +
                      std::to_string(stamp.region_size));
  }
  return Status::Ok();
}

bool Appliance::HypervisorFailedTrial(const Status& why) const {
  if (!hypervisor_trial_) return false;
  if (why.code() != Code::kTimeout && why.code() != Code::kUnavailable) return false;
  // A guest that printed anything ran: its failure (a panic, say) is the appliance's.
  std::error_code ec;
  const auto size = std::filesystem::file_size(std::filesystem::path(console_log_), ec);
  return ec || size == 0;
}

Status Appliance::AbandonTrial(const Status& why, const std::string& qemu_binary) {
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - spawned_at_);
  std::string fate;
  if (why.code() == Code::kUnavailable) {
    Result<ExitStatus> exit = qemu_.Wait(kExitGrace);
    if (exit.ok()) fate = "QEMU " + exit->ToString();
  }
  if (fate.empty()) {
    (void)qemu_.KillAndWait(kKillTimeout);
    fate = "no sign of life in " + std::to_string(elapsed.count() / 1000) + " s";
  }
  std::string output = TailLines(dir_.File(kQemuOutputName), 1);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  const std::string name = accel_.accel == Accelerator::kKvm ? "KVM" : "WHPX";
  std::string reason = name + " could not boot the appliance (" +
                       fate + (output.empty() ? "" : ": " + output) +
                       "); set " + kAccelEnvVar + "=" + std::string(AccelName(accel_.accel)) +
                       " to insist";
  HypervisorVerdicts::Shared().RecordFailure(accel_.accel, qemu_binary, reason);
  hypervisor_failed_ = true;
  Teardown(/*keep_console_log=*/false);
  states_.Apply(ApplianceEvent::kFail);  // kLaunching --Fail--> kClosed
  return why;
}

Status Appliance::LaunchFailure(const Status& why) {
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - spawned_at_);
  std::string qemu_fate;
  // The channel closed or QEMU exited: it is on its way out, so give it time to report.
  if (why.code() == Code::kUnavailable || why.code() == Code::kIoError) {
    Result<ExitStatus> exit = qemu_.Wait(kExitGrace);
    if (exit.ok()) qemu_fate = exit->ToString();
  }
  if (qemu_fate.empty()) {
    Result<ExitStatus> killed = qemu_.KillAndWait(kKillTimeout);
    qemu_fate = killed.ok() ? "was still running; killed"
                            : "could not be killed: " + killed.status().ToString();
  }
  LaunchReport report;
  report.why = why;
  report.accel = accel_;
  report.elapsed = elapsed;
  report.qemu_fate = std::move(qemu_fate);
  report.qemu_output_path = dir_.File(kQemuOutputName);
  report.console_log_path = console_log_;
  report.command = command_.ShellCommand();
  const Status status = FormatLaunchFailure(report);
  Teardown(/*keep_console_log=*/true);
  states_.Apply(ApplianceEvent::kFail);  // kLaunching --Fail--> kClosed
  return status;
}

}  // namespace diskferry
