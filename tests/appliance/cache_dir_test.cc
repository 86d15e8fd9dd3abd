// The cache directory's rules (appliance/cache_dir.h), both hosts' on any host, and the
// platform half that reads the environment.
#include "appliance/cache_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace diskferry {
namespace {

TEST(CacheDirTest, PosixFollowsAnAbsoluteXdgCacheHome) {
  EXPECT_EQ(PosixCacheDir("/x/cache", "/home/u"), "/x/cache/diskferry");
}

TEST(CacheDirTest, PosixIgnoresARelativeOrEmptyXdgCacheHome) {
  // The XDG Base Directory specification says to ignore a relative path.
  EXPECT_EQ(PosixCacheDir("relative", "/home/u"), "/home/u/.cache/diskferry");
  EXPECT_EQ(PosixCacheDir("", "/home/u"), "/home/u/.cache/diskferry");
}

TEST(CacheDirTest, WindowsFollowsLocalAppDataElseTheCurrentDirectory) {
  EXPECT_EQ(WindowsCacheDir("C:\\Users\\u\\AppData\\Local"),
            "C:\\Users\\u\\AppData\\Local\\diskferry");
  EXPECT_EQ(WindowsCacheDir(""), "diskferry-cache");
}

#ifndef _WIN32
// Restores an environment variable as the test found it.
class SavedEnv {
 public:
  explicit SavedEnv(const char* name) : name_(name) {
    const char* value = std::getenv(name);
    had_ = value != nullptr;
    if (had_) value_ = value;
  }
  ~SavedEnv() { had_ ? setenv(name_, value_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  bool had_ = false;
  std::string value_;
};

TEST(CacheDirTest, DefaultReadsXdgCacheHomeThenHome) {
  SavedEnv xdg("XDG_CACHE_HOME");
  SavedEnv home("HOME");
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(DefaultCacheDir(), "/x/cache/diskferry");
  setenv("XDG_CACHE_HOME", "relative", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultCacheDir(), "/home/u/.cache/diskferry");
}
#endif

}  // namespace
}  // namespace diskferry
