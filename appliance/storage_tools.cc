#include "appliance/storage_tools.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>

#include "appliance/elf_dynamic.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

struct ToolSpec {
  std::string_view name;
  std::string_view package;
  // Files the tool dlopens, packed when the host has them: a library name is looked up
  // like DT_NEEDED, an absolute path is taken as is.
  std::vector<std::string_view> dlopened;
};

// glibc's pthread_exit unwinds with libgcc_s, which it dlopens: libargon2 ends its
// threads with pthread_exit, so without it cryptsetup aborts on every argon2 keyslot
// ("libgcc_s.so.1 must be installed for pthread_exit to work"). libcryptsetup loads
// OpenSSL's legacy provider for the old hashes LUKS1 allows (ripemd160, whirlpool).
const std::vector<ToolSpec>& ToolSpecs() {
  static const std::vector<ToolSpec> kSpecs = {
      {"cache_check", "thin-provisioning-tools", {}},
      {"cryptsetup",
       "cryptsetup-bin",
       {"libgcc_s.so.1", "/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so"}},
      {"dmsetup", "dmsetup", {}},
      // The Sleuth Kit, for deleted files (daemon/deleted_files.h): Debian keeps them in
      // /usr/bin; the guest has them at /usr/sbin like the others.
      {"fls", "sleuthkit", {}},
      {"icat", "sleuthkit", {}},
      {"lvm", "lvm2", {}},
      {"mdadm", "mdadm", {}},
      // NTFS through FUSE: no Debian 12 kernel has ntfs3 (daemon/fs_mount.h).
      {"ntfs-3g", "ntfs-3g", {}},
      {"thin_check", "thin-provisioning-tools", {}},
  };
  return kSpecs;
}

// ld.so's system search path on Debian x86-64 (`ld.so --help`), in its order. The guest
// has no ld.so.cache, so the loader searches these there too.
constexpr std::string_view kSystemLibraryDirs[] = {"/lib/x86_64-linux-gnu",
                                                   "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"};

// A read-only mapping of a whole file: parsing touches only the pages it reads.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = std::strerror(errno);
      return;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
      error_ = "not a regular, non-empty file";
    } else {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        error_ = std::strerror(errno);
      } else {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  bool ok() const { return data_ != nullptr; }
  const std::string& error() const { return error_; }
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  std::string error_;
};

bool IsFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);  // follows symlinks, as the copy will
}

// One tool and everything it needs, guest path -> host path.
struct Closure {
  std::map<std::string, std::string> files;
  std::vector<StorageToolLink> links;
  std::string error;  // why the tool cannot be packed; "" when complete
};

class ClosureBuilder {
 public:
  explicit ClosureBuilder(std::string root) : root_(std::move(root)) {}

  // Adds `guest`, copied from `host`, and transitively its loader and libraries (taken
  // from root + their guest paths). Returns "" or why the closure is incomplete.
  std::string Add(const std::string& guest, const std::string& host, Closure* closure) {
    std::deque<std::pair<std::string, std::string>> pending = {{guest, host}};
    while (!pending.empty()) {
      auto [next, source] = std::move(pending.front());
      pending.pop_front();
      if (!closure->files.emplace(next, source).second) continue;
      if (std::string error = Dependencies(next, source, &pending); !error.empty()) return error;
    }
    return "";
  }
  std::string Add(const std::string& guest, Closure* closure) {
    return Add(guest, root_ + guest, closure);
  }

  // The guest path ld.so would load `name` from, searching `runpath` then the system
  // directories; "" when none has it.
  std::string FindLibrary(const std::string& name, const std::vector<std::string>& runpath) const {
    std::vector<std::string> dirs;
    for (const std::string& dir : runpath) {
      // $ORIGIN and friends name places relative to the object; Debian's tools use none.
      if (dir.starts_with('/') && dir.find('$') == std::string::npos) dirs.push_back(dir);
    }
    dirs.insert(dirs.end(), std::begin(kSystemLibraryDirs), std::end(kSystemLibraryDirs));
    for (const std::string& dir : dirs) {
      std::string guest = dir + "/" + name;
      if (IsFile(root_ + guest)) return guest;
    }
    return "";
  }

  const std::string& root() const { return root_; }

 private:
  std::string Dependencies(const std::string& guest, const std::string& host,
                           std::deque<std::pair<std::string, std::string>>* pending) const {
    MappedFile file(host);
    if (!file.ok()) return guest + ": " + file.error();
    Result<ElfDynamic> elf = ParseElfDynamic(file.bytes());
    if (!elf.ok()) return guest + ": " + elf.status().message();
    if (!elf->interpreter.empty()) {
      if (!IsFile(root_ + elf->interpreter))
        return guest + ": loader " + elf->interpreter + " not found";
      pending->emplace_back(elf->interpreter, root_ + elf->interpreter);
    }
    for (const std::string& name : elf->needed) {
      if (name.find('/') != std::string::npos) return guest + ": DT_NEEDED path " + name;
      std::string found = FindLibrary(name, elf->runpath);
      if (found.empty()) return guest + ": " + name + " not found";
      pending->emplace_back(found, root_ + found);
    }
    return "";
  }

  std::string root_;
};

// Where the host keeps `tool`: /usr/sbin, or /sbin on hosts without merged /usr; /usr/bin
// or /bin for ntfs-3g.
std::string HostToolPath(const std::string& root, std::string_view tool) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    std::string path = root + dir + std::string(tool);
    if (IsFile(path)) return path;
  }
  return "";
}

