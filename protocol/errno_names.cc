#include "protocol/errno_names.h"

#include <cerrno>
#include <iterator>

namespace diskferry {
namespace {

struct Entry {
  int value;               // this host's
  std::string_view name;
  int linux_value;         // the wire's (ErrnoToWire)
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
constexpr int kEKEYREJECTED = kWindowsOnlyBase + 129;
#else
constexpr int kEUCLEAN = EUCLEAN;
constexpr int kEDQUOT = EDQUOT;
constexpr int kESTALE = ESTALE;
constexpr int kENOTBLK = ENOTBLK;
constexpr int kEKEYREJECTED = EKEYREJECTED;  // a LUKS key no key slot accepts
#endif

#define DF_ERRNO(e, linux_value) Entry{e, #e, linux_value}
constexpr Entry kTable[] = {
    DF_ERRNO(EPERM, 1),         DF_ERRNO(ENOENT, 2),     DF_ERRNO(EIO, 5),
    DF_ERRNO(ENXIO, 6),         DF_ERRNO(E2BIG, 7),      DF_ERRNO(EBADF, 9),
    DF_ERRNO(EAGAIN, 11),       DF_ERRNO(ENOMEM, 12),    DF_ERRNO(EACCES, 13),
    DF_ERRNO(EFAULT, 14),       DF_ERRNO(EBUSY, 16),     DF_ERRNO(EEXIST, 17),
    DF_ERRNO(EXDEV, 18),        DF_ERRNO(ENODEV, 19),    DF_ERRNO(ENOTDIR, 20),
    DF_ERRNO(EISDIR, 21),       DF_ERRNO(EINVAL, 22),    DF_ERRNO(ENFILE, 23),
    DF_ERRNO(EMFILE, 24),       DF_ERRNO(EFBIG, 27),     DF_ERRNO(ENOSPC, 28),
    DF_ERRNO(ESPIPE, 29),       DF_ERRNO(EROFS, 30),     DF_ERRNO(EMLINK, 31),
    DF_ERRNO(ERANGE, 34),       DF_ERRNO(ENAMETOOLONG, 36), DF_ERRNO(ENOSYS, 38),
    DF_ERRNO(ENOTEMPTY, 39),    DF_ERRNO(ELOOP, 40),     DF_ERRNO(ENODATA, 61),
    DF_ERRNO(EPROTO, 71),       DF_ERRNO(EOVERFLOW, 75), DF_ERRNO(EILSEQ, 84),
    DF_ERRNO(EOPNOTSUPP, 95),   DF_ERRNO(ETIMEDOUT, 110), DF_ERRNO(ECANCELED, 125),
    DF_ERRNO(ETXTBSY, 26),      Entry{kEUCLEAN, "EUCLEAN", 117}, Entry{kEDQUOT, "EDQUOT", 122},
    Entry{kESTALE, "ESTALE", 116}, Entry{kENOTBLK, "ENOTBLK", 15},
    Entry{kEKEYREJECTED, "EKEYREJECTED", 129},
#if defined(_WIN32)
    // Linux's ENOTSUP is EOPNOTSUPP; Windows' C library has two values.
    DF_ERRNO(ENOTSUP, 95),
#endif
};
#undef DF_ERRNO

#if defined(__linux__)
// The wire values are Linux's own: checked here, where both are known.
constexpr bool WireIsLinux() {
  for (const Entry& e : kTable) {
    if (e.value != e.linux_value) return false;
  }
  return true;
}
static_assert(WireIsLinux(), "an errno table entry has the wrong Linux value");
#endif

constexpr int kWireEIO = 5;

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

int ErrnoToWire(int err) {
#if defined(__linux__)
  return err;
#else
  if (err == 0) return 0;
  for (const Entry& e : kTable) {
    if (e.value == err) return e.linux_value;
  }
  return kWireEIO;
#endif
}

int ErrnoFromWire(int wire) {
#if defined(__linux__)
  return wire;
#else
  if (wire == 0) return 0;
  for (const Entry& e : kTable) {
    if (e.linux_value == wire) return e.value;
  }
  return EIO;
#endif
}

}  // namespace diskferry

