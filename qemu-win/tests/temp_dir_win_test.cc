// TempDir on Windows (qemu-win/temp_dir_win.cc): where it is made, File(), removal, moves.
#include <gtest/gtest.h>
#include <windows.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "appliance/temp_dir.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

fs::path Native(const std::string& utf8) {
  return fs::path(std::u8string(utf8.begin(), utf8.end()));
}

std::string Utf8(const fs::path& p) {
  const std::u8string s = p.u8string();
  return std::string(s.begin(), s.end());
}

bool IsDir(const std::string& utf8) { return fs::is_directory(Native(utf8)); }
bool Exists(const std::string& utf8) { return fs::exists(Native(utf8)); }

void WriteFile(const std::string& utf8, const std::string& text) {
  std::ofstream out(Native(utf8), std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << utf8;
}

std::string GetTempPathUtf8() {
  wchar_t buffer[MAX_PATH + 1];
  const DWORD n = ::GetTempPathW(MAX_PATH + 1, buffer);
  return Utf8(fs::path(std::wstring(buffer, n)));
}

TempDir CreateOrDie(std::string_view prefix = "df-test-") {
  Result<TempDir> d = TempDir::Create(prefix);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : TempDir();
}

// Sets an environment variable for the life of the object, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const wchar_t* name, const wchar_t* value) : name_(name) {
    wchar_t old[32768];
    const DWORD n = ::GetEnvironmentVariableW(name, old, 32768);
    if (n > 0 && n < 32768) old_ = std::wstring(old, n);
    ::SetEnvironmentVariableW(name, value);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() { ::SetEnvironmentVariableW(name_, old_ ? old_->c_str() : nullptr); }

 private:
  const wchar_t* name_;
  std::optional<std::wstring> old_;
};

TEST(TempDirWinTest, CreatesAFreshDirectoryInTheTempPath) {
  TempDir a = CreateOrDie(), b = CreateOrDie();
  ASSERT_FALSE(a.path().empty());
  EXPECT_TRUE(IsDir(a.path())) << a.path();
  EXPECT_NE(a.path(), b.path());
  const std::string expected_prefix = GetTempPathUtf8() + "df-test-";
  EXPECT_EQ(a.path().rfind(expected_prefix, 0), 0u) << a.path() << " vs " << expected_prefix;
  EXPECT_EQ(a.path().size(), expected_prefix.size() + 16) << a.path();  // 64 random bits
  EXPECT_TRUE(fs::is_empty(Native(a.path())));
}

TEST(TempDirWinTest, FileJoinsWithABackslash) {
  TempDir d = CreateOrDie();
  EXPECT_EQ(d.File("console.log"), d.path() + "\\console.log");
  WriteFile(d.File("console.log"), "booted");
  std::ifstream in(Native(d.path()) / "console.log");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "booted");
}

TEST(TempDirWinTest, HandlesNonAsciiPrefixesAsUtf8) {
  TempDir d = CreateOrDie("df-f\xC3\xA4hre-");  // "fähre"
  ASSERT_FALSE(d.path().empty());
  EXPECT_NE(d.path().find("df-f\xC3\xA4hre-"), std::string::npos) << d.path();
  EXPECT_TRUE(IsDir(d.path()));
  const std::wstring wide = Native(d.path()).wstring();
  EXPECT_NE(wide.find(L"df-f\u00e4hre-"), std::wstring::npos);
  WriteFile(d.File("f\xC3\xA4hre.txt"), "x");
  const std::string path = d.path();
  d.Remove();
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirWinTest, RejectsAPrefixThatIsNotUtf8) {
  Result<TempDir> d = TempDir::Create("df-\xFF-");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
}

TEST(TempDirWinTest, AMissingTempDirectoryIsAnErrorNamingIt) {
  const std::string missing =
      GetTempPathUtf8() + "df-no-such-dir-" + std::to_string(::GetTickCount64());
  const std::wstring wide = Native(missing).wstring();
  ScopedEnv tmp(L"TMP", wide.c_str());
  Result<TempDir> d = TempDir::Create("df-test-");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().code(), Code::kOk);
  EXPECT_NE(d.status().message().find(missing), std::string::npos) << d.status().ToString();
}

TEST(TempDirWinTest, DestructorRemovesTheDirectoryAndEverythingInIt) {
  std::string path;
  {
    TempDir d = CreateOrDie();
    path = d.path();
    WriteFile(d.File("qemu.out"), "output");
    fs::create_directories(Native(d.File("sub")) / "deeper");
    WriteFile(Utf8(Native(d.File("sub")) / "deeper" / "f"), "x");
  }
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirWinTest, RemoveIsIdempotent) {
  TempDir d = CreateOrDie();
  const std::string path = d.path();
  d.Remove();
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(d.path().empty());
  d.Remove();
}

TEST(TempDirWinTest, RemoveAllButKeepsOneFileAndTheDirectory) {
  std::string path;
  {
    TempDir d = CreateOrDie();
    path = d.path();
    WriteFile(d.File("console.log"), "panic");
    WriteFile(d.File("qemu.out"), "output");
    fs::create_directories(Native(d.File("sub")));
    d.RemoveAllBut("console.log");
    EXPECT_TRUE(d.path().empty());
  }
  EXPECT_TRUE(Exists(path + "\\console.log"));
  EXPECT_FALSE(Exists(path + "\\qemu.out"));
  EXPECT_FALSE(Exists(path + "\\sub"));
  fs::remove_all(Native(path));
}

TEST(TempDirWinTest, MoveConstructionTransfersOwnership) {
  TempDir a = CreateOrDie();
  const std::string path = a.path();
  TempDir b(std::move(a));
  EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.path(), path);
  a.Remove();  // the moved-from object must not remove b's directory
  EXPECT_TRUE(IsDir(path));
}

TEST(TempDirWinTest, MoveAssignmentOntoALiveTempDirRemovesTheOldDirectory) {
  TempDir a = CreateOrDie(), b = CreateOrDie();
  const std::string old_a = a.path(), old_b = b.path();
  WriteFile(a.File("f"), "x");
  a = std::move(b);
  EXPECT_FALSE(Exists(old_a));
  EXPECT_TRUE(IsDir(old_b));
  EXPECT_EQ(a.path(), old_b);
  EXPECT_TRUE(b.path().empty());  // NOLINT(bugprone-use-after-move)
  a = TempDir();
  EXPECT_FALSE(Exists(old_b));
}

TEST(TempDirWinTest, SelfMoveAssignmentKeepsTheDirectory) {
  TempDir a = CreateOrDie();
  const std::string path = a.path();
  TempDir& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.path(), path);
  EXPECT_TRUE(IsDir(path));
}

}  // namespace
}  // namespace diskferry
