#include "cli/image_spec.h"

#include <filesystem>
#include <system_error>

#include "host/host_path.h"

namespace diskferry {

bool HostPathExists(const std::string& path) {
  Result<std::filesystem::path> host = HostFsPath(path);
  if (!host.ok()) return false;
  std::error_code ec;
  return std::filesystem::exists(*host, ec);
}

Result<ImageSpec> ParseImageSpec(std::string_view arg,
                                 const std::function<bool(const std::string&)>& file_exists) {
  ImageSpec spec;
  const std::string whole(arg);
  if (whole.empty()) return Status(Code::kInvalidArgument, "empty image argument");
  if (file_exists(whole)) {
    spec.image = whole;
    return spec;
  }
  const size_t colon = whole.rfind(':');
  if (colon == std::string::npos) {
    spec.image = whole;
    return spec;
  }
  spec.image = whole.substr(0, colon);
  spec.path = whole.substr(colon + 1);
  if (spec.image.empty()) {
    return Status(Code::kInvalidArgument, whole + std::string(": no image before the colon"));
  }
  if (spec.path.empty()) spec.path = "/";
  if (spec.path.front() != '/') {
    std::string msg = whole;
    msg.append(": the path after ':' must be absolute, e.g. ").append(spec.image);
    msg.append(":/").append(spec.path);
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  return spec;
}

}  // namespace diskferry
