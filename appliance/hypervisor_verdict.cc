#include "appliance/hypervisor_verdict.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include "appliance/cache_dir.h"

namespace diskferry {
namespace {

// Tabs and newlines would break the one-line-per-failure file.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

}  // namespace

std::string HostBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!in || !std::getline(in, id)) return "";
  return OneLine(id);
}

HypervisorVerdicts::HypervisorVerdicts(std::string file, std::string boot_id)
    : file_(std::move(file)), boot_id_(std::move(boot_id)) {}

HypervisorVerdicts& HypervisorVerdicts::Shared() {
  static HypervisorVerdicts* const shared = new HypervisorVerdicts(
      (std::filesystem::path(DefaultCacheDir()) / kHypervisorVerdictFile).string(), HostBootId());
  return *shared;
}

std::string HypervisorVerdicts::Key(Accelerator accel, const std::string& qemu_binary) const {
  return std::string(AccelName(accel)) + " " + OneLine(qemu_binary);
}

void HypervisorVerdicts::LoadLocked() {
  if (loaded_) return;
  loaded_ = true;
  if (file_.empty() || boot_id_.empty()) return;
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos || line.compare(0, tab1, boot_id_) != 0 || tab1 != boot_id_.size()) {
      continue;
    }
    failures_.emplace(line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1));
  }
}

std::optional<std::string> HypervisorVerdicts::KnownFailure(Accelerator accel,
                                                            const std::string& qemu_binary) {
  std::lock_guard<std::mutex> lock(mu_);
  LoadLocked();
  const auto it = failures_.find(Key(accel, qemu_binary));
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

bool HypervisorVerdicts::Proven(Accelerator accel, const std::string& qemu_binary) {
  std::lock_guard<std::mutex> lock(mu_);
  return proven_.count(Key(accel, qemu_binary)) != 0;
}

void HypervisorVerdicts::RecordSuccess(Accelerator accel, const std::string& qemu_binary) {
  std::lock_guard<std::mutex> lock(mu_);
  proven_.insert(Key(accel, qemu_binary));
}

void HypervisorVerdicts::RecordFailure(Accelerator accel, const std::string& qemu_binary,
                                       const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  LoadLocked();
  failures_[Key(accel, qemu_binary)] = OneLine(reason);
  if (file_.empty() || boot_id_.empty()) return;
  // Whole file to a temporary, then rename: a concurrent reader sees the old or new list.
  std::error_code ec;
  const std::filesystem::path target(file_);
  std::filesystem::create_directories(target.parent_path(), ec);
  const std::filesystem::path temp = target.string() + ".tmp" + std::to_string(std::random_device{}());
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& [key, why] : failures_) out << boot_id_ << '\t' << key << '\t' << why << '\n';
    if (!out.flush()) {
      std::filesystem::remove(temp, ec);
      return;
    }
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace diskferry
