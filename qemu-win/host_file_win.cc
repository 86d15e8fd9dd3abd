// The Windows half of sinks/host_file.h: CreateFileW handles wrapped in CRT descriptors,
// positioned I/O through OVERLAPPED offsets, holes through NTFS sparse files.
#include <windows.h>
#include <winioctl.h>

#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <random>

#include "sinks/host_file.h"
#include "qemu-win/files_win.h"

namespace diskferry {
namespace {

// Other programs may read, write, rename and delete what we have open, as on Linux.
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
// WriteFile takes a DWORD count; 1 GiB keeps each call well inside it.
constexpr uint64_t kMaxIoChunk = uint64_t{1} << 30;
constexpr int kUnnamedAttempts = 16;
// FILE_INFO_BY_HANDLE_CLASS value 21 (Windows 10 1709 SDK); mingw-w64 declares the name only
// for _WIN32_WINNT >= 0x0A000002, a value no _WIN32_WINNT takes.
constexpr auto kFileDispositionInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(21);

int LastErrno() { return internal::ErrnoFromWinError(::GetLastError()); }

// The UTF-16 form of `path`, or EILSEQ for bytes that are not UTF-8 (no Windows name).
int WidePath(const std::string& path, std::wstring* out) {
  Result<std::wstring> wide = internal::Utf8ToWide(path, path);
  if (!wide.ok()) return EILSEQ;
  *out = std::move(*wide);
  return 0;
}

// Takes `h` into `out` as a CRT descriptor.
int Adopt(HANDLE h, int crt_flags, UniqueFd* out) {
  const int fd = internal::FdOfHandle(h, crt_flags);
  if (fd < 0) return -fd;
  out->reset(fd);
  return 0;
}

OVERLAPPED At(uint64_t offset) {
  OVERLAPPED where{};
  where.Offset = static_cast<DWORD>(offset & 0xffffffffu);
  where.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return where;
}

int SetEndOfFileAt(HANDLE h, uint64_t size) {
  FILE_END_OF_FILE_INFO eof{};
  eof.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  return ::SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof) ? 0 : LastErrno();
}

bool IsReparsePoint(HANDLE h) {
  BY_HANDLE_FILE_INFORMATION info{};
  return ::GetFileInformationByHandle(h, &info) &&
         (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}

// O_NOFOLLOW: the reparse point itself is opened, never truncated (OPEN_ALWAYS), and
// refused; anything else is truncated through the handle we hold.
int OpenNoFollow(const std::wstring& path, UniqueFd* out) {
  const HANDLE h = ::CreateFileW(path.c_str(), GENERIC_WRITE, kShareAll, nullptr, OPEN_ALWAYS,
                                 FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return LastErrno();
  if (IsReparsePoint(h)) {
    ::CloseHandle(h);
    return ELOOP;
  }
  if (int err = SetEndOfFileAt(h, 0); err != 0) {
    ::CloseHandle(h);
    return err;
  }
  return Adopt(h, _O_WRONLY, out);
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  return suffix;
}

// Sparse, so that sizing the file first allocates nothing (FAT and exFAT refuse: the file
// is then all data); nameless at once where NTFS can (POSIX delete semantics, Windows 10
// 1709), else at close through FILE_FLAG_DELETE_ON_CLOSE.
void MakeSparseAndNameless(HANDLE h) {
  DWORD unused = 0;
  ::DeviceIoControl(h, FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0, &unused, nullptr);
  FILE_DISPOSITION_INFO_EX gone{};
  gone.Flags = FILE_DISPOSITION_FLAG_DELETE | FILE_DISPOSITION_FLAG_POSIX_SEMANTICS;
  ::SetFileInformationByHandle(h, kFileDispositionInfoEx, &gone, sizeof gone);
}

}  // namespace

void CloseHostFd(int fd) { ::_close(fd); }

int OpenHostFile(const std::string& path, HostOpen how, UniqueFd* out) {
  std::wstring wide;
  if (int err = WidePath(path, &wide); err != 0) return err;
  if (how == HostOpen::kTruncateNoFollow) return OpenNoFollow(wide, out);
  DWORD access = GENERIC_READ;
  DWORD disposition = OPEN_EXISTING;
  int crt_flags = _O_RDONLY;
  if (how == HostOpen::kTruncate) {
    access = GENERIC_WRITE;
    disposition = CREATE_ALWAYS;
    crt_flags = _O_WRONLY;
  } else if (how == HostOpen::kUpdate) {
    access = GENERIC_READ | GENERIC_WRITE;
    disposition = OPEN_ALWAYS;
    crt_flags = _O_RDWR;
  } else if (how == HostOpen::kCreateNew) {  // CREATE_NEW fails on any existing name
    access = GENERIC_WRITE;
    disposition = CREATE_NEW;
    crt_flags = _O_WRONLY;
  }
  const HANDLE h = ::CreateFileW(wide.c_str(), access, kShareAll, nullptr, disposition,
                                 FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return LastErrno();
  return Adopt(h, crt_flags, out);
}

int CreateUnnamedFile(const std::string& dir, UniqueFd* out) {
  for (int attempt = 0; attempt < kUnnamedAttempts; ++attempt) {
    std::wstring wide;
    if (int err = WidePath(dir + "/.diskferry-spool-" + RandomSuffix(), &wide); err != 0) {
      return err;
    }
    const HANDLE h = ::CreateFileW(
        wide.c_str(), GENERIC_READ | GENERIC_WRITE | DELETE, kShareAll, nullptr, CREATE_NEW,
        FILE_ATTRIBUTE_TEMPORARY | FILE_ATTRIBUTE_HIDDEN | FILE_FLAG_DELETE_ON_CLOSE, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      if (::GetLastError() == ERROR_FILE_EXISTS) continue;
      return LastErrno();
    }
    MakeSparseAndNameless(h);
    return Adopt(h, _O_RDWR, out);
  }
  return EEXIST;
}

int WriteFileAt(int fd, uint64_t offset, std::span<const uint8_t> data) {
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  while (!data.empty()) {
    OVERLAPPED where = At(offset);
    const DWORD want = static_cast<DWORD>(std::min<uint64_t>(data.size(), kMaxIoChunk));
    DWORD done = 0;
    if (!::WriteFile(h, data.data(), want, &done, &where)) return LastErrno();
    if (done == 0) return EIO;
    data = data.subspan(done);
    offset += done;
  }
  return 0;
}

// Windows has no SIGPIPE: a write to a pipe whose reader is gone fails (EPIPE or EINVAL).
int WriteToStream(int fd, std::span<const uint8_t> data) {
  ::_setmode(fd, _O_BINARY);  // no "\n" -> "\r\n" in the bytes of an archive
  while (!data.empty()) {
    const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(data.size(), kMaxIoChunk));
    const int n = ::_write(fd, data.data(), chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    data = data.subspan(static_cast<size_t>(n));
  }
  return 0;
}

int ResizeFile(int fd, uint64_t size) {
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  return SetEndOfFileAt(h, size);
}

int FileSize(int fd, uint64_t* size) {
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  LARGE_INTEGER n{};
  if (!::GetFileSizeEx(h, &n)) return LastErrno();
  *size = static_cast<uint64_t>(n.QuadPart);
  return 0;
}

int OpenImageForReading(const std::string& path, UniqueFd* out, uint64_t* size) {
  if (int err = OpenHostFile(path, HostOpen::kRead, out); err != 0) return err;
  return FileSize(out->get(), size);
}

void DropCachedRange(int, uint64_t, uint64_t) {}

// A filesystem that cannot answer (FAT, exFAT, some network shares) has no holes.
int FileDataExtents(int fd, uint64_t size, std::vector<Extent>* out) {
  out->clear();
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  uint64_t from = 0;
  while (from < size) {
    FILE_ALLOCATED_RANGE_BUFFER query{};
    query.FileOffset.QuadPart = static_cast<LONGLONG>(from);
    query.Length.QuadPart = static_cast<LONGLONG>(size - from);
    FILE_ALLOCATED_RANGE_BUFFER ranges[64];
    DWORD bytes = 0;
    const BOOL ok = ::DeviceIoControl(h, FSCTL_QUERY_ALLOCATED_RANGES, &query, sizeof query,
                                      ranges, sizeof ranges, &bytes, nullptr);
    const DWORD error = ok ? ERROR_SUCCESS : ::GetLastError();
    if (!ok && error != ERROR_MORE_DATA) {
      if (from > 0) return internal::ErrnoFromWinError(error);
      out->push_back({0, size});
      return 0;
    }
    const size_t n = bytes / sizeof ranges[0];
    for (size_t i = 0; i < n; ++i) {
      const uint64_t start = static_cast<uint64_t>(ranges[i].FileOffset.QuadPart);
      const uint64_t end = std::min(size, start + static_cast<uint64_t>(ranges[i].Length.QuadPart));
      if (start >= end) continue;
      if (!out->empty() && out->back().offset + out->back().length == start) {
        out->back().length += end - start;
      } else {
        out->push_back({start, end - start});
      }
      from = end;
    }
    if (ok || n == 0) break;  // ERROR_MORE_DATA: ask again from the last range's end
  }
  return 0;
}

int SyncFile(int fd) {
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  return ::FlushFileBuffers(h) ? 0 : LastErrno();
}

int CloseFile(UniqueFd* fd) {
  if (!fd->valid()) return 0;
  return ::_close(fd->release()) == 0 ? 0 : errno;
}

int MakeHostDirectory(const std::string& path) {
  std::wstring wide;
  if (int err = WidePath(path, &wide); err != 0) return err;
  return ::CreateDirectoryW(wide.c_str(), nullptr) ? 0 : LastErrno();
}

int RenameHostFile(const std::string& from, const std::string& to) {
  std::wstring wide_from, wide_to;
  if (int err = WidePath(from, &wide_from); err != 0) return err;
  if (int err = WidePath(to, &wide_to); err != 0) return err;
  return ::MoveFileExW(wide_from.c_str(), wide_to.c_str(), MOVEFILE_REPLACE_EXISTING) ? 0
                                                                                       : LastErrno();
}

int RemoveHostFile(const std::string& path) {
  std::wstring wide;
  if (int err = WidePath(path, &wide); err != 0) return err;
  return ::DeleteFileW(wide.c_str()) ? 0 : LastErrno();
}

}  // namespace diskferry
