// Test fixtures for integration tests: a source tree with awkward names and file kinds,
// and real filesystem images made from it by the mkfs tools (never by diskferry).
// Not thread-safe; each test builds into its own scratch directory.
#ifndef DISKFERRY_TESTS_INTEGRATION_FS_IMAGES_H_
#define DISKFERRY_TESTS_INTEGRATION_FS_IMAGES_H_

#include <chrono>
#include <string>
#include <vector>

#include "appliance/appliance_image.h"
#include "protocol/status.h"

namespace diskferry::testing {

// Features a filesystem can store; vfat stores neither symlinks nor modes.
struct TreeOptions {
  bool symlinks = true;
  bool unix_modes = true;
  // mkfs.xfs's protofile (the only way xfsprogs 6.1 populates) splits on whitespace.
  bool spaces_in_names = true;
};

// Writes a small tree under `root`: nested dirs, an empty file, a 1-byte file, a 70 KiB
// file, unicode and space-containing names, relative and absolute symlinks (when allowed),
// and a mode-0600 file.
void MakeSourceTree(const std::string& root, const TreeOptions& options);

// Makes IMAGE from the tree at `root` with the filesystem's own tools.
// fstype: ext4 (mke2fs -d), xfs (mkfs.xfs -p protofile), btrfs (mkfs.btrfs --rootdir),
// vfat (mkfs.vfat + mcopy). Returns the failing command and its output on error.
Status MakeImage(const std::string& fstype, const std::string& root, const std::string& image);

// Every path under `root` ("/a", "/a/b", ...), sorted bytewise, like `find` minus the root.
std::vector<std::string> ListTree(const std::string& root);

// Runs `command` through /bin/sh; returns its exit status and fills `output` with stdout
// and stderr combined.
int RunShell(const std::string& command, std::string* output);

// The appliance of the built daemon (FindDaemonBinary), built or taken from the cache.
Result<ApplianceImage> BuildTestAppliance();

// A fresh directory under $TMPDIR (or /tmp), removed by the caller.
std::string MakeScratchDir(const std::string& tag);
void RemoveTree(const std::string& path);

// Path of a program built next to the tests (build/bin/NAME).
std::string BuiltProgram(const std::string& name);
// A shell command running the built diskferry with `args` (already shell-quoted).
std::string Diskferry(const std::string& args);

// The lines of `text`, without their newlines.
std::vector<std::string> Lines(const std::string& text);

// Pids of live or zombie processes (not this one) whose command line mentions both
// `marker` and `program`.
std::vector<int> ProcessesMentioning(const std::string& marker, const std::string& program);

// Waits until processes mentioning `marker` and `program` exist (`present`) or are all gone,
// for at most `limit`; whether they did. Another program's processes give nothing to block
// on but /proc, so it looks every 50 ms.
bool WaitForProcesses(const std::string& marker, const std::string& program, bool present,
                      std::chrono::seconds limit);

// `lines`, each followed by a newline.
std::string Join(const std::vector<std::string>& lines);

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_INTEGRATION_FS_IMAGES_H_
