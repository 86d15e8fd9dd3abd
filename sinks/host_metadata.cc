#include "sinks/host_metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/time_ns.h"

namespace diskferry {
namespace {

constexpr std::string_view kCapabilityXattr = "security.capability";

void Problem(WriteReport* report, std::string_view path, const std::string& what, int err) {
  report->problems.Add({std::string(path), what + ": " + std::strerror(err)});
}

// Calls that differ between a descriptor and a name in a directory.
struct Target {
  int fd = -1;      // an open file or directory, or -1
  int dir_fd = -1;  // else: `name` in this directory
  const std::string* name = nullptr;
  bool symlink = false;

  int Chown(uid_t uid, gid_t gid) const {
    return fd >= 0 ? fchown(fd, uid, gid)
                   : fchownat(dir_fd, name->c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  }
  int Chmod(mode_t mode) const {
    // glibc's fchmodat(AT_SYMLINK_NOFOLLOW) goes through an O_PATH descriptor, never the name.
    return fd >= 0 ? fchmod(fd, mode) : fchmodat(dir_fd, name->c_str(), mode, AT_SYMLINK_NOFOLLOW);
  }
  int SetXattr(const std::string& key, const std::string& value) const {
    if (fd >= 0) return fsetxattr(fd, key.c_str(), value.data(), value.size(), 0);
    // No *at() form before Linux 6.13: name the entry through our directory descriptor.
    const std::string via = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + *name;
    return lsetxattr(via.c_str(), key.c_str(), value.data(), value.size(), 0);
  }
  int SetTimes(const timespec times[2]) const {
    return fd >= 0 ? futimens(fd, times)
                   : utimensat(dir_fd, name->c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
};

void ApplyOwner(const Target& t, const EntryMetadata& e, const MetadataPolicy& policy,
                WriteReport* report) {
  const RecordMeta& m = *e.meta;
  if (!policy.owner) {
    if (m.uid != geteuid() || m.gid != getegid()) {
      report->owners_not_applied.Add({std::string(e.path), m.uid, m.gid});
    }
    return;
  }
  if (t.Chown(m.uid, m.gid) != 0) Problem(report, e.path, "owner not set", errno);
}

void ApplyMode(const Target& t, bool regular, const EntryMetadata& e, const MetadataPolicy& policy,
               WriteReport* report) {
  mode_t mode = regular ? SafeFileMode(e.path, e.meta->mode, policy.safety, &report->withheld)
                        : e.meta->mode & 07777;
  if (!policy.mode) mode = S_ISDIR(e.meta->mode) ? 0755 : 0644;
  if (regular && !policy.owner && (mode & (S_ISUID | S_ISGID)) != 0) {
    mode &= ~mode_t{S_ISUID | S_ISGID};
    report->problems.Add({std::string(e.path), "setuid/setgid bits dropped: owner not preserved"});
  }
  if (t.Chmod(mode) != 0) Problem(report, e.path, "mode not set", errno);
}

void ApplyXattrs(const Target& t, bool regular, const EntryMetadata& e,
                 const MetadataPolicy& policy, WriteReport* report) {
  if (e.xattrs == nullptr) return;
  for (const auto& [key, value] : *e.xattrs) {
    if (regular && !policy.owner && key == kCapabilityXattr) {
      report->problems.Add({std::string(e.path), "xattr " + key + " dropped: owner not preserved"});
      continue;
    }
    if (t.SetXattr(key, value) != 0) Problem(report, e.path, "xattr " + key + " not set", errno);
  }
}

void ApplyTimes(const Target& t, const EntryMetadata& e, WriteReport* report) {
  const timespec times[2] = {NsToTimespec(e.meta->atime_ns), NsToTimespec(e.meta->mtime_ns)};
  if (t.SetTimes(times) != 0) Problem(report, e.path, "times not set", errno);
}

void Apply(const Target& t, bool regular, const EntryMetadata& e, const MetadataPolicy& policy,
           WriteReport* report) {
  ApplyOwner(t, e, policy, report);
  if (!t.symlink) ApplyMode(t, regular, e, policy, report);
  ApplyXattrs(t, regular, e, policy, report);
  if (policy.times) ApplyTimes(t, e, report);
}

}  // namespace

void ApplyToFd(int fd, bool regular, const EntryMetadata& entry, const MetadataPolicy& policy,
               WriteReport* report) {
  Target t;
  t.fd = fd;
  Apply(t, regular, entry, policy, report);
}

void ApplyByName(int dir_fd, const std::string& name, bool symlink, const EntryMetadata& entry,
                 const MetadataPolicy& policy, WriteReport* report) {
  Target t;
  t.dir_fd = dir_fd;
  t.name = &name;
  t.symlink = symlink;
  Apply(t, false, entry, policy, report);
}

}  // namespace diskferry
