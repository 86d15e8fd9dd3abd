// docs/backup-tools.md, recipe by recipe, against the real restic, borg and GNU tar: an
// ext4 image made by mke2fs -d from a host tree, streamed or extracted by the built
// diskferry into the tool, restored by the tool, and the restored tree compared with the
// source tree on the host (names, bytes, modes, owners, mtimes). Repositories live in the
// test's scratch directory; nothing touches the network. A test whose tool is missing is
// skipped, saying so (scripts/setup.sh installs restic and borgbackup).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry::testing {
namespace {

// Every entry of the source tree gets this mtime, which mke2fs -d stores (it keeps whole
// seconds only)...
constexpr const char* kSourceTime = "@1714564800";
// ...and these entries get nanoseconds too, set in the image with debugfs. They sit
// mid-microsecond: borg import-tar reads pax times as a double (about 240 ns apart at this
// epoch), so its times stay inside the right microsecond; the other tools keep them to
// the nanosecond.
constexpr const char* kNanoTime = "@1714564800.123456500";
constexpr const char* kNanoExtra = "493826000";  // ext4's mtime_extra: 123456500 << 2
constexpr const char* kNanoPaths[] = {"etc/hostname", "sizes/4k", "sizes/sparse", "etc"};

bool HaveTool(const std::string& name) {
  std::string out;
  return RunShell("command -v " + name, &out) == 0;
}

std::string Quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class BackupToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("backup-tools");
    ASSERT_FALSE(dir_.empty());
    src_ = dir_ + "/src";
    MakeSourceTree(src_, TreeOptions{});
    AddRoundTripContent(src_, /*big_file=*/false, /*xattrs=*/false, /*hardlinks=*/true);
    std::string touch_nano;
    std::string set_nano;
    for (const char* path : kNanoPaths) {
      touch_nano += std::string(" && touch -h -d ") + kNanoTime + " src/" + path;
      set_nano += std::string("sif /") + path + " mtime_extra " + kNanoExtra + "\n";
    }
    std::ofstream(dir_ + "/nano.debugfs") << set_nano;
    std::string out;
    // Directories last (deepest first), so that setting a child's time leaves its
    // parent's alone; -h: a symlink's own time.
    ASSERT_EQ(RunShell("cd " + Quoted(dir_) + " && find src -depth -exec touch -h -d " +
                           kSourceTime + " {} +" + touch_nano +
                           " && mke2fs -q -F -t ext4 -d src img.raw 64M"
                           " && debugfs -w -f nano.debugfs img.raw",
                       &out),
              0)
        << out;
  }
  void TearDown() override { RemoveTree(dir_); }

  // Runs `script` with bash and pipefail in the scratch directory, with the tools'
  // passwords and caches set there; `out` gets stdout and stderr.
  // stream.yaml: one extract job of img.raw's whole tree with `output`.
  void WriteStreamManifest(const std::string& output) {
    std::ofstream(dir_ + "/stream.yaml")
        << "version: 1\njobs:\n  - name: root\n    kind: extract\n    source: img.raw\n"
           "    format: raw\n    output: " +
               output + "\n";
  }

  int Bash(const std::string& script, std::string* out) {
    const std::string env =
        "export RESTIC_PASSWORD=diskferry-test RESTIC_CACHE_DIR=" + Quoted(dir_ + "/cache") +
        " BORG_BASE_DIR=" + Quoted(dir_ + "/borg-home") +
        " BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes DISKFERRY=" +
        Quoted(BuiltProgram("diskferry")) + "; cd " + Quoted(dir_) + " && ";
    return RunShell("bash -o pipefail -c " + Quoted(env + script), out);
  }

  // The restored tree against the source; lost+found is mke2fs's, not the source's.
  std::vector<std::string> Differences(const std::string& restored, int mtime_precision_ns = 1) {
    std::filesystem::remove_all(restored + "/lost+found");
    CompareOptions options;
    options.mtime_precision_ns = mtime_precision_ns;
    return CompareTrees(src_, restored, options);
  }

  std::string dir_;
  std::string src_;
};

#define REQUIRE_TOOL(name) \
  if (!HaveTool(name)) GTEST_SKIP() << name " is not installed (scripts/setup.sh installs it)"

