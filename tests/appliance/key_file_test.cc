#include "appliance/key_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "appliance/temp_dir.h"

namespace diskferry {
namespace {

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(KeyFileTest, ReadsTheWholeFileIncludingNewlinesAndNuls) {
  auto dir = TempDir::Create("key-file-test-");
  ASSERT_TRUE(dir.ok());
  const std::string secret("pass\n\0word\n", 11);
  auto key = KeyFile::Read(WriteFile(*dir, "k.key", secret));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(std::string(key->bytes().begin(), key->bytes().end()), secret);
}

TEST(KeyFileTest, MissingFileIsNotFoundNamingThePath) {
  auto key = KeyFile::Read("/nonexistent/dir/k.key");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::kNotFound);
  EXPECT_NE(key.status().message().find("/nonexistent/dir/k.key"), std::string::npos);
  EXPECT_EQ(CheckKeyFile("/nonexistent/dir/k.key").code(), Code::kNotFound);
}

TEST(KeyFileTest, FileOverTheCapIsRefusedWithoutReadingIt) {
  auto dir = TempDir::Create("key-file-test-");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->File("big.key");
  std::filesystem::resize_file(WriteFile(*dir, "big.key", "x"), kMaxKeyFileBytes + 1);
  auto key = KeyFile::Read(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
  EXPECT_NE(key.status().message().find("8 MiB"), std::string::npos);
  EXPECT_FALSE(CheckKeyFile(path).ok());
}

TEST(KeyFileTest, FileAtTheCapIsRead) {
  auto dir = TempDir::Create("key-file-test-");
  ASSERT_TRUE(dir.ok());
  const std::string path = WriteFile(*dir, "cap.key", "x");
  std::filesystem::resize_file(path, kMaxKeyFileBytes);
  auto key = KeyFile::Read(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->bytes().size(), kMaxKeyFileBytes);
}

TEST(KeyFileTest, EmptyFileAndDirectoryAreRefused) {
  auto dir = TempDir::Create("key-file-test-");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(KeyFile::Read(WriteFile(*dir, "empty.key", "")).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(KeyFile::Read(dir->path()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CheckKeyFile(dir->path()).code(), Code::kInvalidArgument);
}

TEST(KeyFileTest, MoveLeavesTheSourceEmptyAndKeepsTheBytes) {
  auto dir = TempDir::Create("key-file-test-");
  ASSERT_TRUE(dir.ok());
  auto key = KeyFile::Read(WriteFile(*dir, "k.key", "secret"));
  ASSERT_TRUE(key.ok());
  KeyFile moved = std::move(*key);
  EXPECT_TRUE(key->bytes().empty());
  EXPECT_EQ(std::string(moved.bytes().begin(), moved.bytes().end()), "secret");
  auto other = KeyFile::Read(WriteFile(*dir, "o.key", "other"));
  ASSERT_TRUE(other.ok());
  moved = std::move(*other);  // the old bytes are released (and wiped), not leaked
  EXPECT_EQ(std::string(moved.bytes().begin(), moved.bytes().end()), "other");
}

TEST(KeyFileTest, SecretMemoryStartsZeroed) {
  size_t capacity = 0;
  uint8_t* p = SecretAllocate(100, &capacity);
  ASSERT_NE(p, nullptr);
  ASSERT_GE(capacity, 100u);
  for (size_t i = 0; i < capacity; ++i) ASSERT_EQ(p[i], 0) << i;
  SecretFree(p, capacity);
}

}  // namespace
}  // namespace diskferry
