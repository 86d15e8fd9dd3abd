// Appliance: one running VM (QEMU + our daemon as /init), reached through its control
// channel and, optionally, an ivshmem region. ApplianceConfig is what the caller wants;
// Launch() turns it into a running Appliance or an error that says why it did not boot.
//
// Launch sequence (each step bounded by launch_timeout): private temp dir (mkdtemp under
// $TMPDIR) -> listening control socket (control_listener.h) -> the launch secret's file
// (launch_secret.h) -> /dev/shm region -> spawn QEMU -> accept QEMU's connection
// (watching QEMU: if it exits, its stderr is the error) -> send Hello at once (QEMU holds
// the bytes until the guest opens the port) -> wait for the reply (a kernel panic ends
// QEMU and closes the socket) -> on the tcp transport, drop a connection whose reply
// lacks the launch secret and accept the next (control_greeting.h) -> remove the secret's
// file -> check protocol version and shm stamp.
// A failed launch kills and reaps QEMU, removes the socket and /dev/shm file, and keeps
// the console log if the guest printed anything; its last lines are in the error together
// with the accelerator, the time spent, QEMU's exit status and output.
// A hypervisor chosen by probing that cannot boot the guest (QEMU aborts, or no hello and
// an empty console within kHypervisorTrialTimeout or half of launch_timeout) is recorded
// and the launch is redone once under TCG in the time left, the reason saying why
// (hypervisor_verdict.h).
//
// Lifecycle: appliance_state.h (kConfig -> kLaunching -> kReady -> kClosed).
// Resources never outlive the object: QEMU is killed and reaped, the socket directory and
// the shm file are removed. The shm name is unlinked as soon as the guest has said hello
// (QEMU and we keep our mappings), so even a SIGKILLed diskferry leaves nothing in
// /dev/shm; PR_SET_PDEATHSIG takes QEMU down with it (process.h).
//
// Threading: an Appliance is used by one thread at a time (its ControlClient is not
// thread-safe); distinct Appliances are independent and may run in parallel.
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/accelerator.h"
#include "appliance/appliance_image.h"
#include "appliance/appliance_state.h"
#include "appliance/control_client.h"
#include "appliance/control_listener.h"
#include "appliance/guest_types.h"
#include "appliance/image_layers.h"
#include "appliance/launch_secret.h"
#include "appliance/process.h"
#include "appliance/qemu_command.h"
#include "appliance/shm_region.h"
#include "appliance/temp_dir.h"
#include "appliance/template_store.h"

namespace diskferry {

struct DriveSpec {
  std::string path;
  std::string format = "raw";  // QEMU block driver: raw, qcow2, vmdk, vdi, vhdx, ...
  bool writable = false;       // false: attached readonly=on
  // The backing files QEMU may open, nearest first, read-only (ResolveDiskChain in
  // image_inspect.h checks them); empty: none, whatever the image's header names.
  std::vector<ImageLayer> backing;
  // Non-empty: read the drive from the NBD server on this unix socket, never from `path`
  // (ImageLayer::nbd_socket); such a drive is never writable.
  std::string nbd_socket = {};
};

inline constexpr uint64_t kDefaultShmSize = uint64_t{256} << 20;
inline constexpr std::chrono::seconds kDefaultShutdownTimeout(10);
// The destructor of a still-running appliance is quick: a short grace, then SIGKILL.
inline constexpr std::chrono::seconds kDestructorShutdownTimeout(2);

struct ApplianceConfig {
  ApplianceImage image;
  std::vector<DriveSpec> drives;  // /dev/vda, /dev/vdb, ... in this order
  uint32_t memory_mib = 512;
  uint32_t vcpus = 1;
  // 0: no ivshmem; else IsValidShmSize(). Ignored on Windows hosts (kHostHasIvshmem).
  uint64_t shm_size = kDefaultShmSize;
  AccelRequest accel = AccelRequest::kAuto;  // DISKFERRY_ACCEL applies to kAuto
  // TCG on a loaded CI machine is slow: generous by default.
  std::chrono::milliseconds launch_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds call_timeout = kDefaultCallTimeout;
  std::string qemu_binary = kDefaultQemuBinary;
  std::string machine = kDefaultMachine;
  std::string extra_kernel_args;  // appended to kDefaultKernelCmdline
  // Empty: console.log in the appliance's temp dir, removed on close and kept when the
  // launch fails. A path given here is never removed.
  std::string console_log;
  // Restore from an appliance template (template_store.h) where the host supports it and
  // DISKFERRY_TEMPLATE is not "off"; false: always boot cold.
  bool use_template = true;
  // The template store; empty: DefaultTemplateDir().
  std::string template_dir;
};

// Checks a config without starting anything: kernel, initrd and drives exist, formats are
// driver names, sizes and timeouts are sane. kInvalidArgument or kNotFound naming the field.
Status ValidateApplianceConfig(const ApplianceConfig& config);

class Appliance {
 public:
  // Boots an appliance. Errors: kInvalidArgument / kNotFound for a bad config (missing
  // kernel, initrd or drive; bad size); kUnavailable when KVM was demanded but is
  // unusable, QEMU is missing or exited, or the guest closed the channel; kTimeout when
  // the daemon did not say hello in time; kProtocolError for a daemon of another protocol
  // version or an unstamped shm region. Launch errors name the accelerator, the elapsed
  // time, QEMU's exit status and output, and the console log's last lines and path.
  static Result<std::unique_ptr<Appliance>> Launch(const ApplianceConfig& config);
  // An appliance without QEMU, kReady at once: its control channel is `control`, connected
  // to a daemon that already said `hello` (one serving a scratch directory in-process, or
  // a scripted fake guest), with no shared memory. For tests of what drives appliances
  // (runner/): Shutdown() asks the peer to power off and waits for nothing else.
  static std::unique_ptr<Appliance> OverStream(std::unique_ptr<ControlClient> control,
                                               HelloInfo hello);

  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;
  // If still ready: Shutdown(kDestructorShutdownTimeout), then SIGKILL.
  ~Appliance();

