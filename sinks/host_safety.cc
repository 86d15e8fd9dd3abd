#include "sinks/host_safety.h"

#include "host/file_mode.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

void Note(uint64_t* count, std::string* first, std::string_view what) {
  if ((*count)++ == 0) *first = std::string(what);
}

std::string Counted(uint64_t n, const char* one, const char* many, const std::string& first) {
  return std::to_string(n) + " " + (n == 1 ? one : many) + " (first " + PrintableText(first) + ")";
}

}  // namespace

void Withheld::Add(const Withheld& other) {
  if (devices == 0) first_device = other.first_device;
  if (setuid == 0) first_setuid = other.first_setuid;
  if (xattrs == 0) first_xattr = other.first_xattr;
  devices += other.devices;
  setuid += other.setuid;
  xattrs += other.xattrs;
}

bool XattrInScope(std::string_view name, XattrScope scope) {
  switch (scope) {
    case XattrScope::kNone:
      return false;
    case XattrScope::kUser:
      return name.rfind("user.", 0) == 0;
    case XattrScope::kAll:
      return true;
  }
  return false;
}

bool WithholdDevice(std::string_view path, const RecordMeta& meta, const HostSafety& safety,
                    Withheld* withheld) {
  const uint32_t type = ModeType(meta.mode);
  if (safety.devices || (type != kModeCharDevice && type != kModeBlockDevice)) return false;
  Note(&withheld->devices, &withheld->first_device, "/" + std::string(path));
  return true;
}

uint32_t SafeFileMode(std::string_view path, uint32_t mode, const HostSafety& safety,
                      Withheld* withheld) {
  mode &= 07777;
  if (safety.setuid || (mode & (kModeSetuid | kModeSetgid)) == 0) return mode;
  Note(&withheld->setuid, &withheld->first_setuid, "/" + std::string(path));
  return mode & ~(kModeSetuid | kModeSetgid);
}

void FilterXattrs(std::string_view path, const HostSafety& safety, XattrList* xattrs,
                  Withheld* withheld) {
  std::erase_if(*xattrs, [&](const std::pair<std::string, std::string>& x) {
    if (XattrInScope(x.first, safety.xattrs)) return false;
    Note(&withheld->xattrs, &withheld->first_xattr, "/" + std::string(path) + " (" + x.first + ")");
    return true;
  });
}

std::string DescribeWithheld(const Withheld& w) {
  std::string out;
  auto add = [&](std::string part) { out += (out.empty() ? "" : ", ") + std::move(part); };
  if (w.devices > 0) add(Counted(w.devices, "device node", "device nodes", w.first_device));
  if (w.setuid > 0) {
    add(Counted(w.setuid, "setuid/setgid file", "setuid/setgid files", w.first_setuid));
  }
  if (w.xattrs > 0) {
    add(Counted(w.xattrs, "extended attribute", "extended attributes", w.first_xattr));
  }
  return out;
}

}  // namespace diskferry
