#include "sinks/host_costs.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "sinks/host_file.h"

namespace diskferry {
namespace {

constexpr std::chrono::milliseconds kMinReadSample(500);

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace

uint64_t SplitWeightFor(const HostCosts& costs, uint64_t fallback) {
  if (!costs.measured()) return fallback;
  const double weight = kSplitLaunches * costs.launch_seconds * costs.weight_per_second;
  if (weight <= static_cast<double>(kMinSplitWeight)) return kMinSplitWeight;
  if (weight >= static_cast<double>(kMaxSplitWeight)) return kMaxSplitWeight;
  return static_cast<uint64_t>(weight);
}

int MaxPartsFor(unsigned cpus) { return cpus > 2 ? static_cast<int>(cpus) - 1 : 1; }

HostCosts LoadHostCosts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return {};
  HostCosts costs;
  const auto number = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() && it->get<double>() > 0 ? it->get<double>() : 0.0;
  };
  costs.launch_seconds = number("launch_seconds");
  costs.weight_per_second = number("weight_per_second");
  return costs;
}

Status SaveHostCosts(const std::string& path, const HostCosts& costs) {
  const std::string temp = path + "." + std::to_string(std::random_device{}()) + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << nlohmann::json{{"launch_seconds", costs.launch_seconds},
                          {"weight_per_second", costs.weight_per_second}}
               .dump(2)
        << "\n";
    if (!out) return Status(Code::kIoError, "cannot write " + temp);
  }
  if (const int err = RenameHostFile(temp, path); err != 0) {
    return ErrnoStatus(err, "rename " + temp);
  }
  return Status::Ok();
}

void HostCostMeter::AddLaunch(std::chrono::milliseconds took) {
  if (took.count() <= 0) return;
  std::lock_guard lock(mu_);
  launches_.push_back(std::chrono::duration<double>(took).count());
}

void HostCostMeter::AddRead(uint64_t weight, std::chrono::milliseconds took) {
  if (took < kMinReadSample || weight == 0) return;
  std::lock_guard lock(mu_);
  rates_.push_back(static_cast<double>(weight) / std::chrono::duration<double>(took).count());
}

bool HostCostMeter::measured() const {
  std::lock_guard lock(mu_);
  return !launches_.empty() || !rates_.empty();
}

HostCosts HostCostMeter::Merge(const HostCosts& previous) const {
  std::lock_guard lock(mu_);
  HostCosts costs = previous;
  if (!launches_.empty()) costs.launch_seconds = Median(launches_);
  if (!rates_.empty()) costs.weight_per_second = Median(rates_);
  return costs;
}

}  // namespace diskferry
