#include "appliance/module_index.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace diskferry {
namespace {

// Shaped like Debian 6.1's files: depmod lists the deepest dependency last.
constexpr const char* kDep =
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
    "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/lib/libcrc32c.ko:\n"
    "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
    "kernel/crypto/crc32c_generic.ko:\n"
    "kernel/crypto/xor.ko:\n"
    "kernel/lib/raid6/raid6_pq.ko:\n"
    "kernel/fs/btrfs/btrfs.ko: kernel/crypto/xor.ko kernel/lib/raid6/raid6_pq.ko "
    "kernel/lib/libcrc32c.ko\n"
    "kernel/fs/nls/nls_iso8859-1.ko:\n";
constexpr const char* kBuiltin = "kernel/fs/ext4/ext4.ko\nkernel/lib/crc32.ko\n";
constexpr const char* kSoftdep =
    "# Soft dependencies extracted from modules themselves.\n"
    "softdep libcrc32c pre: crc32c\n"
    "softdep btrfs pre: crypto-crc32c\n"
    "softdep btrfs pre: xxhash64\n"
    "softdep cifs gcm\n";
constexpr const char* kAlias =
    "# Aliases extracted from modules themselves.\n"
    "alias crypto-crc32c crc32c_intel\n"
    "alias crc32c crc32c-intel\n"
    "alias crc32c crc32c_generic\n"
    "alias crypto-crc32c crc32c_generic\n"
    "alias fs-xfs xfs\n"
    "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
    "alias xxhash64 xxhash_generic\n";

ModuleIndex Index(const char* dep = kDep) {
  Result<ModuleIndex> index = ModuleIndex::Parse({dep, kBuiltin, kSoftdep, kAlias});
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : ModuleIndex();
}

size_t Position(const std::vector<std::string>& paths, std::string_view name) {
  for (size_t i = 0; i < paths.size(); ++i) {
    if (ModuleNameFromPath(paths[i]) == name) return i;
  }
  ADD_FAILURE() << name << " not in closure";
  return paths.size();
}

TEST(ModuleIndexTest, ClosureListsDependenciesBeforeDependents) {
  ModuleClosure c = Index().Closure(std::vector<std::string>{"virtio_pci"});
  ASSERT_EQ(c.paths.size(), 4u);
  EXPECT_EQ(c.paths.back(), "kernel/drivers/virtio/virtio_pci.ko");
  EXPECT_LT(Position(c.paths, "virtio_ring"), Position(c.paths, "virtio"));
  EXPECT_LT(Position(c.paths, "virtio"), Position(c.paths, "virtio_pci"));
  EXPECT_LT(Position(c.paths, "virtio_pci_modern_dev"), Position(c.paths, "virtio_pci"));
  EXPECT_TRUE(c.missing.empty());
}

TEST(ModuleIndexTest, ClosureListsSharedDependenciesOnce) {
  ModuleClosure c = Index().Closure(
      std::vector<std::string>{"virtio_blk", "virtio_console", "virtio_pci", "virtio_blk"});
  std::vector<std::string> sorted = c.paths;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_EQ(c.paths.size(), 6u);
  EXPECT_EQ(c.paths.front(), "kernel/drivers/virtio/virtio_ring.ko");
}

TEST(ModuleIndexTest, ClosureSkipsBuiltinModules) {
  ModuleClosure c = Index().Closure(std::vector<std::string>{"ext4"});
  EXPECT_TRUE(c.paths.empty());
  EXPECT_EQ(c.builtin, std::vector<std::string>{"ext4"});
  EXPECT_TRUE(c.missing.empty());
}

TEST(ModuleIndexTest, ClosureReportsMissingModulesWithoutFailing) {
  ModuleClosure c = Index().Closure(std::vector<std::string>{"f2fs", "virtio_blk"});
  EXPECT_EQ(c.missing, std::vector<std::string>{"f2fs"});
  EXPECT_EQ(c.paths.size(), 3u);
}

TEST(ModuleIndexTest, ClosureLoadsSoftdepsOfDependenciesThroughEveryMatchingAlias) {
  // xfs -> libcrc32c, whose "pre: crc32c" resolves by alias to two modules.
  ModuleClosure c = Index().Closure(std::vector<std::string>{"xfs"});
  ASSERT_EQ(c.paths.size(), 4u);
  EXPECT_LT(Position(c.paths, "crc32c_intel"), Position(c.paths, "libcrc32c"));
  EXPECT_LT(Position(c.paths, "crc32c_generic"), Position(c.paths, "libcrc32c"));
  EXPECT_EQ(c.paths.back(), "kernel/fs/xfs/xfs.ko");
}

TEST(ModuleIndexTest, SoftdepsComeBeforeTheModuleAndUnresolvableOnesAreSkipped) {
  // btrfs: pre crypto-crc32c (two modules), pre xxhash64 (alias to an absent module).
  ModuleClosure c = Index().Closure(std::vector<std::string>{"btrfs"});
  EXPECT_TRUE(c.missing.empty());
  EXPECT_LT(Position(c.paths, "crc32c_intel"), Position(c.paths, "xor"));
  EXPECT_LT(Position(c.paths, "crc32c_generic"), Position(c.paths, "raid6_pq"));
  EXPECT_EQ(c.paths.back(), "kernel/fs/btrfs/btrfs.ko");
  EXPECT_EQ(c.paths.size(), 6u);
}

TEST(ModuleIndexTest, DashAndUnderscoreAreTheSameInNamesAndAliases) {
  ModuleIndex index = Index();
  EXPECT_TRUE(index.HasModule("nls_iso8859_1"));
  EXPECT_TRUE(index.HasModule("crc32c-intel"));
  EXPECT_EQ(index.Resolve("crypto_crc32c"),
            (std::vector<std::string>{"crc32c_intel", "crc32c_generic"}));
  EXPECT_EQ(ModuleNameFromPath("kernel/fs/nls/nls_iso8859-1.ko"), "nls_iso8859_1");
}

TEST(ModuleIndexTest, ResolveMatchesWildcardAliasesAndBuiltinsResolveToNothing) {
  ModuleIndex index = Index();
  EXPECT_EQ(index.Resolve("pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00"),
            std::vector<std::string>{"virtio_pci"});
  EXPECT_EQ(index.Resolve("fs-xfs"), std::vector<std::string>{"xfs"});
  EXPECT_TRUE(index.Resolve("ext4").empty());
  EXPECT_TRUE(index.IsBuiltin("ext4"));
  EXPECT_TRUE(index.Resolve("no-such-thing").empty());
}

TEST(ModuleIndexTest, CompressedModuleNamesKeepTheirPathsUntilRendered) {
  EXPECT_EQ(ModuleNameFromPath("kernel/fs/xfs/xfs.ko.xz"), "xfs");
  EXPECT_EQ(ModuleNameFromPath("kernel/arch/x86/crypto/crc32c-intel.ko.zst"), "crc32c_intel");
  EXPECT_TRUE(IsCompressedModulePath("a/b.ko.gz"));
  EXPECT_FALSE(IsCompressedModulePath("a/b.ko"));
  EXPECT_EQ(DecompressedModulePath("kernel/fs/xfs/xfs.ko.xz"), "kernel/fs/xfs/xfs.ko");

  ModuleIndex index = Index(
      "kernel/lib/libcrc32c.ko.xz:\n"
      "kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko.xz\n");
  ModuleClosure c = index.Closure(std::vector<std::string>{"xfs"});
  EXPECT_EQ(c.paths,
            (std::vector<std::string>{"kernel/lib/libcrc32c.ko.xz", "kernel/fs/xfs/xfs.ko.xz"}));
  std::set<std::string> shipped(c.paths.begin(), c.paths.end());
  EXPECT_EQ(index.RenderDep(shipped),
            "kernel/lib/libcrc32c.ko:\nkernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n");
}

TEST(ModuleIndexTest, RenderedIndexesDescribeOnlyShippedModules) {
  ModuleIndex index = Index();
  ModuleClosure c = index.Closure(std::vector<std::string>{"xfs"});
  std::set<std::string> shipped(c.paths.begin(), c.paths.end());
  EXPECT_EQ(index.RenderDep(shipped),
            "kernel/lib/libcrc32c.ko:\n"
            "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
            "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
            "kernel/crypto/crc32c_generic.ko:\n");
  EXPECT_EQ(index.RenderAlias(shipped),
            "alias crypto-crc32c crc32c_intel\n"
            "alias crc32c crc32c_intel\n"
            "alias crc32c crc32c_generic\n"
            "alias crypto-crc32c crc32c_generic\n"
            "alias fs-xfs xfs\n");
  EXPECT_EQ(index.RenderSoftdep(shipped), "softdep libcrc32c pre: crc32c\n");
  EXPECT_EQ(index.RenderBuiltin(), kBuiltin);
}

TEST(ModuleIndexTest, ParseRejectsAMalformedDepLineWithItsLineNumber) {
  Result<ModuleIndex> index =
      ModuleIndex::Parse({"kernel/a.ko:\nkernel/b.ko kernel/a.ko\n", "", "", ""});
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Code::kInvalidArgument);
  EXPECT_NE(index.status().message().find("modules.dep:2"), std::string::npos);
}

TEST(ModuleIndexTest, DependencyWithoutItsOwnLineIsStillLoaded) {
  ModuleIndex index = Index("kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n");
  ModuleClosure c = index.Closure(std::vector<std::string>{"xfs"});
  EXPECT_EQ(c.paths.front(), "kernel/lib/libcrc32c.ko");
  EXPECT_EQ(c.paths.back(), "kernel/fs/xfs/xfs.ko");
}

TEST(ModuleIndexTest, DependencyCycleTerminates) {
  ModuleIndex index = Index("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n");
  ModuleClosure c = index.Closure(std::vector<std::string>{"a"});
  EXPECT_EQ(c.paths.size(), 2u);
}

}  // namespace
}  // namespace diskferry
