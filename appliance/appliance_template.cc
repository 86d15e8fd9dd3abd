// Appliance launches from templates (template_store.h): which launches use one, building
// it on first use, and falling back to a cold boot. docs/architecture.md, "Appliance
// templates", tells the life cycle.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "appliance/appliance.h"
#include "appliance/hypervisor_verdict.h"
#include "appliance/template_store.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Saving the device state of a VM without disks takes well under a second.
constexpr milliseconds kSaveTimeout(30000);
constexpr milliseconds kQuitTimeout(10000);

// What this process learnt about templates: which it has checked in full (the RAM file's
// checksum is read once per process), which failed to restore even after a rebuild (cold
// boots from then on), and which reasons for a cold boot it has already printed.
class TemplateVerdicts {
 public:
  static TemplateVerdicts& Shared() {
    static TemplateVerdicts verdicts;
    return verdicts;
  }
  bool Verified(const std::string& key) {
    std::lock_guard lock(mu_);
    return verified_.contains(key);
  }
  void MarkVerified(const std::string& key) {
    std::lock_guard lock(mu_);
    verified_.insert(key);
  }
  bool Failed(const std::string& key) {
    std::lock_guard lock(mu_);
    return failed_.contains(key);
  }
  void MarkFailed(const std::string& key) {
    std::lock_guard lock(mu_);
    failed_.insert(key);
    verified_.erase(key);
  }
  // True the first time `why` is seen.
  bool FirstTime(const std::string& why) {
    std::lock_guard lock(mu_);
    return said_.insert(why).second;
  }

 private:
  std::mutex mu_;
  std::set<std::string> verified_;
  std::set<std::string> failed_;
  std::set<std::string> said_;
};

// A fallback worth telling the user about goes to stderr once per process.
void SayOnce(const std::string& why, const char* what_next = "booting cold") {
  if (TemplateVerdicts::Shared().FirstTime(why)) {
    std::fprintf(stderr, "diskferry: appliance template: %s; %s\n", why.c_str(), what_next);
  }
}

// The accelerator a launch of `config` runs under, or nullopt while a probed hypervisor
// is still on trial (that launch boots cold, and proves or fails it).
std::optional<Accelerator> SettledAccelerator(const ApplianceConfig& config) {
  Result<AccelChoice> accel = ChooseAccelerator(config.accel);
  if (!accel.ok()) return std::nullopt;  // the cold launch reports it
  if (!accel->probed || accel->accel == Accelerator::kTcg) return accel->accel;
  HypervisorVerdicts& verdicts = HypervisorVerdicts::Shared();
  if (verdicts.KnownFailure(accel->accel, config.qemu_binary)) return Accelerator::kTcg;
  if (verdicts.Proven(accel->accel, config.qemu_binary)) return accel->accel;
  return std::nullopt;
}

}  // namespace

bool TemplatesAllowedByEnvironment() {
  const char* value = std::getenv(kTemplateEnvVar);
  if (value == nullptr) return true;
  const std::string v = value;
  return v != "off" && v != "0" && v != "no";
}

Status Appliance::BuildTemplate(const ApplianceConfig& config, const TemplateBuild& build,
                                bool* booted) {
  ApplianceConfig bare = config;
  bare.drives.clear();
  bare.image.storage.clear();
  bare.console_log.clear();
  // A guest's ivshmem BAR must sit at the same address in the saved VM and the restored
  // one (QEMU checks the guest address of every shared RAM block) and cannot be placed
  // before the restore: the template has none, the restored guest finds its launch's.
  bare.shm_size = 0;
  std::unique_ptr<Appliance> app(new Appliance());
  if (Status s = app->Start(bare, LaunchKind::kSaveTemplate, build.files()); !s.ok()) return s;
  *booted = true;
  Status saved = SaveVmState(app->qmp_socket_, build.files().state, Clock::now() + kSaveTimeout);
  if (saved.ok() && !app->qemu_.Wait(kQuitTimeout).ok()) {
    saved = Status(Code::kTimeout, "QEMU did not exit after saving the template");
  }
  // QEMU has quit, or is stopped mid-save and killed by Teardown: nothing to power off.
  app->Teardown(/*keep_console_log=*/false);
  app->states_.Apply(ApplianceEvent::kClose);  // kReady --Close--> kClosed
  return saved;
}

