#include "protocol/errno_names.h"

#include <cerrno>
#include <iterator>

namespace diskferry {
namespace {

struct Entry {
  int value;
  std::string_view name;
};

#define DF_ERRNO(e) Entry{e, #e}
constexpr Entry kTable[] = {
    DF_ERRNO(EPERM),     DF_ERRNO(ENOENT),    DF_ERRNO(EIO),          DF_ERRNO(ENXIO),
    DF_ERRNO(E2BIG),     DF_ERRNO(EBADF),     DF_ERRNO(EAGAIN),       DF_ERRNO(ENOMEM),
    DF_ERRNO(EACCES),    DF_ERRNO(EFAULT),    DF_ERRNO(EBUSY),        DF_ERRNO(EEXIST),
    DF_ERRNO(EXDEV),     DF_ERRNO(ENODEV),    DF_ERRNO(ENOTDIR),      DF_ERRNO(EISDIR),
    DF_ERRNO(EINVAL),    DF_ERRNO(ENFILE),    DF_ERRNO(EMFILE),       DF_ERRNO(EFBIG),
    DF_ERRNO(ENOSPC),    DF_ERRNO(ESPIPE),    DF_ERRNO(EROFS),        DF_ERRNO(EMLINK),
    DF_ERRNO(ERANGE),    DF_ERRNO(ENAMETOOLONG), DF_ERRNO(ENOSYS),    DF_ERRNO(ENOTEMPTY),
    DF_ERRNO(ELOOP),     DF_ERRNO(ENODATA),   DF_ERRNO(EPROTO),       DF_ERRNO(EOVERFLOW),
    DF_ERRNO(EOPNOTSUPP), DF_ERRNO(ETIMEDOUT), DF_ERRNO(EUCLEAN),     DF_ERRNO(EDQUOT),
    DF_ERRNO(ESTALE),    DF_ERRNO(ECANCELED), DF_ERRNO(ETXTBSY),      DF_ERRNO(ENOTBLK),
};
#undef DF_ERRNO

}  // namespace

std::string_view ErrnoName(int err) {
  for (const Entry& e : kTable) {
    if (e.value == err) return e.name;
  }
  return "EIO";
}

int ErrnoFromName(std::string_view name) {
  for (const Entry& e : kTable) {
    if (e.name == name) return e.value;
  }
  return EIO;
}

}  // namespace diskferry
