// The Windows half of sinks/host_tree_reader.h: each entry opened relative to its
// directory's handle without following it (host_tree_nt_win.h), its metadata from the
// handle, a directory's names from NtQueryDirectoryFile on its handle. What differs from
// POSIX is in the header.
#include <fcntl.h>
#include <windows.h>
#include <winternl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "host/file_mode.h"
#include "qemu-win/files_win.h"
#include "qemu-win/host_tree_nt_win.h"
#include "sinks/host_tree_reader.h"
#include "sinks/host_tree_walk.h"

// In ntdll (and mingw-w64's libntdll.a), but not declared by winternl.h.
extern "C" NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE file, HANDLE event, PVOID apc_routine,
                                               PVOID apc_context, PIO_STATUS_BLOCK io, PVOID buffer,
                                               ULONG length, FILE_INFORMATION_CLASS info_class,
                                               BOOLEAN single_entry, PUNICODE_STRING file_name,
                                               BOOLEAN restart_scan);

namespace diskferry {
namespace {

using internal::UniqueHandle;

constexpr LONG kStatusNoMoreFiles = static_cast<LONG>(0x80000006);
constexpr int kFileDirectoryInformation = 1;
// Enough to list a directory or read a file (FILE_LIST_DIRECTORY is FILE_READ_DATA).
constexpr ACCESS_MASK kEntryAccess = FILE_READ_DATA | FILE_READ_ATTRIBUTES;

// No POSIX mode on Windows: the usual defaults of a new entry, read-only files without
// write bits. Executables cannot be told apart.
RecordMeta MetaFromInfo(const BY_HANDLE_FILE_INFORMATION& info) {
  RecordMeta m;
  const bool dir = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  const bool read_only = (info.dwFileAttributes & FILE_ATTRIBUTE_READONLY) != 0;
  m.type = dir ? RecordType::kDirectory : RecordType::kFile;
  m.mode = dir ? kModeDirectory | 0755 : kModeRegular | (read_only ? 0444 : 0644);
  m.nlink = info.nNumberOfLinks;
  m.size = dir ? 0 : (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  m.ino = internal::FileIndex(info);
  m.atime_ns = internal::NsFromFileTime(info.ftLastAccessTime);
  m.mtime_ns = internal::NsFromFileTime(info.ftLastWriteTime);
  m.ctime_ns = m.mtime_ns;  // no change time in this structure; nothing applies it anyway
  return m;
}

void MakeError(SourceEntry* entry, int err, const std::string& what) {
  entry->meta.type = RecordType::kError;
  entry->meta.errno_value = err;
  entry->target = what + ": " + std::strerror(err);
}

// The names in the directory open as `dir`, without "." and "..", in byte order of their
// UTF-8. Returns 0 or an errno.
int ListDir(HANDLE dir, std::vector<std::string>* names) {
  alignas(8) unsigned char buffer[64 * 1024];
  for (BOOLEAN restart = TRUE;; restart = FALSE) {
    IO_STATUS_BLOCK io{};
    const NTSTATUS status = ::NtQueryDirectoryFile(
        dir, nullptr, nullptr, nullptr, &io, buffer, sizeof buffer,
        static_cast<FILE_INFORMATION_CLASS>(kFileDirectoryInformation), FALSE, nullptr, restart);
    if (status == kStatusNoMoreFiles) break;
    if (!NT_SUCCESS(status)) return internal::ErrnoFromNtStatus(status);
    for (size_t at = 0;;) {
      const auto* e = reinterpret_cast<const FILE_DIRECTORY_INFORMATION*>(buffer + at);
      const std::wstring_view wide(e->FileName, e->FileNameLength / sizeof(wchar_t));
      if (wide != L"." && wide != L"..") names->push_back(internal::WideToUtf8(wide));
      if (e->NextEntryOffset == 0) break;
      at += e->NextEntryOffset;
    }
  }
  std::sort(names->begin(), names->end());
  return 0;
}

// A source named by the user: intermediate reparse points are followed (the user named
// the path), the last one is not.
int OpenSource(const std::string& path, UniqueHandle* out) {
  const Result<std::wstring> wide = internal::Utf8ToWide(path, path);
  if (!wide.ok()) return EILSEQ;
  out->Reset(::CreateFileW(wide->c_str(), kEntryAccess | SYNCHRONIZE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                           nullptr));
  return *out ? 0 : internal::ErrnoFromWinError(::GetLastError());
}

bool IsSeparator(char c) { return c == '/' || c == '\\'; }

// The last component of a Windows path: after the last separator or a drive's colon.
std::string LastComponent(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && IsSeparator(trimmed.back())) trimmed.pop_back();
  const size_t cut = trimmed.find_last_of("/\\:");
  return cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
}

// The entry name of a source: its last component ("a\\b\\" -> "b"); "." and ".." (and
// "C:", the current directory of a drive) by their real names. kInvalidArgument for a
// root ("C:\\", "\\\\server\\share\\" has "share").
Result<std::string> SourceName(const std::string& source) {
  std::string name = LastComponent(source);
  if (name == "." || name == ".." || name.empty()) {
    const Result<std::wstring> wide = internal::Utf8ToWide(source.empty() ? "." : source, source);
    if (!wide.ok()) return wide.status();
    const DWORD size = ::GetFullPathNameW(wide->c_str(), 0, nullptr, nullptr);
    std::wstring full(size, L'\0');
    const DWORD got = size == 0 ? 0 : ::GetFullPathNameW(wide->c_str(), size, full.data(), nullptr);
    if (got == 0 || got >= size) {
      return ErrnoStatus(internal::ErrnoFromWinError(::GetLastError()), source);
    }
    full.resize(got);
    name = LastComponent(internal::WideToUtf8(full));
  }
  if (name.empty() || name == "." || name == "..") {
    return Status(Code::kInvalidArgument, source +
                                              ": the root directory has no name to copy it "
                                              "under; copy its entries instead");
  }
  return name;
}

}  // namespace

struct HostTreeReader::Impl {
  using Source = HostWalkSource;
  using Frame = HostWalkFrame<UniqueHandle>;