Result<std::unique_ptr<Appliance>> Appliance::LaunchFromTemplate(
    const ApplianceConfig& config, std::string* why_cold, std::function<void()>* if_cold_boots) {
  if (!config.use_template || !TemplatesAllowedByEnvironment()) return std::unique_ptr<Appliance>();
  const std::optional<Accelerator> accel = SettledAccelerator(config);
  if (!accel) return std::unique_ptr<Appliance>();  // the cold launch tries the hypervisor first
  Result<std::unique_ptr<TemplateStore>> store =
      OpenTemplateStore(config.template_dir.empty() ? DefaultTemplateDir() : config.template_dir);
  if (!store.ok())
    return std::unique_ptr<Appliance>();  // no templates on this host: cold boots are the norm
  Result<std::string> key = (*store)->Key(config, *accel);
  if (!key.ok()) {
    *why_cold = key.status().ToString();
    SayOnce(*why_cold);
    return std::unique_ptr<Appliance>();
  }
  if (std::string why = (*store)->Unusable(*key); !why.empty()) {
    *why_cold = "templates do not work with this QEMU and appliance: " + why;
    SayOnce(*why_cold + " (delete " + (*store)->dir() + "/" + *key + ".unusable to try again)");
    return std::unique_ptr<Appliance>();
  }
  TemplateVerdicts& verdicts = TemplateVerdicts::Shared();
  if (verdicts.Failed(*key)) {
    *why_cold = "the template in " + (*store)->dir() + " failed to restore, twice";
    return std::unique_ptr<Appliance>();
  }
  // At most: restore what is there; rebuild and restore once more.
  std::string last_failure;
  bool last_timeout = false;
  bool built = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The RAM file's checksum is read before QEMU starts: in parallel it takes the cores
    // a TCG guest needs, and the whole launch is no faster.
    Result<TemplateFiles> files = (*store)->Find(*key, !verdicts.Verified(*key));
    if (files.status().code() == Code::kFailedPrecondition) {
      SayOnce("a damaged template (" + files.status().message() + ")", "rebuilding it");
      (*store)->Discard(*key);
    }
    if (!files.ok()) {
      Result<std::unique_ptr<TemplateBuild>> build =
          (*store)->BeginBuild(*key, config.memory_mib, config.launch_timeout);
      if (!build.ok()) {
        *why_cold = "cannot build a template: " + build.status().ToString();
        break;
      }
      if (*build != nullptr) {
        bool booted = false;
        if (Status s = BuildTemplate(config, **build, &booted); !s.ok()) {
          if (!booted) return s;  // a cold boot would fail alike
          *why_cold = "saving the template failed: " + s.ToString();
          // A timeout may be a busy machine; anything else will fail again.
          if (s.code() != Code::kTimeout) (*store)->MarkUnusable(*key, *why_cold);
          break;
        }
        files = (*store)->Publish(std::move(*build), *key);
        built = true;
      } else {
        files = (*store)->Find(*key, /*verify_ram=*/false);  // another run built it
      }
      if (!files.ok()) {
        *why_cold = "cannot publish the template: " + files.status().ToString();
        break;
      }
    }
    verdicts.MarkVerified(*key);
    std::unique_ptr<Appliance> app(new Appliance());
    const Status started = app->Start(config, LaunchKind::kRestore, *files);
    if (started.ok()) {
      app->built_template_ = built;
      return app;
    }
    // The first line: the launch report's details are for a failed cold boot.
    last_timeout = started.code() == Code::kTimeout;
    last_failure = started.ToString();
    last_failure = last_failure.substr(0, last_failure.find('\n'));
    (*store)->Discard(*key);
  }
  if (why_cold->empty()) {
    *why_cold = "the template failed to restore: " + last_failure;
    // A drive QEMU cannot open fails a restore and a cold boot alike: the key is recorded
    // as unusable only once a cold boot has worked.
    std::shared_ptr<TemplateStore> shared(std::move(*store));
    *if_cold_boots = [shared, key = *key, why = *why_cold, last_timeout] {
      TemplateVerdicts::Shared().MarkFailed(key);
      if (!last_timeout) shared->MarkUnusable(key, why);
    };
  }
  SayOnce(*why_cold);
  return std::unique_ptr<Appliance>();
}

}  // namespace diskferry
