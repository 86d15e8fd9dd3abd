// qemu-win/win_util.h: Win32 errors, UTF-8 <-> UTF-16 and UniqueHandle, under wine.
#include "qemu-win/win_util.h"

#include <gtest/gtest.h>

namespace diskferry::internal {
namespace {

bool IsOpen(HANDLE h) {
  DWORD flags = 0;
  return ::GetHandleInformation(h, &flags) != 0;
}

HANDLE NewEvent() { return ::CreateEventW(nullptr, TRUE, FALSE, nullptr); }

TEST(UniqueHandleTest, ClosesOnDestruction) {
  HANDLE raw = NewEvent();
  ASSERT_NE(raw, nullptr);
  {
    UniqueHandle h(raw);
    EXPECT_TRUE(h);
    EXPECT_EQ(h.get(), raw);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueHandleTest, InvalidHandleValueMeansNone) {
  UniqueHandle h(INVALID_HANDLE_VALUE);
  EXPECT_FALSE(h);
  EXPECT_EQ(h.get(), nullptr);
}

TEST(UniqueHandleTest, MoveConstructionTransfersOwnership) {
  HANDLE raw = NewEvent();
  UniqueHandle a(raw);
  UniqueHandle b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueHandleTest, MoveAssignmentOntoALiveHandleClosesTheOldOne) {
  HANDLE first = NewEvent();
  HANDLE second = NewEvent();
  UniqueHandle a(first);
  UniqueHandle b(second);
  a = std::move(b);
  EXPECT_FALSE(IsOpen(first));
  EXPECT_TRUE(IsOpen(second));
  EXPECT_EQ(a.get(), second);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
}

TEST(UniqueHandleTest, SelfMoveAssignmentKeepsTheHandle) {
  HANDLE raw = NewEvent();
  UniqueHandle a(raw);
  UniqueHandle& same = a;
  a = std::move(same);
  EXPECT_EQ(a.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueHandleTest, ReleaseGivesUpWithoutClosingAndResetCloses) {
  HANDLE raw = NewEvent();
  UniqueHandle a(raw);
  EXPECT_EQ(a.Release(), raw);
  EXPECT_FALSE(a);
  EXPECT_TRUE(IsOpen(raw));
  a.Reset(raw);
  a.Reset();
  EXPECT_FALSE(IsOpen(raw));
}

TEST(WinUtilTest, Utf8RoundTripsThroughUtf16) {
  const std::string text = "caf\xC3\xA9-\xE2\x9C\x93-\xF0\x9F\x98\x80";
  Result<std::wstring> wide = Utf8ToWide(text, "name");
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->size(), 9u);  // the emoji is a surrogate pair
  EXPECT_EQ(WideToUtf8(*wide), text);
}

TEST(WinUtilTest, InvalidUtf8AndNulAreRefusedNamingWhat) {
  Result<std::wstring> bad = Utf8ToWide("a\xFF", "output path");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "output path: not valid UTF-8");
  Result<std::wstring> nul = Utf8ToWide(std::string("a\0b", 3), "argv[1]");
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().message(), "argv[1]: contains a NUL character");
}

TEST(WinUtilTest, ErrorsCarryTheirCodeAndContext) {
  Status missing = WinErrorStatus(ERROR_FILE_NOT_FOUND, "open C:\\x");
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message().rfind("open C:\\x: ", 0), 0u) << missing.message();
  EXPECT_NE(missing.message().find("(error 2)"), std::string::npos) << missing.message();
  EXPECT_EQ(WinErrorStatus(WAIT_TIMEOUT, "wait").code(), Code::kTimeout);
  EXPECT_EQ(WinErrorStatus(ERROR_ACCESS_DENIED, "write").code(), Code::kIoError);
}

}  // namespace
}  // namespace diskferry::internal
