// Extract jobs with `select:` on an ext4 image made by mke2fs -d, against the expectation
// computed on the host from the source tree with the same PathSelector: the guest walks
// only what is selected, and what lands on the host is exactly the selected entries (with
// their bytes) and the directories above them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "protocol/glob.h"
#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

namespace fs = std::filesystem;

struct Selection {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

std::string YamlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) out += (out.size() > 1 ? ", \"" : "\"") + item + "\"";
  return out + "]";
}

class SelectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("select");
    tree_ = dir_ + "/tree";
    MakeSourceTree(tree_, {});
    // A directory of mode 000 in the image (set by debugfs, so that mke2fs can read the
    // source), inside a path every selection below excludes or never includes.
    fs::create_directories(tree_ + "/data/deep/locked/inner");
    std::ofstream(tree_ + "/data/deep/locked/inner/f") << "locked\n";
    // A hard link whose other path is excluded.
    fs::create_hard_link(tree_ + "/data/big.bin", tree_ + "/names/big-link");
    ASSERT_TRUE(MakeImage("ext4", tree_, dir_ + "/src.img").ok());
    std::string out;
    ASSERT_EQ(RunShell("debugfs -w -R 'set_inode_field /data/deep/locked mode 040000' '" + dir_ +
                           "/src.img'",
                       &out),
              0)
        << out;
  }
  void TearDown() override { RemoveTree(dir_); }

  // The host-side expectation: each selected path of the source tree and the directories
  // above it, as ListTree lists them.
  std::vector<std::string> Expected(const Selection& s) {
    Result<PathSelector> select = PathSelector::Create(s.include, s.exclude);
    EXPECT_TRUE(select.ok()) << select.status().message();
    std::set<std::string> paths;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             tree_, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string guest = "/" + it->path().lexically_relative(tree_).string();
      if (!select->Selects(guest)) continue;
      for (std::string p = guest; !p.empty(); p = p.substr(0, p.rfind('/'))) paths.insert(p);
    }
    return {paths.begin(), paths.end()};
  }

  std::string dir_, tree_;
};

TEST_F(SelectTest, ExtractedTreesAreTheHostSideSelectionOfTheImage) {
  const std::vector<Selection> selections = {
      {{"/data/**", "/etc/hostname"}, {"/data/deep"}},
      {{"/names/*.txt", "/bin/**"}, {}},
      {{}, {"/data", "/etc/secret.conf", "/lost+found", "/names/big-link"}},
      {{"/data/deep/**/leaf.txt", "/names/big-link"}, {"/data/deep/locked"}},
      {{"/etc"}, {}},
  };
  std::string yaml = "version: 1\ndefaults: {source: src.img, format: raw}\njobs:\n";
  for (size_t i = 0; i < selections.size(); ++i) {
    yaml += "  - name: s" + std::to_string(i) + "\n    kind: extract\n    output: {dir: out" +
            std::to_string(i) +
            "}\n    select:\n      include: " + YamlList(selections[i].include) +
            "\n      exclude: " + YamlList(selections[i].exclude) + "\n";
    if (selections[i].include.empty()) yaml.erase(yaml.rfind("      include: []\n"), 18);
  }
  std::ofstream(dir_ + "/m.yaml") << yaml;
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl"), &out), 0)
      << yaml << out;
  for (size_t i = 0; i < selections.size(); ++i) {
    const std::string got = dir_ + "/out" + std::to_string(i);
    const std::vector<std::string> want = Expected(selections[i]);
    EXPECT_EQ(ListTree(got), want) << "selection " << i;
    for (const std::string& p : want) {
      struct stat st {};
      if (::lstat((tree_ + p).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        EXPECT_EQ(Sha256(got + p), Sha256(tree_ + p)) << "selection " << i << ": " << p;
      }
    }
  }
  // No job met an error: nothing unselected (the locked directory included) was read.
  RunShell("grep -c '\"errors\":0' '" + dir_ + "/run.jsonl'", &out);
  EXPECT_EQ(out, std::to_string(selections.size()) + "\n");
  // The hard link whose other path was left out is a whole file.
  EXPECT_EQ(Sha256(dir_ + "/out3/names/big-link"), Sha256(tree_ + "/data/big.bin"));
}

}  // namespace
}  // namespace diskferry::testing
