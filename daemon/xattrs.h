// Extended attributes of an entry named by a directory fd and a name (EntryRef), never
// following a final symlink: the l*xattr calls on ProcFdPath(dir_fd, name), which keeps the
// lookup inside that directory. Shared by the xattr requests and the tree reader/writer.
//
// Stateless functions; thread-safe. Errors name `shown` (the path the user knows) and, for
// one attribute, its name: "/etc/hosts: user.x: No data available".
#ifndef DISKFERRY_DAEMON_XATTRS_H_
#define DISKFERRY_DAEMON_XATTRS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

using XattrList = std::vector<std::pair<std::string, std::string>>;

// Attribute names, in the order the filesystem lists them.
OpResult<std::vector<std::string>> ListXattrNames(int dir_fd, std::string_view name,
                                                  std::string_view shown);
// One attribute's value (ENODATA when it is not set).
OpResult<std::string> GetXattrValue(int dir_fd, std::string_view name, std::string_view attr,
                                    std::string_view shown);
// Creates or replaces one attribute.
OpResult<bool> SetXattrValue(int dir_fd, std::string_view name, std::string_view attr,
                             std::string_view value, std::string_view shown);
// Every attribute with its value. A filesystem without xattr support (ENOTSUP) has none;
// an attribute removed while listing is skipped.
OpResult<XattrList> ReadAllXattrs(int dir_fd, std::string_view name, std::string_view shown);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_XATTRS_H_
