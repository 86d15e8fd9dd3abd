#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/appliance_cache.h"
#include "appliance/builder_io.h"
#include "appliance/cache_dir.h"
#include "appliance/qmp_client.h"
#include "appliance/template_store.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kRamFile[] = "ram";
constexpr char kStateFile[] = "state";
constexpr char kMetaFile[] = "template.json";
constexpr std::string_view kStagingPrefix = "tmp-";
constexpr char kUnusableSuffix[] = ".unusable";
// How often a running migration is asked whether it has finished.
constexpr std::chrono::milliseconds kMigrationPoll(5);

// What identifies one version of a file without reading it.
struct Identity {
  uint64_t size = 0;
  uint64_t ino = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const Identity&) const = default;
};

Result<Identity> Identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
  Identity id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  id.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return id;
}

Result<std::string> Sha256OfText(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return Status(Code::kInternal, "SHA-256 failed in OpenSSL");
  }
  return HexOf(digest, length);
}

// SHA-256 over the file's data extents (SEEK_DATA/SEEK_HOLE): with `sparse`, each as its
// offset and length followed by its bytes, so that a sparse RAM file costs what its guest
// touched; without, the bytes alone (what sha256sum prints for a file without holes).
Result<std::string> Sha256OfExtents(const std::string& path, bool sparse) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Status status;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    status = Status(Code::kInternal, "SHA-256 failed in OpenSSL");
  }
  std::vector<unsigned char> buffer(1 << 20);
  off_t pos = 0;
  while (status.ok()) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) {
      if (errno != ENXIO) status = ErrnoStatus(errno, path);
      break;  // ENXIO: no data after pos
    }
    off_t end = ::lseek(fd, data, SEEK_HOLE);
    if (end < 0) {
      status = ErrnoStatus(errno, path);
      break;
    }
    const uint64_t extent[2] = {static_cast<uint64_t>(data), static_cast<uint64_t>(end - data)};
    if (sparse) EVP_DigestUpdate(ctx.get(), extent, sizeof extent);
    for (off_t at = data; at < end && status.ok();) {
      const size_t want = static_cast<size_t>(std::min<off_t>(end - at, buffer.size()));
      const ssize_t n = ::pread(fd, buffer.data(), want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = n < 0 ? ErrnoStatus(errno, path)
                       : Status(Code::kFailedPrecondition, path + ": short read");
        break;
      }
      EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
      at += n;
    }
    pos = end;
  }
  ::close(fd);
  if (!status.ok()) return status;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    return Status(Code::kInternal, "SHA-256 failed in OpenSSL");
  }
  return HexOf(digest, length);
}

Status SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : ErrnoStatus(err, "fsync " + path);
}

// The program `name` would run as: itself when it holds a '/', else the first executable
// of that name on PATH.
std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    std::string candidate = (colon == start ? "." : dirs.substr(start, colon - start)) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return name;
}

nlohmann::json IdentityJson(const Identity& id, const std::string& sha256) {
  return {{"size", id.size},
          {"ino", id.ino},
          {"mtime_ns", id.mtime_ns},
          {"ctime_ns", id.ctime_ns},
          {"sha256", sha256}};
}

bool SameIdentity(const nlohmann::json& recorded, const Identity& id) {
  return recorded.is_object() && recorded.value("size", uint64_t{0}) == id.size &&
         recorded.value("ino", uint64_t{0}) == id.ino &&
         recorded.value("mtime_ns", int64_t{0}) == id.mtime_ns &&
         recorded.value("ctime_ns", int64_t{0}) == id.ctime_ns;
}

class PosixTemplateBuild : public TemplateBuild {
 public:
  PosixTemplateBuild(CacheLock lock, TemplateFiles files)
      : lock_(std::move(lock)), files_(std::move(files)) {}
  ~PosixTemplateBuild() override {
    if (!files_.dir.empty()) {
      std::error_code ec;
      fs::remove_all(files_.dir, ec);
    }
  }
  const TemplateFiles& files() const override { return files_; }
  // Publish took the directory: nothing to delete.
  void Released() { files_.dir.clear(); }

 private:
  CacheLock lock_;
  TemplateFiles files_;
};

TemplateFiles FilesIn(const std::string& dir) {
  return TemplateFiles{dir, dir + "/" + kRamFile, dir + "/" + kStateFile};
}

class PosixTemplateStore : public TemplateStore {
 public:
  explicit PosixTemplateStore(std::string dir)
      : TemplateStore(std::move(dir)), cache_(this->dir()) {}

