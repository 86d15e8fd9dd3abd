// ShmRegion on Windows (qemu-win/shm_win.cc): the named section, what a second mapping of
// it sees, its name's lifetime, and moves.
#include <gtest/gtest.h>
#include <windows.h>

#include <cstring>
#include <string>
#include <utility>

#include "appliance/shm_region.h"
#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

constexpr uint64_t kSize = 1u << 20;

// A second, independent view of a section opened by name: what another process (QEMU)
// would do. Invalid when the name cannot be opened.
class SecondView {
 public:
  explicit SecondView(const std::string& name) {
    const std::wstring wide(name.begin(), name.end());
    section_ = ::OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, wide.c_str());
    open_error_ = section_ == nullptr ? ::GetLastError() : ERROR_SUCCESS;
    if (section_ != nullptr) {
      data_ = static_cast<uint8_t*>(
          ::MapViewOfFile(section_, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, kSize));
    }
  }
  SecondView(const SecondView&) = delete;
  SecondView& operator=(const SecondView&) = delete;
  ~SecondView() {
    if (data_ != nullptr) ::UnmapViewOfFile(data_);
    if (section_ != nullptr) ::CloseHandle(section_);
  }
  bool opened() const { return section_ != nullptr; }
  DWORD open_error() const { return open_error_; }
  uint8_t* data() const { return data_; }

 private:
  HANDLE section_ = nullptr;
  DWORD open_error_ = ERROR_SUCCESS;
  uint8_t* data_ = nullptr;
};

bool NameExists(const std::string& name) { return SecondView(name).opened(); }

ShmRegion CreateOrDie(uint64_t size = kSize) {
  Result<ShmRegion> r = ShmRegion::Create(size);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : ShmRegion();
}

TEST(ShmWinTest, CreatesAZeroedSectionOfTheExactSizeInTheSessionNamespace) {
  ShmRegion r = CreateOrDie();
  ASSERT_TRUE(r.valid());
  ASSERT_NE(r.data(), nullptr);
  EXPECT_EQ(r.size(), kSize);
  const std::string prefix = "Local\\diskferry-" + std::to_string(::GetCurrentProcessId()) + "-";
  EXPECT_EQ(r.path().rfind(prefix, 0), 0u) << r.path();
  for (uint64_t i = 0; i < kSize; ++i) ASSERT_EQ(r.data()[i], 0) << i;
  MEMORY_BASIC_INFORMATION info;
  ASSERT_NE(::VirtualQuery(r.data(), &info, sizeof info), 0u);
  EXPECT_GE(info.RegionSize, kSize);
  EXPECT_EQ(info.Type, static_cast<DWORD>(MEM_MAPPED));
  EXPECT_EQ(info.Protect, static_cast<DWORD>(PAGE_READWRITE));
}

TEST(ShmWinTest, ASecondMappingOfTheNameSeesWritesBothWays) {
  ShmRegion r = CreateOrDie();
  SecondView other(r.path());
  ASSERT_TRUE(other.opened()) << "OpenFileMappingW error " << other.open_error();
  ASSERT_NE(other.data(), nullptr) << "MapViewOfFile error " << ::GetLastError();
  ASSERT_NE(other.data(), r.data());  // two views, one section
  std::memcpy(r.data() + 4096, "ferry", 5);
  EXPECT_EQ(std::memcmp(other.data() + 4096, "ferry", 5), 0);
  other.data()[kSize - 1] = 0x5a;
  EXPECT_EQ(r.data()[kSize - 1], 0x5a);
}

TEST(ShmWinTest, NamesAreUnique) {
  ShmRegion a = CreateOrDie(), b = CreateOrDie();
  EXPECT_NE(a.path(), b.path());
  a.data()[0] = 1;
  EXPECT_EQ(b.data()[0], 0);  // and so are the sections
}

TEST(ShmWinTest, RejectsSizesQemuWouldAbortOn) {
  for (uint64_t size : {uint64_t{0}, uint64_t{4096}, uint64_t{3} << 20, (uint64_t{1} << 20) + 1}) {
    Result<ShmRegion> r = ShmRegion::Create(size);
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::to_string(size)), std::string::npos)
        << r.status().ToString();
  }
  EXPECT_TRUE(ShmRegion::Create(2 * kShmHeaderSize).ok());
}