  // Asks the daemon to power off, waits up to `timeout` for QEMU to exit, else kills it;
  // then removes the socket directory and the shm file. kReady --Close--> kClosed.
  // Ok if the guest powered off by itself; kTimeout if QEMU had to be killed; otherwise
  // the error of the Shutdown request (QEMU is gone in every case). Ok once closed.
  // A control channel that already failed (ControlClient kBroken) has killed QEMU at
  // that moment (docs/protocol.md: a call past its timeout kills the appliance); Shutdown
  // then only reaps and cleans up.
  Status Shutdown(std::chrono::milliseconds timeout = kDefaultShutdownTimeout);

  ApplianceState state() const { return states_.state(); }
  const HelloInfo& hello() const { return hello_; }
  // The control channel; valid while state() is kReady. When a call breaks it (timeout,
  // protocol error, QEMU gone), QEMU is killed at once: the appliance is then useless.
  ControlClient& control() { return *control_; }
  Accelerator accel() const { return accel_.accel; }
  const std::string& accel_reason() const { return accel_.reason; }
  // From spawning QEMU to the Hello reply.
  std::chrono::milliseconds launch_time() const { return launch_time_; }
  const std::string& console_log_path() const { return console_log_; }
  // The QEMU command line, runnable in a shell (for bug reports and debugging).
  std::string ShellCommand() const { return command_.ShellCommand(); }
  // The host end of the ivshmem region, or nullptr when launched with shm_size 0.
  ShmRegion* shm() { return shm_.valid() ? &shm_ : nullptr; }
  int64_t qemu_pid() const { return qemu_.pid(); }
  // True when this appliance was restored from a template rather than booted.
  bool templated() const { return kind_ == LaunchKind::kRestore; }
  // True when this launch built the template it was restored from (none existed yet).
  bool built_template() const { return built_template_; }
  // Why a launch that could have used a template booted cold ("" when templated, or when
  // templates are off by choice): for reports and `appliance check`.
  const std::string& template_note() const { return template_note_; }

 private:
  static constexpr char kConsoleLogName[] = "console.log";
  // A cold boot; the boot of the VM a template is saved from (RAM in the template's file,
  // shared, a QMP socket, no disks); a restore from a template.
  enum class LaunchKind { kCold, kSaveTemplate, kRestore };

  Appliance() = default;

  // appliance_template.cc
  // A templated launch, or nullptr (with *why_cold set when templates were wanted) when
  // this launch must boot cold. An error when the template's own boot failed: that boot
  // is a cold boot of the same appliance, so its failure is the launch's.
  // *if_cold_boots is set when the template failed in a way a cold boot tells apart: run
  // it once the cold boot has succeeded (the template, not the job's disks, was at fault).
  static Result<std::unique_ptr<Appliance>> LaunchFromTemplate(
      const ApplianceConfig& config, std::string* why_cold, std::function<void()>* if_cold_boots);
  // Launch without a template; `why_cold` becomes template_note().
  static Result<std::unique_ptr<Appliance>> LaunchCold(const ApplianceConfig& config,
                                                       const std::string& why_cold);
  // Boots `config` without its disks and saves it into `build` (template_store.h). Sets
  // *booted once the VM said hello.
  static Status BuildTemplate(const ApplianceConfig& config, const TemplateBuild& build,
                              bool* booted);

  // appliance_launch.cc
  Status Start(const ApplianceConfig& config, LaunchKind kind = LaunchKind::kCold,
               const TemplateFiles& files = {});
  Status Prepare(const ApplianceConfig& config);
  Status SpawnQemu(const ApplianceConfig& config);
  Status WriteLaunchSecret();
  void RemoveLaunchSecretFile();
  Status ConnectAndGreet(const ApplianceConfig& config);
  // Ok while QEMU runs; kUnavailable with its exit status once it has exited.
  Status QemuStillRunning();
  Status CheckHello() const;
  Status LaunchFailure(const Status& why);
  // True when a probed hypervisor's trial launch failed before the guest printed a
  // line: the hypervisor, not the appliance, is at fault (hypervisor_verdict.h).
  bool HypervisorFailedTrial(const Status& why) const;
  Status AbandonTrial(const Status& why, const std::string& qemu_binary);
  std::chrono::milliseconds LaunchTimeLeft() const;

  // appliance.cc
  Status PowerOff(std::chrono::milliseconds timeout);
  void Teardown(bool keep_console_log);

  ApplianceStateMachine states_;
  AccelChoice accel_;
  TempDir dir_;
  std::string console_log_;
  bool console_log_is_ours_ = false;
  ControlListener listener_;
  ShmRegion shm_;
  // Handed to QEMU through secret_path_ (removed once the daemon said hello).
  std::optional<LaunchSecret> secret_;
  std::string secret_path_;
  QemuCommand command_;
  Process qemu_;
  std::chrono::steady_clock::time_point spawned_at_;
  std::chrono::milliseconds launch_timeout_{0};
  // This launch tries a probed hypervisor not yet proven in this process.
  bool hypervisor_trial_ = false;
  // Set by AbandonTrial: Launch retries under TCG.
  bool hypervisor_failed_ = false;
  std::unique_ptr<ControlClient> control_;
  HelloInfo hello_;
  std::chrono::milliseconds launch_time_{0};
  LaunchKind kind_ = LaunchKind::kCold;
  TemplateFiles template_files_;
  std::string qmp_socket_;  // not kCold
  std::string template_note_;
  bool built_template_ = false;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_H_
