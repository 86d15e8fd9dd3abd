#include "protocol/printable_text.h"

#include <gtest/gtest.h>

#include <string>

namespace diskferry {
namespace {

TEST(PrintableTextTest, ControlCharactersAndBadUtf8AreEscaped) {
  EXPECT_EQ(PrintableText("evil\x1b[2J\xff.txt"), "evil\\x1b[2J\\xff.txt");
  EXPECT_EQ(PrintableText("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
  EXPECT_EQ(PrintableText("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
  EXPECT_EQ(PrintableText("\xc3"), "\\xc3");                    // cut sequence
  EXPECT_EQ(PrintableText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(PrintableText("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(PrintableText("x\x7f"), "x\\x7f");
  EXPECT_EQ(PrintableText(std::string("a\0b", 3)), "a\\x00b");
}

TEST(PrintableTextTest, NewlinesAreKeptOnlyWhenAskedAndNothingElseIs) {
  EXPECT_EQ(PrintableText("a\nb\x1b", {.keep_newlines = true}), "a\nb\\x1b");
  EXPECT_EQ(PrintableText("a\r\nb", {.keep_newlines = true}), "a\\x0d\nb");
}

TEST(PrintableTextTest, TerminalCommandsCannotSurvive) {
  // OSC 52 (write the clipboard), ended by BEL or by ST.
  EXPECT_EQ(PrintableText("\x1b]52;c;ZXZpbA==\x07"), "\\x1b]52;c;ZXZpbA==\\x07");
  // An 8-bit CSI as a raw byte (not UTF-8) and as the UTF-8 encoding of U+009B.
  EXPECT_EQ(PrintableText("\x9b" "2J"), "\\x9b2J");
  EXPECT_EQ(PrintableText("\xc2\x9b" "2J"), "\\u{009B}2J");
}

TEST(PrintableTextTest, BidirectionalControlsAndSeparatorsAreShownAsCodePoints) {
  EXPECT_EQ(PrintableText("evil\xe2\x80\xaetxt.exe"), "evil\\u{202E}txt.exe");  // RLO
  EXPECT_EQ(PrintableText("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u{2066}x\\u{2069}");  // LRI, PDI
  EXPECT_EQ(PrintableText("\xd8\x9c"), "\\u{061C}");                             // ALM
  EXPECT_EQ(PrintableText("a\xe2\x80\xa8" "b"), "a\\u{2028}b");                  // LSEP
  EXPECT_EQ(PrintableText("\xe2\x80\x8e"), "\\u{200E}");                         // LRM
  // Neighbours of the ranges stay as they are.
  EXPECT_EQ(PrintableText("\xe2\x80\x94\xc2\xa0"), "\xe2\x80\x94\xc2\xa0");  // em dash, NBSP
}

TEST(PrintableTextTest, IsIdempotent) {
  const std::string samples[] = {
      "plain", "evil\x1b[2J\xff", "a\nb\tc", "\xc2\x9b", "\xe2\x80\xae", "back\\slash",
      std::string("\0\x01\x02", 3), "\xf0\x9f\x98\x80 ok"};
  for (const std::string& s : samples) {
    const std::string once = PrintableText(s);
    EXPECT_EQ(PrintableText(once), once) << once;
  }
  EXPECT_EQ(PrintableText("back\\slash"), "back\\slash");
}

TEST(PrintableTextTest, LongTextIsCutBeforeEscapingAndMarked) {
  EXPECT_EQ(PrintableText("abcdef", {.max_bytes = 3}), "abc...");
  EXPECT_EQ(PrintableText("abc", {.max_bytes = 3}), "abc");
  // A multi-byte character cut in half shows its remaining byte escaped.
  EXPECT_EQ(PrintableText("a\xc3\xa9", {.max_bytes = 2}), "a\\xc3...");
  EXPECT_EQ(PrintableText(std::string(1 << 20, '\x1b'), {.max_bytes = 2}), "\\x1b\\x1b...");
}

TEST(PrintableTextTest, Utf8ValidityFollowsRfc3629) {
  EXPECT_TRUE(IsValidUtf8("plain/caf\xc3\xa9/\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_TRUE(IsValidUtf8(""));
}

}  // namespace
}  // namespace diskferry
