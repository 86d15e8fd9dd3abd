#include "runner/inject_steps.h"

#include <memory>
#include <type_traits>
#include <vector>

#include "appliance/guest_fs.h"
#include "appliance/transfer.h"
#include "runner/guest_delete.h"
#include "runner/upload_source.h"
#include "sinks/host_tree_reader.h"

namespace diskferry {
namespace {

// Problems listed in a failed upload's message; the rest are counted.
constexpr size_t kMaxListedProblems = 5;

// Guest paths from the spec are absolute and normalized, so the split is plain.
std::string GuestDirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string GuestBasename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The host path's last component, as HostTreeReader names its top entry.
std::string HostBasename(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class StepRunner {
 public:
  StepRunner(Appliance& appliance, const StepSpec& step, const StepProgress& progress)
      : appliance_(appliance), fs_(appliance.control()), step_(step), progress_(progress) {}

  Status operator()(const UploadStep& s);
  Status operator()(const WriteStep& s) {
    if (Status st = fs_.WriteFile(s.path, s.content, s.mode); !st.ok()) return st;
    return fs_.Chmod(s.path, s.mode);  // an existing file keeps its mode through WriteFile
  }
  Status operator()(const MkdirStep& s) { return fs_.Mkdir(s.path, s.mode, s.parents); }
  Status operator()(const ChmodStep& s) { return fs_.Chmod(s.path, s.mode); }
  Status operator()(const ChownStep& s) { return fs_.Chown(s.path, s.owner.uid, s.owner.gid); }
  Status operator()(const SymlinkStep& s) { return fs_.Symlink(s.target, s.path); }
  Status operator()(const MoveStep& s) { return fs_.Rename(s.from, s.to); }
  Status operator()(const DeleteStep& s);

 private:
  Appliance& appliance_;
  GuestFs fs_;
  const StepSpec& step_;
  const StepProgress& progress_;
};

std::string FormatProblems(const std::vector<std::pair<std::string, std::string>>& problems) {
  std::string out = std::to_string(problems.size()) + " file(s) failed: ";
  for (size_t i = 0; i < problems.size() && i < kMaxListedProblems; ++i) {
    if (i > 0) out += "; ";
    out += problems[i].first + ": " + problems[i].second;
  }
  if (problems.size() > kMaxListedProblems) {
    out += "; and " + std::to_string(problems.size() - kMaxListedProblems) + " more";
  }
  return out;
}

Status StepRunner::operator()(const UploadStep& s) {
  auto reader = HostTreeReader::Open({s.from.path}, HostReaderOptions{});
  if (!reader.ok()) return reader.status();
  UploadOverrides overrides;
  overrides.mode = s.mode;
  if (s.owner) {
    overrides.uid = s.owner->uid;
    overrides.gid = s.owner->gid;
  }
  const std::string new_name = s.to == "/" ? "" : GuestBasename(s.to);
  UploadSource source(reader->get(), HostBasename(s.from.path), new_name, overrides);
  TransferOptions options;
  options.owners = true;
  auto result = InjectTree(appliance_, &source, GuestDirname(s.to), options);
  if (!result.ok()) return result.status();
  std::vector<std::pair<std::string, std::string>> problems;
  for (const auto& p : (*reader)->problems().items()) problems.emplace_back(p.path, p.message);
  for (const auto& p : result->problems) problems.emplace_back(p.path, p.message);
  if (problems.empty()) return Status::Ok();
  return Status(Code::kGuestError, FormatProblems(problems));
}

Status StepRunner::operator()(const DeleteStep& s) {
  if (!s.glob) return DeleteGuestPath(fs_, s.path, s.recursive);
  Result<uint64_t> deleted = DeleteGuestGlob(fs_, *s.glob, s.recursive);
  if (!deleted.ok()) return deleted.status();
  if (progress_) {
    progress_(step_, "deleted " + std::to_string(*deleted) + " entries matching " + s.path);
  }
  return Status::Ok();
}

// "chmod /etc/app.conf": the step without its number (jobs/plan.h's DescribeStep adds it).
std::string StepSummary(const StepSpec& step) {
  return std::visit(
      [](const auto& s) -> std::string {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, UploadStep>) return "upload " + s.from.text + " -> " + s.to;
        if constexpr (std::is_same_v<T, WriteStep>) return "write " + s.path;
        if constexpr (std::is_same_v<T, MkdirStep>) return "mkdir " + s.path;
        if constexpr (std::is_same_v<T, ChmodStep>) return "chmod " + s.path;
        if constexpr (std::is_same_v<T, ChownStep>) return "chown " + s.path;
        if constexpr (std::is_same_v<T, SymlinkStep>)
          return "symlink " + s.path + " -> " + s.target;
        if constexpr (std::is_same_v<T, DeleteStep>) return "delete " + s.path;
        if constexpr (std::is_same_v<T, MoveStep>) return "move " + s.from + " -> " + s.to;
      },
      step.action);
}

}  // namespace

Status RunInjectSteps(Appliance& appliance, const InjectSpec& spec, StepProgress progress) {
  for (const StepSpec& step : spec.steps) {
    const std::string what = StepSummary(step);
    if (progress) progress(step, what);
    Status st = std::visit(StepRunner(appliance, step, progress), step.action);
    if (!st.ok()) return st.WithContext("step " + std::to_string(step.number) + " (" + what + ")");
  }
  return Status::Ok();
}

}  // namespace diskferry
