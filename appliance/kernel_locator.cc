#include "appliance/kernel_locator.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace diskferry {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKernelPrefix = "vmlinuz-";

struct Candidate {
  std::string path;
  std::string release;
  bool has_modules = false;
};

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Compares the digit runs starting at a[*i] and b[*j] as numbers, advancing both.
int CompareNumbers(std::string_view a, size_t* i, std::string_view b, size_t* j) {
  while (*i < a.size() && a[*i] == '0') ++*i;
  while (*j < b.size() && b[*j] == '0') ++*j;
  size_t a_start = *i, b_start = *j;
  while (*i < a.size() && IsDigit(a[*i])) ++*i;
  while (*j < b.size() && IsDigit(b[*j])) ++*j;
  std::string_view x = a.substr(a_start, *i - a_start), y = b.substr(b_start, *j - b_start);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y);
}

bool HasModules(const KernelSearchRoots& roots, const std::string& release) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(roots.modules_root) / release / "modules.dep", ec);
}

std::string CurrentUserName() {
  const passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(geteuid());
}

Result<HostKernel> MakeHostKernel(const std::string& path, const std::string& release,
                                  const KernelSearchRoots& roots) {
  if (Status s = CheckKernelReadable(path); !s.ok()) return s;
  HostKernel kernel{path, release, (fs::path(roots.modules_root) / release).string(), ""};
  std::error_code ec;
  for (const fs::path& dir : {fs::path(path).parent_path(), fs::path(roots.boot_dir)}) {
    fs::path config = dir / ("config-" + release);
    if (fs::is_regular_file(config, ec)) {
      kernel.config_path = config.string();
      break;
    }
  }
  return kernel;
}

// Cloud kernels first, newest first within each group.
bool Preferred(const Candidate& a, const Candidate& b) {
  bool a_cloud = IsCloudRelease(a.release), b_cloud = IsCloudRelease(b.release);
  if (a_cloud != b_cloud) return a_cloud;
  return CompareKernelReleases(a.release, b.release) > 0;
}

Status NoUsableKernel(const KernelSearchRoots& roots, const std::vector<Candidate>& seen) {
  std::string message = "no usable kernel in " + roots.boot_dir;
  if (seen.empty()) {
    message += " (no vmlinuz-* files)";
  } else {
    message += ": found";
    for (const Candidate& c : seen) {
      message += " " + c.path + " (no " + roots.modules_root + "/" + c.release + "/modules.dep)";
    }
  }
  message += "; install linux-image-cloud-amd64 (or pass --kernel PATH)";
  return Status(Code::kNotFound, std::move(message));
}

std::vector<std::string> ModuleReleases(const KernelSearchRoots& roots) {
  std::vector<std::string> releases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(roots.modules_root, ec)) {
    releases.push_back(entry.path().filename().string());
  }
  std::sort(releases.begin(), releases.end());
  return releases;
}

// Every BOOT_DIR/vmlinuz-* file, in the order Preferred gives.
Result<std::vector<Candidate>> Candidates(const KernelSearchRoots& roots) {
  std::vector<Candidate> candidates;
  std::error_code ec;
  fs::directory_iterator it(roots.boot_dir, ec);
  if (ec) return ErrnoStatus(ec.value(), roots.boot_dir);
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kKernelPrefix) || !entry.is_regular_file(ec)) continue;
    std::string release = name.substr(kKernelPrefix.size());
    candidates.push_back({entry.path().string(), release, HasModules(roots, release)});
  }
  std::sort(candidates.begin(), candidates.end(), Preferred);
  return candidates;
}

}  // namespace

std::vector<HostKernel> ListHostKernels(const KernelSearchRoots& roots) {
  std::vector<HostKernel> kernels;
  Result<std::vector<Candidate>> candidates = Candidates(roots);
  if (!candidates.ok()) return kernels;
  for (const Candidate& c : *candidates) {
    if (!c.has_modules) continue;
    if (Result<HostKernel> kernel = MakeHostKernel(c.path, c.release, roots); kernel.ok()) {
      kernels.push_back(std::move(*kernel));
    }
  }
  return kernels;
}

int CompareKernelReleases(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      if (int c = CompareNumbers(a, &i, b, &j); c != 0) return c;
      continue;
    }
    if (a[i] != b[j])
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return a.compare(b);  // equal as versions ("6.01" vs "6.1"): any fixed order will do
}

bool IsCloudRelease(std::string_view release) {
  return release.find("-cloud-") != std::string_view::npos;
}

Result<HostKernel> FindHostKernel(const KernelSearchRoots& roots) {
  Result<std::vector<Candidate>> found = Candidates(roots);
  if (!found.ok()) return found.status();
  const std::vector<Candidate>& candidates = *found;
  for (const Candidate& c : candidates) {
    if (c.has_modules) return MakeHostKernel(c.path, c.release, roots);
  }
  return NoUsableKernel(roots, candidates);
}

Result<HostKernel> UseKernel(const std::string& path, const KernelSearchRoots& roots) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status(Code::kNotFound, path + ": no such kernel file");
  }
  if (Status s = CheckKernelReadable(path); !s.ok()) return s;
  std::string name = fs::path(path).filename().string();
  if (name.starts_with(kKernelPrefix)) {
    std::string release = name.substr(kKernelPrefix.size());
    if (HasModules(roots, release)) return MakeHostKernel(path, release, roots);
  }
  Result<std::string> release = ReadBzImageRelease(path);
  if (!release.ok()) return release.status();
  if (HasModules(roots, *release)) return MakeHostKernel(path, *release, roots);
  std::string found;
  for (const std::string& r : ModuleReleases(roots)) found += (found.empty() ? "" : ", ") + r;
  return Status(Code::kNotFound,
                path + ": kernel release " + *release + " has no " + roots.modules_root + "/" +
                    *release +
                    "/modules.dep (module trees found: " + (found.empty() ? "none" : found) + ")");
}

Result<std::string> ReadBzImageRelease(const std::string& path) {
  // Linux boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, and the u16
  // at 0x20E is the offset of the version string minus 0x200.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  uint8_t header[0x210] = {};
  ssize_t n = pread(fd, header, sizeof(header), 0);
  std::string version(128, '\0');
  ssize_t v = -1;
  bool is_bzimage = n == static_cast<ssize_t>(sizeof(header)) &&
                    std::string_view(reinterpret_cast<char*>(header) + 0x202, 4) == "HdrS";
  if (is_bzimage) {
    off_t offset = 0x200 + (header[0x20E] | (header[0x20F] << 8));
    v = pread(fd, version.data(), version.size(), offset);
  }
  close(fd);
  if (!is_bzimage) return Status(Code::kInvalidArgument, path + ": not a Linux bzImage");
  if (v <= 0) return Status(Code::kInvalidArgument, path + ": no kernel version string");
  version.resize(std::min(version.find_first_of(std::string_view(" \0", 2)), size_t(v)));
  if (version.empty()) return Status(Code::kInvalidArgument, path + ": empty kernel version");
  return version;
}

Status CheckKernelReadable(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return Status::Ok();
  }
  int err = errno;
  if (err != EACCES && err != EPERM) return ErrnoStatus(err, path);
  return Status(Code::kFailedPrecondition,
                path + " is not readable by " + CurrentUserName() +
                    " (Debian installs kernels mode 0600). Run diskferry as root, or make the "
                    "kernels readable with: sudo chmod 0644 /boot/vmlinuz-*  "
                    "(libguestfs needs the same)");
}

}  // namespace diskferry