// The guest path of a host file that a tool's symlink resolves to, when it lies inside
// the root; "" otherwise.
std::string GuestPathOfTarget(const std::string& root, const std::string& host_path) {
  std::error_code ec;
  fs::path target = fs::canonical(host_path, ec);
  if (ec) return "";
  fs::path base = fs::canonical(root.empty() ? "/" : root, ec);
  if (ec) return "";
  std::string t = target.string(), b = base.string();
  if (b == "/") return t;
  if (t.size() <= b.size() || !t.starts_with(b) || t[b.size()] != '/') return "";
  return t.substr(b.size());
}

Closure ToolClosure(ClosureBuilder& builder, const ToolSpec& spec) {
  Closure closure;
  const std::string guest = "/usr/sbin/" + std::string(spec.name);
  std::string host = HostToolPath(builder.root(), spec.name);
  if (host.empty()) {
    closure.error = "not installed (apt-get install " + std::string(spec.package) + ")";
    return closure;
  }
  std::error_code ec;
  std::string target = fs::is_symlink(host, ec) ? GuestPathOfTarget(builder.root(), host) : "";
  if (!target.empty() && target != guest) {
    // thin_check and cache_check are links to one multi-call binary (pdata_tools),
    // which dispatches on argv[0]: pack it once and keep the links.
    closure.links.push_back({guest, target});
    closure.error = builder.Add(target, &closure);
  } else {
    closure.error = builder.Add(guest, host, &closure);  // from /sbin: same bytes, /usr/sbin
  }
  return closure;
}

// Optional dlopened files: each with its whole closure, or not at all.
void AddDlopened(ClosureBuilder& builder, const ToolSpec& spec, Closure* closure) {
  for (std::string_view item : spec.dlopened) {
    std::string guest =
        item.starts_with('/') ? std::string(item) : builder.FindLibrary(std::string(item), {});
    if (guest.empty() || !IsFile(builder.root() + guest)) continue;
    Closure extra;
    if (!builder.Add(guest, &extra).empty()) continue;
    closure->files.insert(extra.files.begin(), extra.files.end());
  }
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

bool StorageToolsPlan::Has(std::string_view tool) const {
  return std::find(present.begin(), present.end(), tool) != present.end();
}

std::vector<std::string> StorageToolsPlan::Sources() const {
  std::vector<std::string> sources;
  for (const StorageToolFile& f : files) sources.push_back(f.source);
  return sources;
}

std::vector<std::string> StorageToolNames() {
  std::vector<std::string> names;
  for (const ToolSpec& spec : ToolSpecs()) names.emplace_back(spec.name);
  return names;
}

std::string StorageToolPackage(std::string_view tool) {
  for (const ToolSpec& spec : ToolSpecs()) {
    if (spec.name == tool) return std::string(spec.package);
  }
  return "";
}

StorageToolsPlan PlanStorageTools(const StorageToolsConfig& config) {
  std::string root = config.root;
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  if (root == "/") root.clear();
  ClosureBuilder builder(root);
  StorageToolsPlan plan;
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> links;
  for (const ToolSpec& spec : ToolSpecs()) {
    Closure closure = ToolClosure(builder, spec);
    if (!closure.error.empty()) {
      plan.absent.push_back(std::string(spec.name) + ": " + closure.error);
      continue;
    }
    AddDlopened(builder, spec, &closure);
    plan.present.emplace_back(spec.name);
    files.insert(closure.files.begin(), closure.files.end());
    for (const StorageToolLink& link : closure.links) links.emplace(link.guest, link.target);
  }
  for (auto& [guest, source] : files) plan.files.push_back({guest, source});
  for (auto& [guest, target] : links) plan.links.push_back({guest, target});
  return plan;
}

std::string RenderLvmConf(const StorageToolsPlan& plan) {
  std::string thin = plan.Has("thin_check") ? "/usr/sbin/thin_check" : "";
  std::string cache = plan.Has("cache_check") ? "/usr/sbin/cache_check" : "";
  return "# diskferry appliance: no udev, lvmpolld, dmeventd or dbus; nothing kept across boots.\n"
         "devices {\n"
         "\tscan = [ \"/dev\" ]\n"
         "\tobtain_device_list_from_udev = 0\n"
         "\texternal_device_info_source = \"none\"\n"
         "\tmultipath_component_detection = 0\n"
         "\tuse_devicesfile = 0\n"
         "\thints = \"none\"\n"
         "}\n"
         "global {\n"
         "\tlocking_dir = \"/run/lock/lvm\"\n"
         "\tuse_lvmpolld = 0\n"
         "\tevent_activation = 0\n"
         "\tnotify_dbus = 0\n"
         "\tsystem_id_source = \"none\"\n"
         "\tthin_check_executable = " +
         Quoted(thin) +
         "\n"
         "\tcache_check_executable = " +
         Quoted(cache) +
         "\n"
         "}\n"
         "activation {\n"
         "\tudev_sync = 0\n"
         "\tudev_rules = 0\n"
         "\tverify_udev_operations = 0\n"
         "\tmonitoring = 0\n"
         "}\n"
         "backup {\n"
         "\tbackup = 0\n"
         "\tarchive = 0\n"
         "}\n";
}

std::string RenderMdadmConf() {
  return "# diskferry appliance: arrays are assembled only when the daemon asks.\n"
         "DEVICE partitions containers\n"
         "HOMEHOST <ignore>\n"
         "MAILADDR root\n";
}

}  // namespace diskferry
