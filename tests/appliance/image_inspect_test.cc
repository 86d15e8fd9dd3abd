#include "appliance/image_inspect.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "appliance/overlay.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

// Fixtures are made by qemu-img (not the code under test) or written as the bytes a
// crafted image would hold.
class ImageInspectTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return scratch_.path() + "/" + name; }

  void QemuImg(const std::string& args) {
    const std::string cmd = "cd '" + scratch_.path() + "' && qemu-img " + args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(Path(name), std::ios::binary) << bytes;
  }

  ScratchDir scratch_;
};

TEST_F(ImageInspectTest, BothExpertWitnessSignaturesProbeAsEwf) {
  Write("a.E01", std::string("EVF\x09\x0d\x0a\xff\x00", 8) + std::string(100, '\0'));
  Write("a.Ex01", std::string("EVF2\x0d\x0a\x81\x00", 8) + std::string(100, '\0'));
  Write("near.E01", std::string("EVF\x09\x0d\x0a\xff\x01", 8) + std::string(100, '\0'));
  EXPECT_EQ(ProbeImageFormat(Path("a.E01")).value(), "ewf");
  EXPECT_EQ(ProbeImageFormat(Path("a.Ex01")).value(), "ewf");
  EXPECT_EQ(ProbeImageFormat(Path("near.E01")).value(), "");
}

TEST_F(ImageInspectTest, RawNeedsNoToolAndStandsAlone) {
  Write("disk.img", std::string(4096, 'x'));
  auto chain = ResolveDiskChain({Path("disk.img"), "raw"}, {});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_TRUE(chain->backing.empty());
  EXPECT_EQ(chain->virtual_size, 4096u);
}

TEST_F(ImageInspectTest, AQcow2NamingAHostFileAsBackingIsRefusedWithTheWayOut) {
  QemuImg("create -q -f qcow2 -b /etc/hostname -F raw evil.qcow2 1M");
  auto chain = ResolveDiskChain({Path("evil.qcow2"), "qcow2"}, {});
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), Code::kInvalidArgument);
  const std::string m = chain.status().message();
  EXPECT_NE(m.find("its header names a backing file, \"/etc/hostname\""), std::string::npos) << m;
  EXPECT_NE(m.find("--backing PATH"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(ImageInspectTest, ANamedBackingFileTakesTheFormatItsHeaderGives) {
  QemuImg("create -q -f raw base.img 1M");
  QemuImg("create -q -f qcow2 -b base.img -F raw top.qcow2 1M");
  auto chain = ResolveDiskChain({Path("top.qcow2"), "qcow2"}, {{Path("base.img"), ""}});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_EQ(chain->backing.size(), 1u);
  EXPECT_EQ(chain->backing[0], (ImageLayer{Path("base.img"), "raw"}));
  EXPECT_EQ(chain->virtual_size, 1u << 20);
}

TEST_F(ImageInspectTest, EveryLayerOfAChainMustBeNamedNearestFirst) {
  QemuImg("create -q -f raw base.img 1M");
  QemuImg("create -q -f qcow2 -b base.img -F raw mid.qcow2 1M");
  QemuImg("create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 1M");
  auto short_chain = ResolveDiskChain({Path("top.qcow2"), "qcow2"}, {{Path("mid.qcow2"), ""}});
  ASSERT_FALSE(short_chain.ok());
  EXPECT_NE(short_chain.status().message().find(Path("mid.qcow2") + ": its header names"),
            std::string::npos)
      << short_chain.status().ToString();
  auto chain = ResolveDiskChain({Path("top.qcow2"), "qcow2"},
                                {{Path("mid.qcow2"), ""}, {Path("base.img"), ""}});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->backing, (std::vector<ImageLayer>{{Path("mid.qcow2"), "qcow2"},
                                                     {Path("base.img"), "raw"}}));
}

TEST_F(ImageInspectTest, ABackingFileNoHeaderAsksForIsAMistake) {
  QemuImg("create -q -f qcow2 alone.qcow2 1M");
  Write("extra.img", std::string(512, '\0'));
  auto chain = ResolveDiskChain({Path("alone.qcow2"), "qcow2"}, {{Path("extra.img"), ""}});
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.status().message().find("names no backing file"), std::string::npos);
}

