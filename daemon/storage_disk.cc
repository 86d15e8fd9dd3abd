#include "daemon/storage_disk.h"

#include <cerrno>
#include <chrono>

#include "daemon/log.h"
#include "daemon/sys_files.h"
#include "daemon/tool_runner.h"
#include "protocol/storage_disk.h"

namespace diskferry::daemon {
namespace {

constexpr std::chrono::seconds kUnpackTimeout{60};

}  // namespace

bool IsStorageDisk(const std::string& sys_block_dir, const std::string& disk) {
  if (!disk.starts_with("vd")) return false;
  const std::optional<std::string> serial = ReadFirstLine(sys_block_dir + "/" + disk + "/serial");
  return serial && *serial == kStorageDiskSerial;
}

std::optional<std::string> FindStorageDisk(const std::string& sys_block_dir) {
  for (const std::string& disk : ListDirectory(sys_block_dir)) {
    if (IsStorageDisk(sys_block_dir, disk)) return disk;
  }
  return std::nullopt;
}

OpResult<bool> UnpackStorageDisk(const StorageDiskPaths& paths) {
  const std::optional<std::string> disk = FindStorageDisk(paths.sys_block_dir);
  if (!disk) return false;
  const std::string device = paths.dev_dir + "/" + *disk;
  const auto start = std::chrono::steady_clock::now();
  // -d creates leading directories, -u replaces what an earlier, interrupted unpack left.
  OpResult<ToolOutcome> outcome =
      RunTool({paths.busybox, "sh", "-c", "cd \"$0\" && exec cpio -i -d -u -F \"$1\"", paths.root,
               device},
              "", kUnpackTimeout);
  if (!outcome.ok()) return outcome.error();
  if (outcome->timed_out || outcome->exit_code != 0) {
    std::string why = outcome->timed_out ? "took longer than a minute" : LastLineOf(*outcome);
    return OpError{EIO, "unpacking the storage tools from " + device + ": " + why};
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  LogInfo("storage tools unpacked from %s in %lld ms", device.c_str(),
          static_cast<long long>(ms.count()));
  return true;
}

}  // namespace diskferry::daemon
