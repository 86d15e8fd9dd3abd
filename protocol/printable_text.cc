#include "protocol/printable_text.h"

#include <cstdio>

namespace diskferry {
namespace {

// The code point of the valid `n`-byte UTF-8 sequence at `s`.
uint32_t DecodeUtf8(std::string_view s, size_t n) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[k])); };
  switch (n) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
                    (b(3) & 0x3F);
  }
}

// Code points above ASCII that act on a terminal or on how a line is displayed: C1
// controls (CSI is U+009B; some terminals honour them in UTF-8), the line and paragraph
// separators, and the bidirectional formatting characters ("Trojan Source",
// CVE-2021-42574) that make a name display as another.
bool IsHiddenControl(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void AppendHex(std::string* out, uint8_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", byte);
  out->append(buf);
}

void AppendCodePoint(std::string* out, uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
  out->append(buf);
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string PrintableText(std::string_view text, const PrintableOptions& options) {
  const bool cut = text.size() > options.max_bytes;
  if (cut) text = text.substr(0, options.max_bytes);
  std::string out;
  out.reserve(text.size() + (cut ? 3 : 0));
  for (size_t i = 0; i < text.size();) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      AppendHex(&out, c);
      ++i;
      continue;
    }
    if (n == 1) {
      if ((c < 0x20 || c == 0x7F) && !(options.keep_newlines && c == '\n')) {
        AppendHex(&out, c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::string_view seq = text.substr(i, n);
    if (const uint32_t cp = DecodeUtf8(seq, n); IsHiddenControl(cp)) {
      AppendCodePoint(&out, cp);
    } else {
      out.append(seq);
    }
    i += n;
  }
  if (cut) out += "...";
  return out;
}

std::string QuotedText(std::string_view text, size_t max_bytes) {
  return "\"" + PrintableText(text, {.max_bytes = max_bytes}) + "\"";
}

}  // namespace diskferry
