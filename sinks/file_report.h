// Per-file outcomes of a host-side transfer that do not stop it: what the source could not
// read, what the host could not write or preserve. Kept for the caller to print.
// Thread-compatible.
#ifndef DISKFERRY_SINKS_FILE_REPORT_H_
#define DISKFERRY_SINKS_FILE_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sinks/host_safety.h"

namespace diskferry {

// A host-side problem with one path: "not created: parent is not a directory", "xattr
// security.selinux not set: Operation not supported", ...
struct FileProblem {
  std::string path;
  std::string message;
};

// A kError record: the source side could not read `path`.
struct SourceError {
  std::string path;
  int errno_value = 0;
  std::string message;
};

// Ownership the source recorded but the host did not apply (not root, or not asked to).
struct OwnerNotApplied {
  std::string path;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Keeps the first kMaxItems items and counts all of them, so a tree of a million files
// with the same problem costs bounded memory.
template <typename T>
class CappedList {
 public:
  static constexpr size_t kMaxItems = 10000;

  void Add(T item) {
    ++total_;
    if (items_.size() < kMaxItems) items_.push_back(std::move(item));
  }
  const std::vector<T>& items() const { return items_; }
  // Items added, kept or not.
  uint64_t total() const { return total_; }
  bool empty() const { return total_ == 0; }

 private:
  std::vector<T> items_;
  uint64_t total_ = 0;
};

struct WriteReport {
  CappedList<FileProblem> problems;
  CappedList<SourceError> source_errors;
  CappedList<OwnerNotApplied> owners_not_applied;
  Withheld withheld;  // what the safe defaults kept off the host (host_safety.h)
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_FILE_REPORT_H_
