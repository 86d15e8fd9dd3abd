#include "jobs/field_reader.h"

#include <charconv>

#include "host/host_path.h"
#include "jobs/did_you_mean.h"

namespace diskferry {
namespace {

std::string Quoted(std::string_view value) {
  return value.empty() ? "nothing" : "'" + std::string(value) + "'";
}

std::string Key(std::string_view key) { return std::string(key) + ": "; }

template <typename T>
bool ParseNumber(std::string_view text, int base, T* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out, base);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

bool FieldReader::Require(const Scalar& s, std::string_view key, std::string_view what,
                          const SourceMark& owner) {
  if (s.present) return true;
  Error(owner, "missing '" + std::string(key) + "' (" + std::string(what) + ")");
  return false;
}

std::optional<std::string> FieldReader::Text(const Scalar& s) {
  if (!s.present || s.invalid) return std::nullopt;
  return vars_.Expand(s, job_, diagnostics_);
}

std::optional<std::string> FieldReader::NonEmpty(const Scalar& s, std::string_view key) {
  std::optional<std::string> text = Text(s);
  if (text && text->empty()) {
    Error(s.mark, Key(key) + "expected a value, found nothing");
    return std::nullopt;
  }
  return text;
}

void FieldReader::Int(const Scalar& s, std::string_view key, int64_t min, int64_t* out) {
  std::optional<std::string> text = Text(s);
  if (!text) return;
  int64_t n = 0;
  if (!ParseNumber(*text, 10, &n)) {
    Error(s.mark, Key(key) + "expected an int, found " + Quoted(*text));
  } else if (n < min) {
    Error(s.mark, Key(key) + "must be at least " + std::to_string(min) + ", found " + *text);
  } else {
    *out = n;
  }
}

void FieldReader::Bool(const Scalar& s, std::string_view key, bool* out) {
  std::optional<std::string> text = Text(s);
  if (!text) return;
  if (*text == "true" || *text == "false") {
    *out = *text == "true";
  } else {
    Error(s.mark, Key(key) + "expected true or false, found " + Quoted(*text));
  }
}

std::optional<size_t> FieldReader::Choice(const Scalar& s, std::string_view key,
                                          std::string_view what, Names names) {
  std::optional<std::string> text = Text(s);
  if (!text) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *text) return i;
  }
  Error(s.mark, Key(key) + "unknown " + std::string(what) + " " + Quoted(*text) +
                    ExpectedHint(*text, names));
  return std::nullopt;
}

std::optional<HostPath> FieldReader::Host(const Scalar& s, std::string_view key) {
  std::optional<std::string> text = NonEmpty(s, key);
  if (!text) return std::nullopt;
  if (text->find('\0') != std::string::npos) {
    Error(s.mark, Key(key) + "NUL byte in path");
    return std::nullopt;
  }
  return HostPath{*text, ResolveHostPath(base_dir_, *text)};
}

std::optional<std::string> FieldReader::GuestPath(const Scalar& s, std::string_view key) {
  std::optional<std::string> text = NonEmpty(s, key);
  if (!text) return std::nullopt;
  if (text->front() != '/') {
    Error(s.mark, Key(key) + "guest paths are absolute: write '/" + *text + "'");
    return std::nullopt;
  }
  std::string normal;
  size_t start = 1;
  while (start <= text->size()) {
    size_t slash = text->find('/', start);
    if (slash == std::string::npos) slash = text->size();
    const std::string_view part = std::string_view(*text).substr(start, slash - start);
    if (part == "." || part == ".." || part.find('\0') != std::string_view::npos) {
      Error(s.mark, Key(key) + "'" + *text + "': '.', '..' and NUL are not allowed in guest paths");
      return std::nullopt;
    }
    if (!part.empty()) normal += "/" + std::string(part);
    start = slash + 1;
  }
  return normal.empty() ? "/" : normal;
}

std::optional<uint32_t> FieldReader::Mode(const Scalar& s, std::string_view key) {
  std::optional<std::string> text = Text(s);
  if (!text) return std::nullopt;
  std::string_view digits(*text);
  if (digits.starts_with("0o")) digits.remove_prefix(2);
  uint32_t mode = 0;
  if (digits.size() > 5 || !ParseNumber(digits, 8, &mode) || mode > 07777) {
    Error(s.mark, Key(key) + "expected an octal mode such as 0644, found " + Quoted(*text));
    return std::nullopt;
  }
  return mode;
}

std::optional<Owner> FieldReader::OwnerOf(const Scalar& s, std::string_view key) {
  std::optional<std::string> text = Text(s);
  if (!text) return std::nullopt;
  const size_t colon = text->find(':');
  Owner owner;
  constexpr uint32_t kMaxId = 0xfffffffe;  // (uid_t)-1 means "unchanged" to chown(2)
  if (colon == std::string::npos ||
      !ParseNumber(std::string_view(*text).substr(0, colon), 10, &owner.uid) ||
      !ParseNumber(std::string_view(*text).substr(colon + 1), 10, &owner.gid) ||
      owner.uid > kMaxId || owner.gid > kMaxId) {
    Error(s.mark, Key(key) + "expected numeric UID:GID such as 0:0, found " + Quoted(*text) +
                      " (names are not looked up: the guest's users are not the host's)");
    return std::nullopt;
  }
  return owner;
}

}  // namespace diskferry
