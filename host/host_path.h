// Host paths: UTF-8 bytes in std::string throughout diskferry, std::filesystem::path only
// where a file is opened. On Linux the bytes pass through unchanged (a name need not be
// UTF-8); on Windows they become the UTF-16 the file system uses.
//
// Pure functions: thread-safe.
#ifndef DISKFERRY_HOST_HOST_PATH_H_
#define DISKFERRY_HOST_HOST_PATH_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry {

// The path `utf8` names. kInvalidArgument ("PATH: not valid UTF-8") on Windows for bytes
// that are not UTF-8; never fails on Linux.
Result<std::filesystem::path> HostFsPath(std::string_view utf8);

// `path` as UTF-8 bytes (on Linux: its bytes as they are).
std::string Utf8Of(const std::filesystem::path& path);

// `path` as it is when it starts at a root ("/x"; on Windows also "C:\x", "C:/x",
// "\\server\x", and "\x" or "/x" on the current drive) or `base` is empty; else base/path,
// lexically normalised, with '/' separators on every host (Win32 takes them, and plans and
// messages read the same everywhere). Bytes that are not UTF-8 (Windows only) are joined
// with '/' as they are, for the open to report.
std::string ResolveHostPath(std::string_view base, std::string_view path);

// The directory part of `path` ("" for a bare name), as std::filesystem::path::parent_path,
// with '/' separators.
std::string HostParentPath(std::string_view path);

}  // namespace diskferry

#endif  // DISKFERRY_HOST_HOST_PATH_H_
