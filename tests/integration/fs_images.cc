#include "tests/integration/fs_images.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "appliance/appliance_builder.h"
#include "appliance/image_session.h"

namespace diskferry::testing {
namespace fs = std::filesystem;
namespace {

void WriteFile(const fs::path& path, const std::string& content, mode_t mode) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// mkfs.xfs in Debian 12 (xfsprogs 6.1) populates only from a protofile, so write one.
// Format: see mkfs.xfs(8), "-p protofile".
void AppendProto(const fs::path& dir, int depth, std::string* out) {
  std::vector<fs::path> children;
  for (const auto& e : fs::directory_iterator(dir)) children.push_back(e.path());
  std::sort(children.begin(), children.end());
  const std::string indent(static_cast<size_t>(depth) * 2, ' ');
  for (const auto& p : children) {
    struct stat st;
    ::lstat(p.c_str(), &st);
    char perm[8];
    std::snprintf(perm, sizeof perm, "%03o", st.st_mode & 0777);
    const std::string ids = " " + std::to_string(st.st_uid) + " " + std::to_string(st.st_gid);
    const std::string name = p.filename().string();
    if (S_ISDIR(st.st_mode)) {
      *out += indent + name + " d--" + perm + ids + "\n";
      AppendProto(p, depth + 1, out);
      *out += indent + "$\n";
    } else if (S_ISLNK(st.st_mode)) {
      *out += indent + name + " l--" + perm + ids + " " + fs::read_symlink(p).string() + "\n";
    } else {
      *out += indent + name + " ---" + perm + ids + " " + p.string() + "\n";
    }
  }
}

Status Run(const std::string& command) {
  std::string output;
  const int rc = RunShell(command, &output);
  if (rc == 0) return Status::Ok();
  return Status(Code::kIoError, "`" + command + "` failed (" + std::to_string(rc) + "): " + output);
}

}  // namespace

void MakeSourceTree(const std::string& root, const TreeOptions& options) {
  const fs::path r(root);
  fs::create_directories(r / "etc");
  WriteFile(r / "etc/hostname", "demo\n", 0644);
  WriteFile(r / "etc/secret.conf", "token=42\n", 0600);
  WriteFile(r / "empty", "", 0644);
  WriteFile(r / "one-byte", "x", 0644);
  WriteFile(r / "data/big.bin", std::string(70 * 1024, 'b'), 0644);
  WriteFile(r / "data/deep/er/still/leaf.txt", "leaf\n", 0644);
  WriteFile(r / (options.spaces_in_names ? "names/with space.txt" : "names/with_space.txt"),
            "space\n", 0644);
  WriteFile(r / "names/caf\xc3\xa9-\xe2\x9c\x93.txt", "unicode\n", 0644);
  fs::create_directories(r / "emptydir");
  if (options.unix_modes) WriteFile(r / "bin/run.sh", "#!/bin/sh\necho hi\n", 0755);
  if (options.symlinks) {
    fs::create_symlink("hostname", r / "etc/alias");
    fs::create_symlink("/etc/hostname", r / "abs-link");
    fs::create_symlink("../../outside", r / "data/escape");
  }
}

Status MakeImage(const std::string& fstype, const std::string& root, const std::string& image) {
  const std::string img = Quote(image);
  const std::string src = Quote(root);
  ::unlink(image.c_str());
  if (fstype == "ext4") return Run("mke2fs -q -F -t ext4 -L dftest -d " + src + " " + img + " 512M");
  if (fstype == "btrfs") {
    return Run("truncate -s 160M " + img + " && mkfs.btrfs -q -L dftest --rootdir " + src + " " +
               img);
  }
  if (fstype == "xfs") {
    std::string proto = "/dev/null\n0 0\nd--755 0 0\n";
    AppendProto(root, 1, &proto);
    proto += "$\n";
    const std::string proto_path = image + ".proto";
    std::ofstream(proto_path) << proto;
    Status st = Run("truncate -s 320M " + img + " && mkfs.xfs -q -L dftest -p " +
                    Quote(proto_path) + " " + img);
    ::unlink(proto_path.c_str());
    return st;
  }
  if (fstype == "vfat") {
    return Run("truncate -s 32M " + img + " && mkfs.vfat -n DFTEST " + img +
               " >/dev/null && mcopy -s -p -m -i " + img + " " + src + "/* ::/");
  }
  return Status(Code::kInvalidArgument, "no image recipe for " + fstype);
}

std::vector<std::string> ListTree(const std::string& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    out.push_back("/" + it->path().lexically_relative(root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int RunShell(const std::string& command, std::string* output) {
  output->clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string MakeScratchDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/diskferry-" + tag + "-XXXXXX";
  char* made = ::mkdtemp(templ.data());
  return made ? std::string(made) : std::string();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  if (!path.empty()) fs::remove_all(path, ec);
}

std::string BuiltProgram(const std::string& name) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return name;
  self[n] = '\0';
  return (fs::path(self).parent_path() / name).string();
}

std::string Diskferry(const std::string& args) {
  return "'" + BuiltProgram("diskferry") + "' " + args;
}

Result<ApplianceImage> BuildTestAppliance() {
  Result<std::string> daemon = FindDaemonBinary();
  if (!daemon.ok()) return daemon.status();
  ApplianceBuildConfig build;
  build.daemon = *daemon;
  return BuildAppliance(build);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<int> ProcessesMentioning(const std::string& marker, const std::string& program) {
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid()) continue;
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (args.find(marker) != std::string::npos && args.find(program) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  if (proc) ::closedir(proc);
  return pids;
}

bool WaitForProcesses(const std::string& marker, const std::string& program, bool present,
                      std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (ProcessesMentioning(marker, program).empty() == present) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace diskferry::testing