TEST_F(BackupToolsTest, ResticStoresTheTarFromStdoutAndItsContentIsTheSourceTree) {
  REQUIRE_TOOL("restic");
  std::string out;
  ASSERT_EQ(Bash("restic init -q -r repo && "
                 "\"$DISKFERRY\" copy-out -q --tar - img.raw:/ | "
                 "restic -q -r repo backup --stdin --stdin-filename root.tar && "
                 "restic -q -r repo restore latest --target restored && "
                 "mkdir tree && tar -xpf restored/root.tar -C tree",
                 &out),
            0)
      << out;
  EXPECT_EQ(Differences(dir_ + "/tree"), std::vector<std::string>{});
}

TEST_F(BackupToolsTest, ResticBacksUpAnExtractedDirectoryAndRestoresTheSourceTree) {
  REQUIRE_TOOL("restic");
  std::string out;
  ASSERT_EQ(Bash("restic init -q -r repo && mkdir extracted && "
                 "\"$DISKFERRY\" copy-out -q img.raw:/ extracted && "
                 "restic -q -r repo backup extracted && "
                 "restic -q -r repo restore latest --target restored",
                 &out),
            0)
      << out;
  // restic keeps a relative path as given: restored/extracted.
  EXPECT_EQ(Differences(dir_ + "/restored/extracted"), std::vector<std::string>{});
}

TEST_F(BackupToolsTest, BorgImportsTheTarFromStdoutAndExportsAndExtractsTheSourceTree) {
  REQUIRE_TOOL("borg");
  std::string out;
  ASSERT_EQ(Bash("borg init -e none repo && "
                 "\"$DISKFERRY\" copy-out -q --tar - img.raw:/ | borg import-tar repo::root - && "
                 "borg export-tar repo::root exported.tar && mkdir exported && "
                 "tar -xpf exported.tar -C exported && "
                 "mkdir extracted && (cd extracted && borg extract ../repo::root)",
                 &out),
            0)
      << out;
  // borg keeps pax times to about a quarter microsecond, and borg 1.2's export-tar writes
  // a GNU tar, whose times are whole seconds (docs/backup-tools.md).
  EXPECT_EQ(Differences(dir_ + "/exported", 1000000000), std::vector<std::string>{});
  EXPECT_EQ(Differences(dir_ + "/extracted", 1000), std::vector<std::string>{});
}

TEST_F(BackupToolsTest, AZstdArchiveOnDiskAndOneFromStdoutHoldTheSourceTree) {
  REQUIRE_TOOL("zstd");
  std::string out;
  ASSERT_EQ(Bash("\"$DISKFERRY\" copy-out -q --tar out.tar.zst img.raw:/ && "
                 "\"$DISKFERRY\" copy-out -q --tar - --compress zstd img.raw:/ > piped.tar.zst && "
                 "mkdir file piped && tar --zstd -xpf out.tar.zst -C file && "
                 "tar --zstd -xpf piped.tar.zst -C piped",
                 &out),
            0)
      << out;
  EXPECT_EQ(Differences(dir_ + "/file"), std::vector<std::string>{});
  EXPECT_EQ(Differences(dir_ + "/piped"), std::vector<std::string>{});
}

TEST_F(BackupToolsTest, AManifestWritingItsTarToStdoutPipesIntoBorg) {
  REQUIRE_TOOL("borg");
  REQUIRE_TOOL("zstd");
  WriteStreamManifest("{tar: \"-\", compress: zstd}");
  std::string out;
  ASSERT_EQ(Bash("borg init -e none repo && "
                 "\"$DISKFERRY\" run stream.yaml --report run.jsonl | "
                 "borg import-tar --tar-filter='zstd -d' repo::root - && "
                 "mkdir extracted && (cd extracted && borg extract ../repo::root)",
                 &out),
            0)
      << out;
  EXPECT_EQ(Differences(dir_ + "/extracted", 1000), std::vector<std::string>{});
  EXPECT_NE(ReadWholeFile(dir_ + "/run.jsonl").find("\"status\":\"ok\""), std::string::npos);
}

