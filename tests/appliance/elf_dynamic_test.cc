// ParseElfDynamic on built images (each rejection on its own) and on real host binaries.
#include "appliance/elf_dynamic.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/appliance/builder_test_support.h"
#include "tests/appliance/elf_test_image.h"

namespace diskferry {
namespace {

using testing::ElfTestImage;

ElfTestImage Sample() {
  ElfTestImage image;
  image.interpreter = "/lib64/ld-linux-x86-64.so.2";
  image.needed = {"libdevmapper.so.1.02.1", "libc.so.6"};
  image.runpath = "/opt/lib:$ORIGIN/../lib";
  image.soname = "libsample.so.1";
  image.Build();
  return image;
}

void ExpectRejected(const std::string& bytes, const std::string& why) {
  Result<ElfDynamic> elf = ParseElfDynamic(bytes);
  ASSERT_FALSE(elf.ok()) << why;
  EXPECT_EQ(elf.status().code(), Code::kInvalidArgument);
  EXPECT_NE(elf.status().message().find(why), std::string::npos) << elf.status().message();
}

TEST(ElfDynamicTest, ReadsInterpreterNeededRunpathAndSoname) {
  Result<ElfDynamic> elf = ParseElfDynamic(Sample().Render());
  ASSERT_TRUE(elf.ok()) << elf.status().ToString();
  EXPECT_EQ(elf->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(elf->needed, (std::vector<std::string>{"libdevmapper.so.1.02.1", "libc.so.6"}));
  EXPECT_EQ(elf->runpath, (std::vector<std::string>{"/opt/lib", "$ORIGIN/../lib"}));
  EXPECT_EQ(elf->soname, "libsample.so.1");
}

TEST(ElfDynamicTest, StaticExecutableHasNoInterpreterOrLibraries) {
  ElfTestImage image;
  image.dynamic = false;
  image.Build();
  Result<ElfDynamic> elf = ParseElfDynamic(image.Render());
  ASSERT_TRUE(elf.ok()) << elf.status().ToString();
  EXPECT_TRUE(elf->interpreter.empty());
  EXPECT_TRUE(elf->needed.empty());
}

TEST(ElfDynamicTest, RejectsWhatIsNotAnElfFile) {
  ExpectRejected("", "not an ELF file");
  ExpectRejected("#!/bin/sh\necho hi\n", "not an ELF file");
  ExpectRejected(std::string(ELFMAG) + std::string(60, '\0'), "not a 64-bit little-endian");
}

TEST(ElfDynamicTest, RejectsOtherClassesAndMachines) {
  ElfTestImage image = Sample();
  image.ehdr.e_ident[EI_CLASS] = ELFCLASS32;
  ExpectRejected(image.Render(), "not a 64-bit little-endian");
  image = Sample();
  image.ehdr.e_machine = EM_AARCH64;
  ExpectRejected(image.Render(), "not x86-64");
  image = Sample();
  image.ehdr.e_type = ET_REL;
  ExpectRejected(image.Render(), "not an executable or shared object");
}

TEST(ElfDynamicTest, RejectsProgramHeadersPastTheEnd) {
  ElfTestImage image = Sample();
  image.ehdr.e_phoff = ~uint64_t{0} - 8;  // the sum would wrap
  ExpectRejected(image.Render(), "program headers run past the end");
  image = Sample();
  image.ehdr.e_phnum = 1000;
  ExpectRejected(image.Render(), "program headers run past the end");
  image = Sample();
  image.ehdr.e_phentsize = 32;
  ExpectRejected(image.Render(), "program header size 32");
  std::string cut = Sample().Render();
  ExpectRejected(cut.substr(0, sizeof(Elf64_Ehdr) + 10), "program headers run past the end");
}

TEST(ElfDynamicTest, RejectsSegmentsPastTheEnd) {
  ElfTestImage image = Sample();
  image.phdrs[0].p_filesz = 1 << 20;
  ExpectRejected(image.Render(), "program header 0 runs past the end");
  image = Sample();
  image.phdrs[1].p_offset = ~uint64_t{0};
  ExpectRejected(image.Render(), "PT_INTERP runs past the end");
  image = Sample();
  image.phdrs[2].p_filesz = ~uint64_t{0} - 4;
  ExpectRejected(image.Render(), "PT_DYNAMIC runs past the end");
}

TEST(ElfDynamicTest, RejectsAnInterpreterThatIsNotATerminatedAbsolutePath) {
  ElfTestImage image = Sample();
  image.phdrs[1].p_filesz -= 1;  // the NUL falls outside
  ExpectRejected(image.Render(), "PT_INTERP is not NUL-terminated");
  image = Sample();
  image.interpreter = "ld.so";
  image.Build();
  ExpectRejected(image.Render(), "PT_INTERP is not an absolute path");
}

TEST(ElfDynamicTest, RejectsAStringTableOutsideTheFile) {
  ElfTestImage image = Sample();
  image.FindDyn(DT_STRTAB)->d_un.d_ptr = 0x10;  // below every PT_LOAD
  ExpectRejected(image.Render(), "DT_STRTAB outside every PT_LOAD");
  image = Sample();
  image.FindDyn(DT_STRSZ)->d_un.d_val = 1 << 20;
  ExpectRejected(image.Render(), "DT_STRSZ runs past the end");
  image = Sample();
  image.FindDyn(DT_STRSZ)->d_un.d_val = ~uint64_t{0};
  ExpectRejected(image.Render(), "DT_STRSZ runs past the end");
  image = Sample();
  image.FindDyn(DT_STRTAB)->d_tag = DT_DEBUG;
  ExpectRejected(image.Render(), "without DT_STRTAB or DT_STRSZ");
}

TEST(ElfDynamicTest, RejectsNamesOutsideOrRunningOffTheStringTable) {
  ElfTestImage image = Sample();
  image.FindDyn(DT_NEEDED)->d_un.d_val = image.strtab.size();
  ExpectRejected(image.Render(), "DT_NEEDED name outside its table");
  image = Sample();
  image.FindDyn(DT_NEEDED)->d_un.d_val = 0;
  ExpectRejected(image.Render(), "empty DT_NEEDED name");
  image = Sample();
  image.strtab.back() = 'x';  // the last name (the soname) loses its NUL
  ExpectRejected(image.Render(), "DT_SONAME is not NUL-terminated");
}

TEST(ElfDynamicTest, StopsAtDtNull) {
  ElfTestImage image = Sample();
  image.dyns.insert(image.dyns.begin(), Elf64_Dyn{DT_NULL, {0}});
  Result<ElfDynamic> elf = ParseElfDynamic(image.Render());
  ASSERT_TRUE(elf.ok()) << elf.status().ToString();
  EXPECT_TRUE(elf->needed.empty());
}

TEST(ElfDynamicTest, ReadsTheHostShell) {
  if (!std::filesystem::exists("/bin/sh")) GTEST_SKIP() << "no /bin/sh";
  Result<ElfDynamic> elf = ParseElfDynamic(testing::ReadWholeFile("/bin/sh"));
  ASSERT_TRUE(elf.ok()) << elf.status().ToString();
  EXPECT_EQ(elf->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_NE(std::find(elf->needed.begin(), elf->needed.end(), "libc.so.6"), elf->needed.end());
}

}  // namespace
}  // namespace diskferry
