#include "daemon/xattrs.h"

#include <sys/xattr.h>

#include <cerrno>

#include "daemon/sysroot_fs.h"

namespace diskferry::daemon {
namespace {

// A list or value can change between the size query and the read (ERANGE); a few retries
// cover any honest race.
constexpr int kXattrRetries = 4;

// Calls `fn(buffer, size)` the size-query way: once with size 0, then with room for the
// answer, again while the answer outgrows the room. Errors name `what`.
template <typename Fn>
OpResult<std::string> ReadSized(Fn fn, std::string_view what) {
  for (int attempt = 0; attempt < kXattrRetries; ++attempt) {
    const ssize_t size = fn(nullptr, 0);
    if (size < 0) return ErrnoError(errno, what);
    std::string out(static_cast<size_t>(size), '\0');
    if (size == 0) return out;
    const ssize_t n = fn(out.data(), out.size());
    if (n >= 0) {
      out.resize(static_cast<size_t>(n));
      return out;
    }
    if (errno != ERANGE) return ErrnoError(errno, what);
  }
  return ErrnoError(ERANGE, what);
}

std::string Described(std::string_view shown, std::string_view attr) {
  std::string s(shown);
  s += ": ";
  s += attr;
  return s;
}

}  // namespace

OpResult<std::vector<std::string>> ListXattrNames(int dir_fd, std::string_view name,
                                                  std::string_view shown) {
  const std::string path = ProcFdPath(dir_fd, name);
  OpResult<std::string> list = ReadSized(
      [&](char* buf, size_t size) { return ::llistxattr(path.c_str(), buf, size); }, shown);
  if (!list.ok()) return list.error();
  std::vector<std::string> names;
  std::string_view rest = list.value();
  while (!rest.empty()) {
    const size_t end = rest.find('\0');
    if (end != 0) names.emplace_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return names;
}

OpResult<std::string> GetXattrValue(int dir_fd, std::string_view name, std::string_view attr,
                                    std::string_view shown) {
  const std::string path = ProcFdPath(dir_fd, name);
  const std::string attr_name(attr);
  return ReadSized(
      [&](char* buf, size_t size) {
        return ::lgetxattr(path.c_str(), attr_name.c_str(), buf, size);
      },
      Described(shown, attr));
}

OpResult<bool> SetXattrValue(int dir_fd, std::string_view name, std::string_view attr,
                             std::string_view value, std::string_view shown) {
  if (attr.empty() || attr.find('\0') != std::string_view::npos) {
    return OpError{EINVAL, std::string(shown) + ": invalid xattr name"};
  }
  const std::string path = ProcFdPath(dir_fd, name);
  const std::string attr_name(attr);
  if (::lsetxattr(path.c_str(), attr_name.c_str(), value.data(), value.size(), 0) != 0) {
    return ErrnoError(errno, Described(shown, attr));
  }
  return true;
}

OpResult<XattrList> ReadAllXattrs(int dir_fd, std::string_view name, std::string_view shown) {
  OpResult<std::vector<std::string>> names = ListXattrNames(dir_fd, name, shown);
  if (!names.ok()) {
    if (names.error().err == ENOTSUP) return XattrList();
    return names.error();
  }
  XattrList all;
  for (std::string& attr : names.value()) {
    OpResult<std::string> value = GetXattrValue(dir_fd, name, attr, shown);
    if (!value.ok() && value.error().err == ENODATA) continue;
    if (!value.ok()) return value.error();
    all.emplace_back(std::move(attr), std::move(value).value());
  }
  return all;
}

}  // namespace diskferry::daemon
