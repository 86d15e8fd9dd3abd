#include "protocol/errno_names.h"

#include <cerrno>
#include <iterator>

namespace diskferry {
namespace {

struct Entry {
  int value;
  std::string_view name;
};

// Linux errno values that Windows' C library lacks, yet a guest may send: a Windows host
// gives them values of its own, far above the library's, so that names still round-trip
// and tests on errors compare equal. Their strerror() text there is "Unknown error".
#if defined(_WIN32)
constexpr int kWindowsOnlyBase = 10000;
constexpr int kEUCLEAN = kWindowsOnlyBase + 117;
constexpr int kEDQUOT = kWindowsOnlyBase + 122;
constexpr int kESTALE = kWindowsOnlyBase + 116;
constexpr int kENOTBLK = kWindowsOnlyBase + 15;
#else
constexpr int kEUCLEAN = EUCLEAN;
constexpr int kEDQUOT = EDQUOT;
constexpr int kESTALE = ESTALE;
constexpr int kENOTBLK = ENOTBLK;
#endif

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
    DF_ERRNO(EOPNOTSUPP), DF_ERRNO(ETIMEDOUT), DF_ERRNO(ECANCELED),    DF_ERRNO(ETXTBSY),
    Entry{kEUCLEAN, "EUCLEAN"}, Entry{kEDQUOT, "EDQUOT"}, Entry{kESTALE, "ESTALE"},
    Entry{kENOTBLK, "ENOTBLK"},
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
