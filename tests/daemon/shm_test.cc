// The guest end of shared memory over plain files: mapping, header stamp, heartbeat,
// finding the ivshmem device in a fake sysfs, and ShmRegion's ownership rules.
#include "daemon/shm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace diskferry::daemon {
namespace {

class ShmFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/df-shm-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string MakeFile(const std::string& name, off_t size) {
    const std::string path = dir_ + "/" + name;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, size), 0);
    ::close(fd);
    return path;
  }

  // A header field as another process (the host) would read it from the file.
  template <typename T>
  T ReadFromFile(const std::string& path, size_t offset) {
    T value{};
    const int fd = ::open(path.c_str(), O_RDONLY);
    EXPECT_EQ(::pread(fd, &value, sizeof value, static_cast<off_t>(offset)),
              static_cast<ssize_t>(sizeof value));
    ::close(fd);
    return value;
  }

  std::string dir_;
};

TEST_F(ShmFileTest, StampedHeaderIsVisibleThroughTheFile) {
  const std::string path = MakeFile("bar", 16384);
  OpResult<ShmRegion> region = ShmRegion::Map(path);
  ASSERT_TRUE(region.ok()) << region.error().message;
  EXPECT_EQ(region->size(), 16384u);
  region->StampHeader();
  EXPECT_EQ(ReadFromFile<uint64_t>(path, offsetof(ShmHeader, magic)), kShmMagic);
  EXPECT_EQ(ReadFromFile<uint32_t>(path, offsetof(ShmHeader, version)), kShmLayoutVersion);
  EXPECT_EQ(ReadFromFile<uint64_t>(path, offsetof(ShmHeader, region_size)), 16384u);
  EXPECT_EQ(ReadFromFile<uint64_t>(path, offsetof(ShmHeader, guest_heartbeat)), 0u);
}

TEST_F(ShmFileTest, HeaderCarriesTheLaneLayoutOfTheRegionSize) {
  const std::string path = MakeFile("lanes", 2 << 20);
  OpResult<ShmRegion> region = ShmRegion::Map(path);
  ASSERT_TRUE(region.ok());
  const std::optional<ShmLayout> layout = region->StampHeader();
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(*layout, *ComputeShmLayout(2 << 20));
  const ShmLayout stamped = ReadFromFile<ShmLayout>(path, offsetof(ShmHeader, layout));
  EXPECT_EQ(stamped, *layout);

  DaemonContext ctx;
  AttachShm(&region.value(), &ctx);
  EXPECT_EQ(ctx.shm_size, 2u << 20);
  EXPECT_EQ(ctx.shm_base, region->data());
  EXPECT_EQ(ctx.shm_layout, layout);
}

TEST_F(ShmFileTest, RegionWithoutAValidLayoutStampsZerosAndIsNotUsed) {
  const std::string path = MakeFile("odd", 3 << 20);
  OpResult<ShmRegion> region = ShmRegion::Map(path);
  ASSERT_TRUE(region.ok());
  DaemonContext ctx;
  AttachShm(&region.value(), &ctx);
  EXPECT_EQ(ctx.shm_size, 0u);
  EXPECT_EQ(ctx.shm_base, nullptr);
  EXPECT_EQ(ReadFromFile<ShmLayout>(path, offsetof(ShmHeader, layout)), ShmLayout{});
  EXPECT_EQ(ReadFromFile<uint64_t>(path, offsetof(ShmHeader, magic)), kShmMagic);
}

TEST_F(ShmFileTest, RegionSmallerThanHeaderIsRefused) {
  OpResult<ShmRegion> region = ShmRegion::Map(MakeFile("tiny", 100));
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.error().err, EINVAL);
}

TEST_F(ShmFileTest, MissingFileIsEnoentNamingIt) {
  OpResult<ShmRegion> region = ShmRegion::Map(dir_ + "/missing");
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.error().err, ENOENT);
  EXPECT_NE(region.error().message.find("missing"), std::string::npos);
}

