// Appliance templates (docs/architecture.md, "Appliance templates"): a VM booted once to the
// point where its daemon waits for its next request, before any disk exists, and saved as
// two files, its RAM and a migration stream of its device state. Appliance::Launch
// restores later appliances from it (appliance.h) instead of booting them.
//
// The store, under DefaultCacheDir()/templates:
//   KEY/            a published template: `ram`, `state`, `template.json` (the checksums and
//                   identities of both files)
//   tmp-XXXXXX/     a template being built (or one being deleted)
//   lock            flock(2)ed while building, so concurrent runs build one template
// A template appears only by rename(2) of a finished staging directory. It is never
// written after that: every appliance maps its RAM privately (copy-on-write).
//
// The platform interface: template_store_posix.cc on Linux; on Windows
// (qemu-win/template_store_win.cc) OpenTemplateStore says templates need a Linux host and
// every launch boots cold.
//
// Thread-safe and multi-process-safe: all state is on disk and changes by rename.
#ifndef DISKFERRY_APPLIANCE_TEMPLATE_STORE_H_
#define DISKFERRY_APPLIANCE_TEMPLATE_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "appliance/accelerator.h"
#include "protocol/status.h"

namespace diskferry {

struct ApplianceConfig;

// "off" (or "0", "no"): every launch boots cold (ApplianceConfig::use_template too).
inline constexpr char kTemplateEnvVar[] = "DISKFERRY_TEMPLATE";
// Bumped whenever what a template holds or how it is restored changes.
inline constexpr int kTemplateFormatVersion = 1;
// Published templates kept beside the one in use; older ones are deleted.
inline constexpr size_t kTemplatesKept = 2;

// False when kTemplateEnvVar says "off", "0" or "no".
bool TemplatesAllowedByEnvironment();

// The files of one template.
struct TemplateFiles {
  std::string dir;
  std::string ram;    // the guest's RAM, exactly memory_mib MiB (sparse)
  std::string state;  // QEMU's migration stream, RAM left out (x-ignore-shared)
};

// A template being built: its staging directory with an empty RAM file of the right size,
// holding the store's build lock until published or dropped (which deletes it).
class TemplateBuild {
 public:
  virtual ~TemplateBuild() = default;
  virtual const TemplateFiles& files() const = 0;
};

class TemplateStore {
 public:
  virtual ~TemplateStore() = default;

  const std::string& dir() const { return dir_; }

  // The key of the template `config` (its image, machine, memory, vCPUs,
  // kernel command line and QEMU binary) gives under `accel`: hex SHA-256 of a text that
  // names each input, files by path, size, mtime and inode. Errors: a file that cannot
  // be stat()ed.
  virtual Result<std::string> Key(const ApplianceConfig& config, Accelerator accel) const = 0;

  // The published template `key`. kNotFound when there is none; kFailedPrecondition when its files
  // are not the ones published (another size, inode, mtime or ctime) or the state's
  // checksum fails: the caller discards it. `verify_ram` also checks the RAM file's
  // checksum (reads the whole file).
  virtual Result<TemplateFiles> Find(const std::string& key, bool verify_ram) const = 0;

  // Takes the build lock (waiting up to `lock_timeout` for another builder) and makes a
  // staging directory with a sparse RAM file of `memory_mib` MiB. When a template `key`
  // was published while waiting, returns nullptr: use it.
  virtual Result<std::unique_ptr<TemplateBuild>> BeginBuild(
      const std::string& key, uint32_t memory_mib, std::chrono::milliseconds lock_timeout) = 0;

  // Flushes both files to disk, records their checksums and identities in template.json
  // and renames the staging directory to `key`, replacing any template there. Then deletes
  // all but the kTemplatesKept most recently published templates.
  virtual Result<TemplateFiles> Publish(std::unique_ptr<TemplateBuild> build,
                                        const std::string& key) = 0;

  // Deletes template `key` (best effort).
  virtual void Discard(const std::string& key) = 0;

  // Records that templates of `key` cannot be made or restored on this host (`why`), so
  // that later processes boot cold at once instead of trying again: KEY.unusable. A new
  // QEMU, kernel or appliance gives a new key and so another try.
  virtual void MarkUnusable(const std::string& key, const std::string& why) = 0;
  // The reason MarkUnusable recorded for `key`, or "" when none.
  virtual std::string Unusable(const std::string& key) const = 0;

 protected:
  explicit TemplateStore(std::string dir) : dir_(std::move(dir)) {}

 private:
  std::string dir_;
};

// The store in `dir` (created when missing). kUnavailable on a host without templates.
Result<std::unique_ptr<TemplateStore>> OpenTemplateStore(const std::string& dir);

// The default store's directory: DefaultCacheDir() + "/templates" (cache_dir.h).
std::string DefaultTemplateDir();

// Restores the VM reached through the QMP socket at `qmp_socket`, started with
// `-incoming defer` and the template's RAM file mapped privately: sets x-ignore-shared,
// feeds it the migration stream in `state_path`, waits for the load to complete and
// resumes the VM, all before `deadline`. Errors as SaveVmState's.
Status RestoreVmState(const std::string& qmp_socket, const std::string& state_path,
                      std::chrono::steady_clock::time_point deadline);

// Saves the VM reached through the QMP socket at `qmp_socket`: stops it, sets the
// x-ignore-shared migration capability, migrates its device state to `state_path` (RAM is
// file-backed and shared, so left out),
// waits for the migration to complete and quits QEMU, all before `deadline`. Errors name
// the step: kTimeout, kUnavailable with QEMU's reason.
Status SaveVmState(const std::string& qmp_socket, const std::string& state_path,
                   std::chrono::steady_clock::time_point deadline);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_TEMPLATE_STORE_H_