  Result<std::string> Key(const ApplianceConfig& config, Accelerator accel) const override {
    std::string text = "diskferry template format " + std::to_string(kTemplateFormatVersion) + "\n";
    const std::string qemu = ResolveProgram(config.qemu_binary);
    for (const std::string& path : {qemu, config.image.kernel, config.image.initrd}) {
      Result<Identity> id = Identify(path);
      if (!id.ok()) return id.status();
      text += path + '\0' + std::to_string(id->size) + '\0' + std::to_string(id->ino) + '\0' +
              std::to_string(id->mtime_ns) + '\n';
    }
    std::string cmdline = kDefaultKernelCmdline;
    if (!config.extra_kernel_args.empty()) cmdline += " " + config.extra_kernel_args;
    text += "machine " + config.machine + "\naccel " + std::string(AccelName(accel)) + "\nmemory " +
            std::to_string(config.memory_mib) + "\nvcpus " + std::to_string(config.vcpus) +
            "\ncmdline " + cmdline + "\n";
    return Sha256OfText(text);
  }

  Result<TemplateFiles> Find(const std::string& key, bool verify_ram) const override {
    const TemplateFiles files = FilesIn(EntryDir(key));
    Result<std::string> text = ReadOptionalFile(files.dir + "/" + kMetaFile);
    if (!text.ok()) return text.status();
    if (text->empty()) return Status(Code::kNotFound, "no template " + key);
    const nlohmann::json meta = nlohmann::json::parse(*text, nullptr, false);
    if (meta.is_discarded() || !meta.is_object() ||
        meta.value("format", 0) != kTemplateFormatVersion || !meta.contains("ram") ||
        !meta.contains("state")) {
      return Status(Code::kFailedPrecondition,
                    files.dir + "/" + kMetaFile + " is not a template record");
    }
    for (const auto& [name, path] : {std::pair{"ram", files.ram}, {"state", files.state}}) {
      Result<Identity> id = Identify(path);
      if (!id.ok()) return Status(Code::kFailedPrecondition, id.status().message());
      if (!SameIdentity(meta[name], *id)) {
        return Status(Code::kFailedPrecondition, path + " changed after the template was saved");
      }
      if (std::string(name) == "ram" && !verify_ram) continue;
      Result<std::string> sum = Sha256OfExtents(path, std::string(name) == "ram");
      if (!sum.ok()) return Status(Code::kFailedPrecondition, sum.status().message());
      if (*sum != meta[name].value("sha256", std::string())) {
        return Status(Code::kFailedPrecondition, path + " fails its checksum");
      }
    }
    return files;
  }

  Result<std::unique_ptr<TemplateBuild>> BeginBuild(
      const std::string& key, uint32_t memory_mib,
      std::chrono::milliseconds lock_timeout) override {
    if (Status s = cache_.Init(); !s.ok()) return s;
    Result<CacheLock> lock = cache_.Lock(lock_timeout);
    if (!lock.ok()) return lock.status();
    // Another run may have published it while this one waited for the lock.
    if (Find(key, /*verify_ram=*/false).ok()) return std::unique_ptr<TemplateBuild>();
    RemoveStaging();  // under the lock every staging directory is abandoned
    Result<std::string> staging = cache_.CreateStaging();
    if (!staging.ok()) return staging.status();
    auto build = std::make_unique<PosixTemplateBuild>(std::move(*lock), FilesIn(*staging));
    const int fd = ::open(build->files().ram.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, build->files().ram);
    const int rc = ::ftruncate(fd, static_cast<off_t>(memory_mib) << 20);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(err, "size " + build->files().ram);
    return std::unique_ptr<TemplateBuild>(std::move(build));
  }

  Result<TemplateFiles> Publish(std::unique_ptr<TemplateBuild> build,
                                const std::string& key) override {
    auto* ours = static_cast<PosixTemplateBuild*>(build.get());
    const TemplateFiles staged = ours->files();
    nlohmann::json meta = {{"format", kTemplateFormatVersion}, {"key", key}};
    for (const auto& [name, path] : {std::pair{"ram", staged.ram}, {"state", staged.state}}) {
      if (Status s = SyncFile(path); !s.ok()) return s;
      Result<std::string> sum = Sha256OfExtents(path, std::string(name) == "ram");
      if (!sum.ok()) return sum.status();
      Result<Identity> id = Identify(path);
      if (!id.ok()) return id.status();
      meta[name] = IdentityJson(*id, *sum);
    }
    const std::string meta_path = staged.dir + "/" + kMetaFile;
    if (Status s = WriteNewFile(meta_path, meta.dump(2) + "\n", 0600); !s.ok()) return s;
    if (Status s = SyncFile(staged.dir); !s.ok()) return s;
    const std::string entry = EntryDir(key);
    Discard(key);
    if (::rename(staged.dir.c_str(), entry.c_str()) != 0)
      return ErrnoStatus(errno, "publish " + entry);
    ours->Released();
    build.reset();  // releases the lock
    Prune(key);
    return FilesIn(entry);
  }

  void MarkUnusable(const std::string& key, const std::string& why) override {
    if (!cache_.Init().ok()) return;
    const std::string path = dir() + "/" + key + kUnusableSuffix;
    const std::string temp = path + ".tmp";
    ::unlink(temp.c_str());
    if (WriteNewFile(temp, why + "\n", 0600).ok()) ::rename(temp.c_str(), path.c_str());
  }

