#include "host/host_path.h"

#include <exception>

namespace diskferry {

// libstdc++ copies char8_t text unchanged into a POSIX path and converts it to UTF-16 for
// a Windows one, throwing on bytes that are not UTF-8.
Result<std::filesystem::path> HostFsPath(std::string_view utf8) {
  try {
    return std::filesystem::path(
        std::u8string_view(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
  } catch (const std::exception&) {
    return Status(Code::kInvalidArgument, std::string(utf8) + ": not valid UTF-8");
  }
}

std::string Utf8Of(const std::filesystem::path& path) {
  const std::u8string u8 = path.u8string();
  return std::string(u8.begin(), u8.end());
}

namespace {

std::string GenericUtf8(const std::filesystem::path& path) {
  const std::u8string u8 = path.generic_u8string();
  return std::string(u8.begin(), u8.end());
}

}  // namespace

// On Linux has_root_directory() is is_absolute(); on Windows it also holds for "\x", which
// names the current drive's root, not a place below `base`.
std::string ResolveHostPath(std::string_view base, std::string_view path) {
  Result<std::filesystem::path> p = HostFsPath(path);
  if (p.ok() && (p->is_absolute() || p->has_root_directory())) return std::string(path);
  if (base.empty()) return std::string(path);
  Result<std::filesystem::path> b = HostFsPath(base);
  if (!p.ok() || !b.ok()) return std::string(base) + "/" + std::string(path);
  return GenericUtf8((*b / *p).lexically_normal());
}

std::string HostParentPath(std::string_view path) {
  Result<std::filesystem::path> p = HostFsPath(path);
  if (!p.ok()) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? "" : std::string(path.substr(0, slash));
  }
  return GenericUtf8(p->parent_path());
}

}  // namespace diskferry
