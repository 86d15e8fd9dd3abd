// ShmRegion: creation, size checks, the /dev/shm file, unlinking and moves.
#include "appliance/shm_region.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "appliance/child_registry.h"
#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

constexpr uint64_t kSize = 1u << 20;

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A file in /dev/shm that nobody registered for cleanup.
std::string MakeFileForCleanupTest() {
  const std::string path =
      std::string(kShmDirectory) + "/df-test-bystander-" + std::to_string(::getpid());
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  EXPECT_GE(fd, 0);
  ::close(fd);
  return path;
}

ShmRegion CreateOrDie(uint64_t size = kSize) {
  Result<ShmRegion> r = ShmRegion::Create(size);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : ShmRegion();
}

TEST(ShmRegionTest, ARegionLargerThanTheRoomInDevShmIsRefusedUpFront) {
  struct statvfs st;
  ASSERT_EQ(::statvfs("/dev/shm", &st), 0);
  const uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  uint64_t size = uint64_t{1} << 20;
  while (size <= free_bytes) size <<= 1;
  Result<ShmRegion> r = ShmRegion::Create(size);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("enlarge /dev/shm or lower the shm size"), std::string::npos)
      << r.status().message();
}

TEST(ShmRegionTest, CreatesAPrivateZeroedFileOfTheExactSize) {
  ShmRegion r = CreateOrDie();
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.size(), kSize);
  EXPECT_EQ(r.path().rfind("/dev/shm/diskferry-" + std::to_string(::getpid()) + "-", 0), 0u)
      << r.path();
  struct stat st;
  ASSERT_EQ(::stat(r.path().c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kSize);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_blocks, 0);  // sparse: pages come as the lanes touch them
  for (uint64_t i = 0; i < kSize; i += 4096) ASSERT_EQ(r.data()[i], 0);
}

TEST(ShmRegionTest, WritesAreVisibleThroughTheFile) {
  ShmRegion r = CreateOrDie();
  std::memcpy(r.data() + 4096, "ferry", 5);
  const int fd = ::open(r.path().c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[5];
  ASSERT_EQ(::pread(fd, buf, 5, 4096), 5);
  ::close(fd);
  EXPECT_EQ(std::string(buf, 5), "ferry");
}

TEST(ShmRegionTest, NamesAreUnique) {
  ShmRegion a = CreateOrDie(), b = CreateOrDie();
  EXPECT_NE(a.path(), b.path());
}

TEST(ShmRegionTest, RejectsSizesQemuWouldAbortOn) {
  for (uint64_t size : {uint64_t{0}, uint64_t{4096}, uint64_t{3} << 20, (uint64_t{1} << 20) + 1}) {
    Result<ShmRegion> r = ShmRegion::Create(size);
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  EXPECT_TRUE(ShmRegion::Create(2 * kShmHeaderSize).ok());
}

TEST(ShmRegionTest, CloseUnlinksAndIsIdempotent) {
  ShmRegion r = CreateOrDie();
  const std::string path = r.path();
  ASSERT_TRUE(Exists(path));
  r.Close();
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.data(), nullptr);
  EXPECT_TRUE(r.path().empty());
  r.Close();
}

TEST(ShmRegionTest, DestructorUnlinks) {
  std::string path;
  {
    ShmRegion r = CreateOrDie();
    path = r.path();
  }
  EXPECT_FALSE(Exists(path));
}

TEST(ShmRegionTest, UnlinkKeepsTheMapping) {
  ShmRegion r = CreateOrDie();
  const std::string path = r.path();
  r.Unlink();
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(r.valid());
  EXPECT_EQ(r.path(), path);
  r.data()[kSize - 1] = 7;  // still mapped and writable
  EXPECT_EQ(r.data()[kSize - 1], 7);
  r.Close();  // must not fail on the missing name
}

TEST(ShmRegionTest, MoveConstructionTransfersOwnership) {
  ShmRegion a = CreateOrDie();
  const std::string path = a.path();
  uint8_t* data = a.data();
  ShmRegion b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(a.path().empty());
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.path(), path);
  a.Close();  // the moved-from object must not unlink b's file
  EXPECT_TRUE(Exists(path));
}

TEST(ShmRegionTest, MoveAssignmentReleasesTheOldRegionOnly) {
  ShmRegion a = CreateOrDie(), b = CreateOrDie();
  const std::string old_a = a.path(), old_b = b.path();
  a = std::move(b);
  EXPECT_FALSE(Exists(old_a));
  EXPECT_TRUE(Exists(old_b));
  EXPECT_EQ(a.path(), old_b);
  a.data()[0] = 1;  // the mapping came along
  ShmRegion& alias = a;
  a = std::move(alias);
  EXPECT_TRUE(Exists(old_b));
  a = ShmRegion();
  EXPECT_FALSE(Exists(old_b));
}

TEST(ShmRegionTest, SignalCleanupUnlinksARegionStillNamed) {
  ShmRegion named = CreateOrDie();
  ShmRegion unlinked = CreateOrDie();
  const std::string named_path = named.path();
  unlinked.Unlink();
  const std::string bystander = MakeFileForCleanupTest();
  UnlinkRegisteredFiles();  // what the SIGINT/SIGTERM handler does
  EXPECT_FALSE(Exists(named_path));
  EXPECT_TRUE(named.valid());  // the mapping stays
  EXPECT_TRUE(Exists(bystander));
  ::unlink(bystander.c_str());
}

TEST(ShmRegionTest, FileRegistrySlotsAreReleased) {
  for (size_t i = 0; i < 2 * kMaxRegisteredFiles; ++i) {
    const int slot = RegisterFile("/nonexistent/diskferry-registry-test");
    ASSERT_GE(slot, 0) << i;  // would run out if UnregisterFile leaked slots
    UnregisterFile(slot);
  }
  EXPECT_EQ(RegisterFile(std::string(kMaxRegisteredPathLength + 1, 'x')), -1);
  UnregisterFile(-1);  // harmless
}

// A pid that existed a moment ago and no longer does.
pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

std::string MakeFile(const std::string& name, bool old) {
  const std::string path = std::string(kShmDirectory) + "/" + name;
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  EXPECT_GE(fd, 0) << path;
  if (old) {
    const timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
    EXPECT_EQ(::futimens(fd, times), 0);
  }
  ::close(fd);
  return path;
}

TEST(ShmRegionTest, CreateRemovesOnlyStaleFilesOfDeadCreators) {
  const std::string dead = std::to_string(DeadPid());
  const std::string stale = MakeFile("diskferry-" + dead + "-0-test", /*old=*/true);
  const std::string young = MakeFile("diskferry-" + dead + "-1-test", /*old=*/false);
  const std::string mine =
      MakeFile("diskferry-" + std::to_string(::getpid()) + "-99-test", /*old=*/true);
  const std::string alive = MakeFile("diskferry-1-0-test", /*old=*/true);  // init lives
  const std::string other = MakeFile("diskferry-test-" + dead, /*old=*/true);
  ShmRegion r = CreateOrDie();
  EXPECT_FALSE(Exists(stale));
  for (const std::string& kept : {young, mine, alive, other}) {
    EXPECT_TRUE(Exists(kept)) << kept;
    ::unlink(kept.c_str());
  }
}

}  // namespace
}  // namespace diskferry