TEST_F(BackupToolsTest, AFailingDiskferryFailsThePipelineUnderPipefail) {
  REQUIRE_TOOL("restic");
  std::string out;
  ASSERT_EQ(Bash("restic init -q -r repo", &out), 0) << out;
  // restic stores whatever came (here nothing) and succeeds; pipefail reports diskferry's
  // exit code.
  const int rc = Bash(
      "\"$DISKFERRY\" copy-out -q --tar - img.raw:/no/such/path | "
      "restic -q -r repo backup --stdin --stdin-filename root.tar",
      &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("no/such/path"), std::string::npos) << out;
}

TEST_F(BackupToolsTest, AReaderThatGoesAwayEndsDiskferryWithOneLineAndNoSignal) {
  std::string out;
  const int rc = Bash(
      "\"$DISKFERRY\" copy-out -q --tar - img.raw:/ 2> err.txt | head -c 1000 > /dev/null; "
      "echo \"diskferry=${PIPESTATUS[0]}\"",
      &out);
  ASSERT_EQ(rc, 0) << out;
  // Not 141 (128 + SIGPIPE): an exit code of its own, after a message.
  EXPECT_NE(out.find("diskferry=1\n"), std::string::npos) << out;
  const std::string err = ReadWholeFile(dir_ + "/err.txt");
  EXPECT_NE(err.find("broken pipe"), std::string::npos) << err;
  EXPECT_NE(err.find("the archive is incomplete"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// --tar keeps copy-out's safe defaults (sinks/host_safety.h): no device node and no
// setuid bit in the archive unless the flags ask, and stderr says what was held back.
TEST_F(BackupToolsTest, ATarOnStdoutHoldsNoDeviceNodeOrSetuidBitUnlessAsked) {
  std::string out;
  ASSERT_EQ(Bash("mkdir unsafe && echo x > unsafe/suid && chmod 4755 unsafe/suid && "
                 "mknod unsafe/null c 1 3 && mke2fs -q -F -t ext4 -d unsafe unsafe.raw 8M",
                 &out),
            0)
      << out;
  ASSERT_EQ(
      Bash("\"$DISKFERRY\" copy-out -q --tar - unsafe.raw:/ 2> safe.err | tar -tvf - > safe.list"
           " && \"$DISKFERRY\" copy-out -q --tar - --preserve-devices --preserve-setuid "
           "unsafe.raw:/ | tar -tvf - > asked.list",
           &out),
      0)
      << out;
  const std::string safe = ReadWholeFile(dir_ + "/safe.list");
  EXPECT_NE(safe.find("-rwxr-xr-x"), std::string::npos) << safe;
  EXPECT_EQ(safe.find("rws"), std::string::npos) << safe;
  EXPECT_EQ(safe.find(" null"), std::string::npos) << safe;
  const std::string err = ReadWholeFile(dir_ + "/safe.err");
  EXPECT_NE(err.find("not copied, as the safe defaults ask: 1 device node"), std::string::npos)
      << err;
  const std::string asked = ReadWholeFile(dir_ + "/asked.list");
  EXPECT_NE(asked.find("-rwsr-xr-x"), std::string::npos) << asked;
  EXPECT_NE(asked.find("crw"), std::string::npos) << asked;
}

TEST_F(BackupToolsTest, JsonEventsBesideATarOnStdoutGoToStderr) {
  WriteStreamManifest("{tar: \"-\"}");
  std::string out;
  ASSERT_EQ(Bash("\"$DISKFERRY\" run stream.yaml --json --report run.jsonl > root.tar "
                 "2> events.jsonl && mkdir tree && tar -xpf root.tar -C tree",
                 &out),
            0)
      << out << ReadWholeFile(dir_ + "/events.jsonl");
  EXPECT_EQ(Differences(dir_ + "/tree"), std::vector<std::string>{});
  // Only events on stderr, the run's end among them.
  const std::string events = ReadWholeFile(dir_ + "/events.jsonl");
  size_t lines = 0;
  for (size_t at = 0; at < events.size(); at = events.find('\n', at) + 1) {
    ++lines;
    EXPECT_EQ(events.compare(at, 10, "{\"event\":\""), 0)
        << events.substr(at, events.find('\n', at) - at);
  }
  EXPECT_GE(lines, 4u) << events;
  EXPECT_NE(events.find("{\"event\":\"summary\""), std::string::npos) << events;
}

}  // namespace
}  // namespace diskferry::testing
