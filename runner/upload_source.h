// UploadSource: the TreeSource of an inject job's `upload` step. Wraps a source that yields
// one top entry NAME and its subtree "NAME/..." (HostTreeReader over one host path) and
// renames the top component, so that host path `from` lands at guest path `to` when the
// result is injected under dirname(to):
//
//   from: ./conf (dir)  to: /etc/app    "conf", "conf/a.ini"  ->  "app", "app/a.ini"
//
// An empty new name drops the top entry and strips "NAME/" from the rest: the contents of
// a directory uploaded to "/" land in the root itself. Hard-link targets are renamed the
// same way. Overrides: `mode` replaces the permission bits of regular files, `owner` the
// uid/gid of every entry (kError entries, which describe unreadable host files, are left
// alone). An entry outside NAME is a kInternal failure of Next().
//
// Pure logic over the wrapped source; used by one thread at a time.
#ifndef DISKFERRY_RUNNER_UPLOAD_SOURCE_H_
#define DISKFERRY_RUNNER_UPLOAD_SOURCE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/status.h"
#include "protocol/tree_io.h"

namespace diskferry {

struct UploadOverrides {
  std::optional<uint32_t> mode;  // permission bits (07777) of regular files
  std::optional<uint32_t> uid;   // every entry
  std::optional<uint32_t> gid;
};

class UploadSource : public TreeSource {
 public:
  // Borrows `inner`, which must outlive this. `old_name` is the top component `inner`
  // yields; `new_name` what it becomes ("" for the root, see above).
  UploadSource(TreeSource* inner, std::string old_name, std::string new_name,
               const UploadOverrides& overrides);

  Result<std::optional<SourceEntry>> Next() override;

 private:
  // `path` under the new name, or nullopt when it is not NAME or under NAME/.
  std::optional<std::string> Rename(const std::string& path) const;
  void ApplyOverrides(SourceEntry* entry) const;

  TreeSource* inner_;
  std::string old_name_;
  std::string new_name_;
  UploadOverrides overrides_;
};

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_UPLOAD_SOURCE_H_
