// Text from a disk image or a guest (file names, link targets, labels, filesystem types,
// error messages, console output) made safe to print. A crafted name can hold terminal
// escape sequences (OSC 52 writes the clipboard, CSI moves the cursor), a newline that
// forges an `ls` or list line, a tab that forges a column, or bidirectional controls that
// reorder what is shown; every such string goes through PrintableText() before it reaches
// a terminal, stdout or stderr. Reports and JSON events keep the raw bytes instead (JSON
// escapes them itself).
// Thread-safe: pure functions.
#ifndef DISKFERRY_PROTOCOL_PRINTABLE_TEXT_H_
#define DISKFERRY_PROTOCOL_PRINTABLE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace diskferry {

// Length of the UTF-8 sequence starting at s[i] (strict RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 if it is not a valid one.
size_t Utf8SequenceLength(std::string_view s, size_t i);
bool IsValidUtf8(std::string_view s);

struct PrintableOptions {
  // Keep '\n' (a message of several lines whose lines are host-made); every other
  // control character is escaped all the same.
  bool keep_newlines = false;
  // Escape at most this many input bytes and append "..." when there were more.
  size_t max_bytes = SIZE_MAX;
};

// `text` with every byte that could act on a terminal or forge a line or a column written
// as an escape:
//   - bytes that are not part of valid UTF-8, C0 controls (tab and newline included) and
//     DEL as "\xNN";
//   - C1 controls (U+0080..U+009F), line and paragraph separators, and the bidirectional
//     marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A..U+202E,
//     U+2066..U+2069) as "\u{XXXX}".
// Everything else, valid UTF-8 letters and symbols included, is kept. The escapes are
// plain ASCII, so the function is idempotent: text escaped where it entered a message (a
// guest's error) is unchanged when the message is escaped again as it is printed. The
// price is that a name spelling "\x1b" literally looks like one holding ESC; reports keep
// the raw bytes for when that matters.
std::string PrintableText(std::string_view text, const PrintableOptions& options = {});

// A peer-supplied path or name inside a message: PrintableText of its first `max_bytes`
// bytes, in double quotes.
std::string QuotedText(std::string_view text, size_t max_bytes = 200);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_PRINTABLE_TEXT_H_
