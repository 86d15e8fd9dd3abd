// A sample tree with every kind of entry the transfers carry, and a comparison of two trees
// on the host, for the tree reader/writer and transfer tests.
#ifndef DISKFERRY_TESTS_DAEMON_TREE_SAMPLES_H_
#define DISKFERRY_TESTS_DAEMON_TREE_SAMPLES_H_

#include <string>
#include <vector>

namespace diskferry::daemon::testing {

// Sizes in the sample tree.
inline constexpr size_t kSampleBigSize = 600 << 10;       // > the default 256 KiB threshold
inline constexpr size_t kSampleSparseSize = 8 << 20;      // two data extents
inline constexpr size_t kSampleSparseData = (4 + 64) << 10;

// Builds under `dir` (which must exist):
//   a.txt "alpha" 0640 uid 1001 gid 1002, xattr user.note=n1    empty (0 bytes)
//   big.bin kSampleBigSize bytes    sparse.img kSampleSparseSize with 68 KiB of data
//   hard1 and sub/hard2: one inode    link -> a.txt    abs-link -> /etc/passwd
//   fifo    sub/ 0700 (xattr user.dir=d)    sub/deep/b.bin 3000 bytes    ro/ 0555 with ro/x
//   "new\nline" (a name with a newline)
// Every entry gets its own mtime (directories last). Returns false if the filesystem under
// `dir` lacks user xattrs: MakeTempDir (serve_fixture.h) avoids such filesystems, and the
// callers skip only on a machine that has none.
bool BuildSampleTree(const std::string& dir);

// Differences between the trees at `a` and `b` (empty when equal): entry set, type,
// permission bits, owner, size, content, symlink target, rdev, mtime, user.* xattrs, and
// which files share an inode.
std::vector<std::string> CompareTrees(const std::string& a, const std::string& b);

// The contents of a file ("" if it cannot be read).
std::string ReadWhole(const std::string& path);

}  // namespace diskferry::daemon::testing

#endif  // DISKFERRY_TESTS_DAEMON_TREE_SAMPLES_H_
