// Test helpers for host files on any host: a scratch directory of the test's own, removed
// with its contents at the end, whole-file reads and writes, directory listings. Portable
// C++ only (no mkdtemp), so the same tests run on Linux and, cross-built, under wine.
#ifndef DISKFERRY_TESTS_PROTOCOL_SCRATCH_DIR_H_
#define DISKFERRY_TESTS_PROTOCOL_SCRATCH_DIR_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace diskferry {

// A path as UTF-8 with '/' separators (Win32 file functions take '/' too).
inline std::string Utf8Path(const std::filesystem::path& path) {
  const std::u8string u8 = path.generic_u8string();
  return std::string(u8.begin(), u8.end());
}

// The std::filesystem path of a UTF-8 path.
inline std::filesystem::path FsPath(std::string_view utf8) {
  return std::filesystem::path(
      std::u8string_view(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
}

class ScratchDir {
 public:
  // A new directory "<prefix>-<random>" in the system temporary directory; path() is empty
  // (with a gtest failure) if none could be made.
  explicit ScratchDir(std::string_view prefix = "df-test") {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    std::random_device seed;
    std::mt19937_64 random(seed());
    for (int attempt = 0; !ec && attempt < 16; ++attempt) {
      const std::filesystem::path dir =
          base / (std::string(prefix) + "-" + std::to_string(random() % 1000000000000));
      if (std::filesystem::create_directory(dir, ec)) {
        path_ = Utf8Path(dir);
        return;
      }
    }
    ADD_FAILURE() << "no scratch directory: " << (ec ? ec.message() : "names taken");
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(FsPath(path_), ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }
  std::string operator/(std::string_view name) const { return File(name); }

 private:
  std::string path_;
};

// Creates or truncates `path` and writes `content`, bytes as they are.
inline bool WriteWholeFile(const std::string& path, std::string_view content) {
  std::ofstream out(FsPath(path), std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out.flush());
}

// Writes `content` at `offset` of the existing file `path`, which grows as needed.
inline bool WriteAt(const std::string& path, uint64_t offset, std::string_view content) {
  std::fstream out(FsPath(path), std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out.flush());
}

// The whole of `path`, bytes as they are; "" (with a gtest failure) if it cannot be read.
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(FsPath(path), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Names (UTF-8) in directory `dir`, sorted; empty if it cannot be read.
inline std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(FsPath(dir), ec)) {
    names.push_back(Utf8Path(entry.path().filename()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::span<const uint8_t> BytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace diskferry

#endif  // DISKFERRY_TESTS_PROTOCOL_SCRATCH_DIR_H_