TEST_F(ImageInspectTest, AnExternalDataFileIsRefusedFromTheHeaderBeforeAnyToolOpensIt) {
  QemuImg("create -q -f qcow2 -o data_file=data.raw df.qcow2 1M");
  ASSERT_EQ(::unlink(Path("data.raw").c_str()), 0);  // qemu-img info would fail on it
  auto info = InspectImage(Path("df.qcow2"), "qcow2");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("external file"), std::string::npos)
      << info.status().ToString();
}

TEST_F(ImageInspectTest, AVmdkDescriptorNamingOtherFilesIsRefusedWithTheirNames) {
  Write("evil.vmdk",
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
        "createType=\"monolithicFlat\"\n\n# Extent description\n"
        "RW 2048 FLAT \"/dev/sda\" 0\n\nddb.virtualHWVersion = \"4\"\n");
  auto info = InspectImage(Path("evil.vmdk"), "vmdk");
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("\"/dev/sda\""), std::string::npos)
      << info.status().ToString();
  EXPECT_NE(info.status().message().find("--format raw"), std::string::npos);
}

TEST_F(ImageInspectTest, AFileOfAnotherFormatSaysSoInOneLine) {
  Write("plain.img", std::string(65536, '\0'));
  auto info = InspectImage(Path("plain.img"), "qcow2");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kInvalidArgument);
  EXPECT_NE(info.status().message().find("not a qcow2 image"), std::string::npos)
      << info.status().ToString();
  EXPECT_EQ(info.status().message().find('\n'), std::string::npos);
}

TEST_F(ImageInspectTest, OnlyKnownFormatsAreOpened) {
  Write("x.img", "x");
  for (const char* format : {"nbd", "file", "json", "host_device", "luks", ""}) {
    auto info = InspectImage(Path("x.img"), format);
    ASSERT_FALSE(info.ok()) << format;
    EXPECT_NE(info.status().message().find("unknown format"), std::string::npos) << format;
  }
}

TEST_F(ImageInspectTest, ARelativePathThatLooksLikeAProtocolIsAFileName) {
  QemuImg("create -q -f qcow2 ./nbd:localhost:1 1M");
  char* cwd = ::getcwd(nullptr, 0);
  ASSERT_EQ(::chdir(scratch_.path().c_str()), 0);
  auto info = InspectImage("nbd:localhost:1", "qcow2");
  ASSERT_EQ(::chdir(cwd), 0);
  std::free(cwd);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->virtual_size, 1u << 20);
}

TEST_F(ImageInspectTest, OverlaysAreNewFilesOverTheCheckedChain) {
  QemuImg("create -q -f raw base.img 2M");
  auto base = ResolveDiskChain({Path("base.img"), "raw"}, {});
  ASSERT_TRUE(base.ok());
  const std::string out = Path("-new.qcow2");  // a name, never an option
  auto overlay = CreateOverlay(*base, out);
  ASSERT_TRUE(overlay.ok()) << overlay.status().ToString();
  EXPECT_EQ(overlay->image, (ImageLayer{out, "qcow2"}));
  EXPECT_EQ(overlay->backing, (std::vector<ImageLayer>{{Path("base.img"), "raw"}}));
  auto again = ResolveDiskChain(overlay->image, overlay->backing);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->virtual_size, 2u << 20);

  auto twice = CreateOverlay(*base, out);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already exists"), std::string::npos);
}

TEST_F(ImageInspectTest, AnOverlayIsNeverCreatedThroughASymlink) {
  QemuImg("create -q -f raw base.img 1M");
  auto base = ResolveDiskChain({Path("base.img"), "raw"}, {});
  ASSERT_TRUE(base.ok());
  const std::string victim = Path("victim");
  ASSERT_EQ(::symlink(victim.c_str(), Path("link.qcow2").c_str()), 0);  // dangling
  auto overlay = CreateOverlay(*base, Path("link.qcow2"));
  ASSERT_FALSE(overlay.ok());
  EXPECT_NE(overlay.status().message().find("already exists"), std::string::npos);
  EXPECT_NE(::access(victim.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace diskferry
