// Kernel module loading from the list files the initramfs builder writes (README.md,
// "Initramfs contract"):
//   /etc/diskferry/modules.boot  one absolute .ko path per line, in dependency order;
//                                all are loaded at boot.
//   /etc/diskferry/modules.fs    "FSTYPE PATH PATH ..." per line, paths in dependency
//                                order; a line with only FSTYPE means built in.
//   /etc/diskferry/modules.storage  "GROUP PATH PATH ..." per line, as modules.fs; groups
//                                are dm, crypt, thin, snapshot, mirror, raid (those the
//                                kernel has); loaded before a storage tool needs them.
// Blank lines and lines starting with '#' are ignored in all three.
//
// The parsers are pure. FsModuleLoader and StorageModuleLoader are thread-compatible: one
// owner calls each from one thread (the Dispatcher, from the serving thread).
#ifndef DISKFERRY_DAEMON_MODULES_H_
#define DISKFERRY_DAEMON_MODULES_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

inline constexpr char kBootModulesFile[] = "/etc/diskferry/modules.boot";
inline constexpr char kFsModulesFile[] = "/etc/diskferry/modules.fs";
inline constexpr char kStorageModulesFile[] = "/etc/diskferry/modules.storage";

// fstype -> module paths in load order; an empty list means built in.
using FsModuleTable = std::map<std::string, std::vector<std::string>>;
// storage group -> module paths in load order; an empty list means built in.
using StorageModuleTable = std::map<std::string, std::vector<std::string>>;

// Paths from modules.boot, in file order. A line that is not an absolute path is skipped
// and described in `warnings` ("modules.boot:3: not an absolute path: foo.ko").
std::vector<std::string> ParseBootModules(std::string_view text,
                                          std::vector<std::string>* warnings);

// Table from modules.fs. A repeated FSTYPE keeps its first line (with a warning); a
// non-absolute path is dropped from its line (with a warning).
FsModuleTable ParseFsModules(std::string_view text, std::vector<std::string>* warnings);

// Table from modules.storage, with the same rules as ParseFsModules (warnings name
// "modules.storage:LINE").
StorageModuleTable ParseStorageModules(std::string_view text, std::vector<std::string>* warnings);

// Loads one module with finit_module(2). A module already loaded (EEXIST) is a success.
// Errors name the path: "/lib/.../xfs.ko: No such file or directory" for a missing file,
// "...: unknown symbol (...)" when a dependency is not loaded.
OpResult<bool> LoadModule(const std::string& path);

// Loads every path in order, then retries the failures while a pass makes progress (so a
// list out of dependency order still loads). Returns the final failures, in list order.
std::vector<OpError> LoadModulesInAnyOrder(const std::vector<std::string>& paths);

// LoadModulesInAnyOrder, logging a console warning for each module that failed (a
// missing file is skipped). Returns the number that failed.
int LoadModules(const std::vector<std::string>& paths);

// Loads the modules a filesystem type needs, once per type, the first time a mount asks.
class FsModuleLoader {
 public:
  explicit FsModuleLoader(FsModuleTable table) : table_(std::move(table)) {}

  // Loads fstype's modules unless that was done before. Returns one message per module
  // that failed to load (empty when all loaded, the type is built in or unknown here:
  // an unknown type is left to the kernel, which reports ENODEV at mount).
  std::vector<std::string> EnsureLoaded(const std::string& fstype);

 private:
  FsModuleTable table_;
  std::set<std::string> attempted_;
};

// Loads the modules a storage group needs ("dm", "crypt", ...), once per group, before
// the daemon runs a tool that needs them (lvm needs dm; a LUKS volume crypt; an md array
// raid). Nothing is loaded at boot, so a disk without LVM, LUKS or RAID costs nothing.
class StorageModuleLoader {
 public:
  // How a list of modules is loaded: LoadModulesInAnyOrder, or a stand-in in tests.
  using LoadFn = std::function<std::vector<OpError>(const std::vector<std::string>&)>;

  explicit StorageModuleLoader(StorageModuleTable table, LoadFn load = LoadModulesInAnyOrder)
      : table_(std::move(table)), load_(std::move(load)) {}

  // Loads group's modules on the first call; every later call returns what the first one
  // did without loading again. Returns one message per module that failed to load (empty
  // when all loaded or the group is built in), or, for a group this appliance has no line
  // for, the single message "storage group GROUP is not in this appliance (its kernel lacks
  // a module it needs)". A module that declines with ENODEV is not a failure: it drives
  // hardware the guest lacks (crc32c-intel without SSE4.2, under TCG), and the generic
  // implementation serves instead.
  std::vector<std::string> EnsureLoaded(const std::string& group);

  // True when modules.storage has a line for `group` (built in or loadable).
  bool Has(const std::string& group) const { return table_.contains(group); }

 private:
  StorageModuleTable table_;
  LoadFn load_;
  std::map<std::string, std::vector<std::string>> attempted_;  // group -> its problems
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_MODULES_H_