  std::string Unusable(const std::string& key) const override {
    Result<std::string> text = ReadOptionalFile(dir() + "/" + key + kUnusableSuffix);
    if (!text.ok()) return std::string();
    std::string why = text->substr(0, text->find('\n'));
    return why.empty() && !text->empty() ? "recorded as unusable" : why;
  }

  void Discard(const std::string& key) override {
    const std::string entry = EntryDir(key);
    Result<std::string> trash = cache_.CreateStaging();
    std::error_code ec;
    if (trash.ok() && ::rename(entry.c_str(), (*trash + "/entry").c_str()) == 0) {
      fs::remove_all(*trash, ec);
      return;
    }
    if (trash.ok()) fs::remove_all(*trash, ec);
    fs::remove_all(entry, ec);
  }

 private:
  std::string EntryDir(const std::string& key) const { return dir() + "/" + key; }

  void RemoveStaging() const {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir(), ec)) {
      if (e.path().filename().string().starts_with(kStagingPrefix)) fs::remove_all(e.path(), ec);
    }
  }

  // Keeps `key` and the kTemplatesKept - 1 most recently published others.
  void Prune(const std::string& key) {
    std::vector<std::pair<fs::file_time_type, std::string>> entries;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir(), ec)) {
      const std::string name = e.path().filename().string();
      if (name == key || name.size() != 64 || !e.is_directory(ec)) continue;
      entries.emplace_back(fs::last_write_time(e.path(), ec), name);
    }
    std::sort(entries.rbegin(), entries.rend());
    for (size_t i = kTemplatesKept > 0 ? kTemplatesKept - 1 : 0; i < entries.size(); ++i) {
      Discard(entries[i].second);
    }
  }

  ApplianceCache cache_;  // for its lock and staging directories
};

}  // namespace

Result<std::unique_ptr<TemplateStore>> OpenTemplateStore(const std::string& dir) {
  return std::unique_ptr<TemplateStore>(new PosixTemplateStore(dir));
}

std::string DefaultTemplateDir() { return DefaultCacheDir() + "/templates"; }

namespace {

const nlohmann::json kIgnoreShared = {
    {"capabilities",
     nlohmann::json::array({{{"capability", "x-ignore-shared"}, {"state", true}}})}};

// Polls query-migrate until the migration completes; `what` names it in errors.
Status AwaitMigration(QmpClient* qmp, const std::string& what, Clock::time_point deadline) {
  for (;;) {
    Result<nlohmann::json> info = qmp->Execute("query-migrate", nullptr, deadline);
    if (!info.ok()) return info.status();
    const std::string status = info->is_object() ? info->value("status", std::string()) : "";
    if (status == "completed") return Status::Ok();
    if (status == "failed" || status == "cancelled") {
      return Status(Code::kUnavailable, what + " failed: " + info->value("error-desc", status));
    }
    if (Clock::now() >= deadline) return Status(Code::kTimeout, what + " did not finish in time");
    std::this_thread::sleep_for(kMigrationPoll);
  }
}

Status Run(QmpClient* qmp, const std::string& command, const nlohmann::json& arguments,
           Clock::time_point deadline) {
  Result<nlohmann::json> r = qmp->Execute(command, arguments, deadline);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

Status SaveVmState(const std::string& qmp_socket, const std::string& state_path,
                   Clock::time_point deadline) {
  Result<QmpClient> qmp = QmpClient::Connect(qmp_socket, deadline);
  if (!qmp.ok()) return qmp.status();
  if (Status s = Run(&*qmp, "stop", nullptr, deadline); !s.ok()) return s;
  if (Status s = Run(&*qmp, "migrate-set-capabilities", kIgnoreShared, deadline); !s.ok()) return s;
  const std::string uri = "exec:cat > " + ShellQuote(state_path);
  if (Status s = Run(&*qmp, "migrate", {{"uri", uri}}, deadline); !s.ok()) return s;
  if (Status s = AwaitMigration(&*qmp, "saving the template's device state", deadline); !s.ok()) {
    return s;
  }
  return Run(&*qmp, "quit", nullptr, deadline);
}

Status RestoreVmState(const std::string& qmp_socket, const std::string& state_path,
                      Clock::time_point deadline) {
  Result<QmpClient> qmp = QmpClient::Connect(qmp_socket, deadline);
  if (!qmp.ok()) return qmp.status();
  if (Status s = Run(&*qmp, "migrate-set-capabilities", kIgnoreShared, deadline); !s.ok()) return s;
  const std::string uri = "exec:cat " + ShellQuote(state_path);
  if (Status s = Run(&*qmp, "migrate-incoming", {{"uri", uri}}, deadline); !s.ok()) return s;
  if (Status s = AwaitMigration(&*qmp, "restoring the template's device state", deadline);
      !s.ok()) {
    return s;
  }
  return Run(&*qmp, "cont", nullptr, deadline);
}

}  // namespace diskferry