TEST(ShmWinTest, CloseRemovesTheNameAndIsIdempotent) {
  ShmRegion r = CreateOrDie();
  const std::string name = r.path();
  ASSERT_TRUE(NameExists(name));
  r.Close();
  SecondView after(name);
  EXPECT_FALSE(after.opened());
  EXPECT_EQ(after.open_error(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.data(), nullptr);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(r.path().empty());
  r.Close();
  EXPECT_FALSE(r.valid());
}

TEST(ShmWinTest, DestructorRemovesTheName) {
  std::string name;
  {
    ShmRegion r = CreateOrDie();
    name = r.path();
    ASSERT_TRUE(NameExists(name));
  }
  EXPECT_FALSE(NameExists(name));
}

TEST(ShmWinTest, AnotherHolderKeepsTheSectionAliveAfterClose) {
  ShmRegion r = CreateOrDie();
  const std::string name = r.path();
  SecondView other(name);
  ASSERT_NE(other.data(), nullptr);
  r.data()[7] = 42;
  r.Close();
  EXPECT_EQ(other.data()[7], 42);  // QEMU's pages outlive our handle, as on Linux
}

TEST(ShmWinTest, UnlinkKeepsTheMappingAndTheName) {
  ShmRegion r = CreateOrDie();
  const std::string name = r.path();
  r.Unlink();
  r.Unlink();  // idempotent
  EXPECT_TRUE(r.valid());
  EXPECT_EQ(r.path(), name);
  r.data()[kSize - 1] = 7;  // still mapped and writable
  EXPECT_EQ(r.data()[kSize - 1], 7);
  SecondView other(name);  // a section's name lives as long as its handles
  ASSERT_NE(other.data(), nullptr);
  EXPECT_EQ(other.data()[kSize - 1], 7);
  r.Close();
}

TEST(ShmWinTest, MoveConstructionTransfersOwnership) {
  ShmRegion a = CreateOrDie();
  const std::string name = a.path();
  uint8_t* data = a.data();
  ShmRegion b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(a.path().empty());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.size(), kSize);
  EXPECT_EQ(b.path(), name);
  a.Close();  // the moved-from object must not close b's handle or view
  EXPECT_TRUE(NameExists(name));
  b.data()[1] = 3;
  EXPECT_EQ(b.data()[1], 3);
}

TEST(ShmWinTest, MoveAssignmentOntoALiveRegionClosesTheOldOneOnly) {
  ShmRegion a = CreateOrDie(), b = CreateOrDie();
  const std::string old_a = a.path(), old_b = b.path();
  uint8_t* b_data = b.data();
  a = std::move(b);
  EXPECT_FALSE(NameExists(old_a));
  EXPECT_TRUE(NameExists(old_b));
  EXPECT_EQ(a.path(), old_b);
  EXPECT_EQ(a.data(), b_data);  // the mapping came along
  EXPECT_FALSE(b.valid());      // NOLINT(bugprone-use-after-move)
  a.data()[0] = 1;
  SecondView other(old_b);
  ASSERT_NE(other.data(), nullptr);
  EXPECT_EQ(other.data()[0], 1);
}

TEST(ShmWinTest, SelfMoveAssignmentKeepsTheRegion) {
  ShmRegion a = CreateOrDie();
  const std::string name = a.path();
  uint8_t* data = a.data();
  ShmRegion& alias = a;
  a = std::move(alias);
  EXPECT_TRUE(a.valid());
  EXPECT_EQ(a.data(), data);
  EXPECT_EQ(a.path(), name);
  EXPECT_TRUE(NameExists(name));
  a.data()[2] = 9;
  EXPECT_EQ(a.data()[2], 9);
}

TEST(ShmWinTest, AssigningAnEmptyRegionCloses) {
  ShmRegion a = CreateOrDie();
  const std::string name = a.path();
  a = ShmRegion();
  EXPECT_FALSE(a.valid());
  EXPECT_FALSE(NameExists(name));
}

TEST(ShmWinTest, NothingCanGoStale) { EXPECT_EQ(RemoveStaleShmFiles(std::chrono::seconds(0)), 0u); }

}  // namespace
}  // namespace diskferry