TEST_F(ShmFileTest, MoveTransfersTheMappingAndLeavesTheSourceEmpty) {
  OpResult<ShmRegion> mapped = ShmRegion::Map(MakeFile("a", 8192));
  ASSERT_TRUE(mapped.ok());
  ShmRegion a = std::move(mapped).value();
  uint8_t* const data = a.data();
  ShmRegion b(std::move(a));
  EXPECT_FALSE(a.mapped());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), data);

  OpResult<ShmRegion> other = ShmRegion::Map(MakeFile("c", 8192));
  ASSERT_TRUE(other.ok());
  ShmRegion c = std::move(other).value();
  c = std::move(b);  // c's old mapping is released, b's is taken over
  EXPECT_EQ(c.data(), data);
  EXPECT_FALSE(b.mapped());  // NOLINT(bugprone-use-after-move)
  ShmRegion& alias = c;
  c = std::move(alias);
  EXPECT_EQ(c.data(), data) << "self-move keeps the mapping";
  c.data()[kShmHeaderSize] = 0x5a;  // still mapped and writable
}

// Waits, with no time claim, until `counter` reaches `at_least`.
void WaitUntilAtLeast(const std::atomic<uint64_t>& counter, uint64_t at_least) {
  while (counter.load() < at_least) std::this_thread::yield();
}

TEST_F(ShmFileTest, HeartbeatTicksUntilDestroyed) {
  OpResult<ShmRegion> mapped = ShmRegion::Map(MakeFile("hb", 8192));
  OpResult<ShmRegion> mapped_witness = ShmRegion::Map(MakeFile("witness", 8192));
  ASSERT_TRUE(mapped.ok() && mapped_witness.ok());
  ShmHeader* header = mapped->header();
  ShmHeader* witness_header = mapped_witness->header();
  mapped->StampHeader();
  mapped_witness->StampHeader();
  uint64_t stopped_at = 0;
  {
    Heartbeat witness(witness_header, std::chrono::milliseconds(5));
    {
      Heartbeat heartbeat(header, std::chrono::milliseconds(5));
      WaitUntilAtLeast(header->guest_heartbeat, 3);
    }
    stopped_at = header->guest_heartbeat.load();
    // A second heartbeat of the same interval is the measure of time: three of its ticks
    // are three ticks the destroyed one would have made, however loaded the machine.
    WaitUntilAtLeast(witness_header->guest_heartbeat, witness_header->guest_heartbeat.load() + 3);
  }
  EXPECT_EQ(header->guest_heartbeat.load(), stopped_at);
}

// The destructor wakes the heartbeat's thread rather than waiting out its interval: an
// hour here, so a destructor that waited would hang the test until ctest's timeout ends it.
TEST_F(ShmFileTest, HeartbeatWithLongIntervalStopsWithoutTicking) {
  OpResult<ShmRegion> region = ShmRegion::Map(MakeFile("slow", 8192));
  ASSERT_TRUE(region.ok());
  region->StampHeader();
  { Heartbeat heartbeat(region->header(), std::chrono::hours(1)); }
  EXPECT_EQ(region->header()->guest_heartbeat.load(), 0u);
}

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST_F(ShmFileTest, FindsIvshmemByVendorAndDevice) {
  const std::string pci = dir_ + "/pci";
  WriteText(pci + "/0000:00:01.0/vendor", "0x8086\n");
  WriteText(pci + "/0000:00:01.0/device", "0x1110\n");
  WriteText(pci + "/0000:00:02.0/vendor", "0x1af4\n");
  WriteText(pci + "/0000:00:02.0/device", "0x1003\n");
  EXPECT_EQ(FindIvshmemBar(pci), std::nullopt);
  WriteText(pci + "/0000:00:03.0/vendor", "0x1af4\n");
  WriteText(pci + "/0000:00:03.0/device", "0x1110\n");
  EXPECT_EQ(FindIvshmemBar(pci), pci + "/0000:00:03.0/resource2");
  EXPECT_EQ(FindIvshmemBar(dir_ + "/no-pci"), std::nullopt);
}

}  // namespace
}  // namespace diskferry::daemon
