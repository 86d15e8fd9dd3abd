#include "appliance/appliance_dir.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace diskferry {
namespace {

namespace fs = std::filesystem;

// "key value" lines; the value runs to the end of the line, so paths may hold spaces.
std::string_view Field(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // copied via Windows
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return line.substr(key.size() + 1);
    }
  }
  return {};
}

std::vector<std::string> Words(std::string_view list) {
  std::vector<std::string> words;
  while (!list.empty()) {
    size_t space = list.find(' ');
    if (space != 0) words.emplace_back(list.substr(0, space));
    list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
  }
  return words;
}

bool ParseSize(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - 9) / 10) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = value;
  return true;
}

std::string Join(const fs::path& dir, std::string_view name) {
  return (dir / fs::path(std::string(name))).string();
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(fs::path(path), std::ios::binary);
  if (!in) return Status(Code::kNotFound, path + ": cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status(Code::kIoError, path + ": read failed");
  return text.str();
}

Status CheckSize(const std::string& path, uint64_t expected) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(fs::path(path), ec);
  if (ec) return Status(Code::kNotFound, path + ": " + ec.message());
  if (size != expected) {
    return Status(Code::kInvalidArgument, path + ": " + std::to_string(size) +
                                              " bytes, the manifest says " +
                                              std::to_string(expected) + " (a partial copy?)");
  }
  return Status::Ok();
}

// Replaces `to`. Removed first rather than copied over with overwrite_existing, which
// GCC 12's libstdc++ for mingw refuses ("File exists") for an existing target.
Status CopyInto(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove(fs::path(to), ec);
  if (ec) return Status(Code::kIoError, "replacing " + to + ": " + ec.message());
  fs::copy_file(fs::path(from), fs::path(to), ec);
  if (ec) return Status(Code::kIoError, "copying " + from + " to " + to + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::string RenderManifest(const ApplianceManifest& m) {
  std::string out =
      std::string(kApplianceManifestMagic) + " " + std::to_string(kApplianceFormatVersion) + "\n";
  out += "kernel_source " + m.kernel_source + "\n";
  out += "kernel_release " + m.kernel_release + "\n";
  out += "kernel_size " + std::to_string(m.kernel_size) + "\n";
  out += "initrd_size " + std::to_string(m.initrd_size) + "\n";
  out += "storage_size " + std::to_string(m.storage_size) + "\n";
  out += "filesystems";
  for (const std::string& fstype : m.filesystems) out += " " + fstype;
  out += "\nstorage_tools";
  for (const std::string& tool : m.storage_tools) out += " " + tool;
  return out + "\n";
}

Result<ApplianceManifest> ParseManifest(std::string_view text) {
  if (Field(text, kApplianceManifestMagic) != std::to_string(kApplianceFormatVersion)) {
    return Status(Code::kInvalidArgument,
                  "manifest: not format " + std::to_string(kApplianceFormatVersion));
  }
  ApplianceManifest m;
  m.kernel_source = Field(text, "kernel_source");
  m.kernel_release = Field(text, "kernel_release");
  bool sizes = ParseSize(Field(text, "kernel_size"), &m.kernel_size) &&
               ParseSize(Field(text, "initrd_size"), &m.initrd_size) &&
               ParseSize(Field(text, "storage_size"), &m.storage_size);
  if (m.kernel_source.empty() || m.kernel_release.empty() || !sizes) {
    return Status(Code::kInvalidArgument, "manifest: missing field");
  }
  m.filesystems = Words(Field(text, "filesystems"));
  m.storage_tools = Words(Field(text, "storage_tools"));
  return m;
}

Result<ApplianceImage> LoadApplianceDir(const std::string& dir) {
  const fs::path root(dir);
  const std::string manifest_path = Join(root, kApplianceManifestFile);
  Result<std::string> text = ReadSmallFile(manifest_path);
  if (!text.ok()) {
    return Status(Code::kNotFound, "appliance directory " + dir + ": no readable " +
                                       std::string(kApplianceManifestFile) +
                                       " (make one with `diskferry appliance export DIR` on Linux)");
  }
  Result<ApplianceManifest> m = ParseManifest(*text);
  if (!m.ok()) return m.status().WithContext(manifest_path);
  ApplianceImage image;
  image.kernel = Join(root, kApplianceKernelFile);
  image.initrd = Join(root, kApplianceInitrdFile);
  if (Status s = CheckSize(image.kernel, m->kernel_size); !s.ok()) return s;
  if (Status s = CheckSize(image.initrd, m->initrd_size); !s.ok()) return s;
  if (m->storage_size > 0) {
    image.storage = Join(root, kApplianceStorageFile);
    if (Status s = CheckSize(image.storage, m->storage_size); !s.ok()) return s;
  }
  image.kernel_release = m->kernel_release;
  image.filesystems = m->filesystems;
  image.storage_tools = m->storage_tools;
  image.cache_key = "dir:" + dir;
  image.reused = true;
  return image;
}

Status ExportApplianceDir(const ApplianceImage& image, const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status(Code::kIoError, "appliance directory " + dir + ": " + ec.message());
  ApplianceManifest m;
  m.kernel_source = image.kernel;
  m.kernel_release = image.kernel_release;
  m.filesystems = image.filesystems;
  m.storage_tools = image.storage_tools;
  m.kernel_size = fs::file_size(fs::path(image.kernel), ec);
  if (ec) return Status(Code::kIoError, image.kernel + ": " + ec.message());
  m.initrd_size = fs::file_size(fs::path(image.initrd), ec);
  if (ec) return Status(Code::kIoError, image.initrd + ": " + ec.message());
  if (!image.storage.empty()) {
    m.storage_size = fs::file_size(fs::path(image.storage), ec);
    if (ec) return Status(Code::kIoError, image.storage + ": " + ec.message());
  }
  // No manifest while the files change: an export cut short is plainly incomplete.
  const std::string manifest_path = Join(root, kApplianceManifestFile);
  fs::remove(fs::path(manifest_path), ec);
  if (ec) return Status(Code::kIoError, manifest_path + ": " + ec.message());
  if (Status s = CopyInto(image.kernel, Join(root, kApplianceKernelFile)); !s.ok()) return s;
  if (Status s = CopyInto(image.initrd, Join(root, kApplianceInitrdFile)); !s.ok()) return s;
  const std::string storage = Join(root, kApplianceStorageFile);
  if (!image.storage.empty()) {
    if (Status s = CopyInto(image.storage, storage); !s.ok()) return s;
  } else {
    fs::remove(fs::path(storage), ec);  // a stale one from an earlier export
  }
  // The manifest last: a directory with a manifest is a whole one.
  std::ofstream out(fs::path(manifest_path), std::ios::binary | std::ios::trunc);
  out << RenderManifest(m);
  out.close();
  if (!out) return Status(Code::kIoError, manifest_path + ": write failed");
  return Status::Ok();
}

}  // namespace diskferry
