// Compares a host tree with another, file by file: the check behind every round-trip test.
#ifndef DISKFERRY_TESTS_INTEGRATION_TREE_COMPARE_H_
#define DISKFERRY_TESTS_INTEGRATION_TREE_COMPARE_H_

#include <string>
#include <vector>

namespace diskferry::testing {

struct CompareOptions {
  bool modes = true;
  bool owners = true;
  bool symlinks = true;
  bool hardlinks = true;   // files linked together in `a` are linked together in `b`
  bool xattrs = false;     // user.* only
  bool sparse = false;     // files sparse in `a` are sparse in `b`
  int mtime_precision_ns = 1;  // 1: exact; 1000000000: seconds; 0: not compared
};

// Differences, one line each ("/etc/hostname: content differs"); empty when equal.
// Directory mtimes are compared too; the roots themselves are not.
std::vector<std::string> CompareTrees(const std::string& a, const std::string& b,
                                      const CompareOptions& options);

// Extra rich content for round trips: the sizes around the stream threshold, a sparse
// file, a hard-link pair, a newline in a name, a deep tree, user xattrs (when supported).
void AddRoundTripContent(const std::string& root, bool big_file, bool xattrs, bool hardlinks);

// SHA-256 of a file, hex (through sha256sum).
std::string Sha256(const std::string& path);

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_INTEGRATION_TREE_COMPARE_H_