  Result<std::optional<SourceEntry>> Next();
  // `name` in directory `dir`, or the source at host path `name` when `dir` is null.
  std::optional<SourceEntry> Visit(HANDLE dir, const std::string& name, const std::string& rel);

  std::vector<Source> sources;
  size_t next_source = 0;
  std::vector<Frame> stack;
  // First path of each non-directory with more than one link, by (volume, file index).
  std::map<std::pair<uint64_t, uint64_t>, std::string> links;
  CappedList<FileProblem> problems;
};

// There are no Linux xattrs on Windows: options.xattrs reads nothing.
Result<std::unique_ptr<HostTreeReader>> HostTreeReader::Open(std::vector<std::string> sources,
                                                             const HostReaderOptions&) {
  Result<std::vector<HostWalkSource>> named = NameHostSources(
      std::move(sources),
      [](const std::string& source) {
        const Result<std::wstring> wide = internal::Utf8ToWide(source, source);
        if (!wide.ok()) return wide.status();
        if (::GetFileAttributesW(wide->c_str()) == INVALID_FILE_ATTRIBUTES) {
          return ErrnoStatus(internal::ErrnoFromWinError(::GetLastError()), source);
        }
        return Status::Ok();
      },
      SourceName);
  if (!named.ok()) return named.status();
  auto impl = std::make_unique<Impl>();
  impl->sources = std::move(*named);
  return std::unique_ptr<HostTreeReader>(new HostTreeReader(std::move(impl)));
}

HostTreeReader::HostTreeReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostTreeReader::~HostTreeReader() = default;

Result<std::optional<SourceEntry>> HostTreeReader::Next() { return impl_->Next(); }
const CappedList<FileProblem>& HostTreeReader::problems() const { return impl_->problems; }

Result<std::optional<SourceEntry>> HostTreeReader::Impl::Next() {
  return NextHostWalkEntry(&stack, sources, &next_source, nullptr, &problems,
                           [this](HANDLE dir, const std::string& name, const std::string& rel) {
                             return Visit(dir, name, rel);
                           });
}

std::optional<SourceEntry> HostTreeReader::Impl::Visit(HANDLE dir, const std::string& name,
                                                       const std::string& rel) {
  SourceEntry entry;
  entry.path = rel;
  UniqueHandle h;
  int err = dir == nullptr ? OpenSource(name, &h)
                           : internal::OpenBeneath(dir, name, kEntryAccess, FILE_OPEN, 0, &h);
  BY_HANDLE_FILE_INFORMATION info;
  if (err == 0) err = internal::QueryFile(h.get(), &info);
  if (err != 0) {
    MakeError(&entry, err, "open");
    return entry;
  }
  if (internal::IsReparsePoint(info)) {
    problems.Add({rel,
                  "skipped: a reparse point (symlink, junction or mount point), not "
                  "followed"});
    return std::nullopt;
  }
  entry.meta = MetaFromInfo(info);
  if (entry.meta.type == RecordType::kDirectory) {
    Frame frame{std::move(h), rel, {}, 0};
    if (err = ListDir(frame.dir.get(), &frame.names); err != 0) {
      MakeError(&entry, err, "read directory");
      return entry;
    }
    stack.push_back(std::move(frame));
    return entry;
  }
  const std::pair<uint64_t, uint64_t> key{info.dwVolumeSerialNumber, entry.meta.ino};
  if (entry.meta.nlink > 1) {
    if (auto it = links.find(key); it != links.end()) {
      entry.meta.type = RecordType::kHardlink;
      entry.target = it->second;
      return entry;
    }
  }
  const int fd = internal::FdOfHandle(h.Release(), _O_RDONLY);
  if (fd < 0) {
    MakeError(&entry, -fd, "open");
    return entry;
  }
  entry.fd = fd;
  if (entry.meta.nlink > 1) links.emplace(key, rel);
  return entry;
}

}  // namespace diskferry
