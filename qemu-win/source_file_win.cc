// The Windows half of protocol/source_file.h. Descriptors are CRT descriptors over handles
// from CreateFileW; reads go to ReadFile at an explicit offset (OVERLAPPED), so that they
// neither use nor move the descriptor's file position, as pread() does.
#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cerrno>

#include "protocol/source_file.h"
#include "qemu-win/files_win.h"

namespace diskferry {
namespace {

// ReadFile takes a DWORD count; 1 GiB keeps each call well inside it.
constexpr uint64_t kMaxReadChunk = uint64_t{1} << 30;

bool IsDirectory(HANDLE h) {
  BY_HANDLE_FILE_INFORMATION info{};
  return ::GetFileInformationByHandle(h, &info) &&
         (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

}  // namespace

int OpenSourceFile(const std::string& path) {
  const Result<std::wstring> wide = internal::Utf8ToWide(path, path);
  if (!wide.ok()) return -EILSEQ;
  // Shared for delete and rename as well, as a POSIX descriptor would be: the walk must not
  // stop other programs from changing the tree. BACKUP_SEMANTICS opens directories too.
  const HANDLE h =
      ::CreateFileW(wide->c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return -internal::ErrnoFromWinError(::GetLastError());
  return internal::FdOfHandle(h, _O_RDONLY);
}

void DropSourcePagesAfterReading() {}

void CloseSourceFd(int* fd) {
  if (*fd >= 0) ::_close(*fd);
  *fd = -1;
}

int64_t ReadSourceAt(int fd, uint64_t offset, uint8_t* out, uint64_t length) {
  const HANDLE h = internal::HandleOfFd(fd);
  if (h == INVALID_HANDLE_VALUE) return -EBADF;
  uint64_t done = 0;
  while (done < length) {
    const uint64_t at = offset + done;
    OVERLAPPED where{};
    where.Offset = static_cast<DWORD>(at & 0xffffffffu);
    where.OffsetHigh = static_cast<DWORD>(at >> 32);
    const DWORD want = static_cast<DWORD>(std::min(length - done, kMaxReadChunk));
    DWORD got = 0;
    if (!::ReadFile(h, out + done, want, &got, &where)) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_HANDLE_EOF) break;
      // Reading a directory fails with an error that varies between Windows versions.
      if (IsDirectory(h)) return -EISDIR;
      return -internal::ErrnoFromWinError(error);
    }
    if (got == 0) break;
    done += got;
  }
  return static_cast<int64_t>(done);
}

// Windows has no SEEK_DATA: every file is all data (its holes, if sparse, read as zeros).
uint64_t NextSourceData(int fd, uint64_t from, uint64_t size) { return std::min(from, size); }

uint64_t NextSourceHole(int fd, uint64_t from, uint64_t size) { return size; }

}  // namespace diskferry
