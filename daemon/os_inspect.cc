#include "daemon/os_inspect.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>

namespace diskferry::daemon {
namespace {

constexpr size_t kMaxFstabFields = 6;
constexpr size_t kMaxOsReleaseKeys = 256;
constexpr size_t kMaxOsReleaseValueBytes = 4096;
constexpr size_t kMaxDisplayNameBytes = 256;
constexpr size_t kMaxOptionValueBytes = 1024;
constexpr size_t kMaxSubvolidDigits = 20;  // UINT64_MAX has 20

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// Lines of `text` without their '\n'; the last one may lack it.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// "\ooo" decoded, as libmount's unmangle does for the names mount(8) escapes (\040 space,
// \011 tab, \012 newline, \134 backslash). Only values up to \377 are one byte; any other
// backslash stays as written.
std::string DecodeOctal(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      const int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      out.push_back(static_cast<char>(value));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// fs_mntops split at commas outside double quotes; empty items dropped.
std::vector<std::string> SplitOptions(std::string_view field) {
  std::vector<std::string> options;
  std::string current;
  bool quoted = false;
  for (const char c : field) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      if (!current.empty()) options.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) options.push_back(std::move(current));
  return options;
}

class FstabParser {
 public:
  void ParseLine(std::string_view line, int number);
  ParsedFstab Finish(size_t lines);

 private:
  void Warn(int line, std::string message);
  // The decoded field, or nullopt (and a warning) when it holds a NUL or is too long.
  std::optional<std::string> Field(std::string_view raw, int line, const char* name);

  ParsedFstab parsed_;
  size_t warnings_left_out_ = 0;
  int first_line_left_out_ = 0;
};

void FstabParser::Warn(int line, std::string message) {
  if (parsed_.warnings.size() < kMaxFstabWarnings) {
    parsed_.warnings.push_back({line, std::move(message)});
  } else {
    ++warnings_left_out_;
  }
}

std::optional<std::string> FstabParser::Field(std::string_view raw, int line, const char* name) {
  std::string decoded = DecodeOctal(raw);
  if (decoded.find('\0') != std::string::npos) {
    Warn(line, std::string(name) + " holds a NUL byte (\\000)");
    return std::nullopt;
  }
  if (decoded.size() > kMaxFstabFieldBytes) {
    Warn(line,
         std::string(name) + " is longer than " + std::to_string(kMaxFstabFieldBytes) + " bytes");
    return std::nullopt;
  }
  return decoded;
}

void FstabParser::ParseLine(std::string_view line, int number) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view trimmed = TrimBlanks(line);
  if (trimmed.empty() || trimmed.front() == '#') return;
  if (trimmed.find('\0') != std::string_view::npos) return Warn(number, "holds a NUL byte");
  if (parsed_.entries.size() == kMaxFstabEntries) {
    if (first_line_left_out_ == 0) first_line_left_out_ = number;
    return;
  }
  const std::vector<std::string_view> fields = SplitFields(trimmed);
  if (fields.size() < 3) return Warn(number, "fewer than 3 fields (spec, mount point, type)");
  std::optional<std::string> spec = Field(fields[0], number, "the device field");
  std::optional<std::string> mount_point = Field(fields[1], number, "the mount point");
  std::optional<std::string> fstype = Field(fields[2], number, "the type");
  std::optional<std::string> options =
      fields.size() > 3 ? Field(fields[3], number, "the options") : std::string("defaults");
  if (!spec || !mount_point || !fstype || !options) return;
  if (fields.size() > kMaxFstabFields) {
    Warn(number, "more than " + std::to_string(kMaxFstabFields) + " fields; the rest ignored");
  }
  parsed_.entries.push_back(FstabEntry{std::move(*spec), std::move(*mount_point),
                                       std::move(*fstype), SplitOptions(*options), number});
}

ParsedFstab FstabParser::Finish(size_t lines) {
  if (first_line_left_out_ != 0) {
    Warn(0, "more than " + std::to_string(kMaxFstabEntries) + " entries; lines " +
                std::to_string(first_line_left_out_) + " to " + std::to_string(lines) + " ignored");
  }
  if (warnings_left_out_ > 0) {
    parsed_.warnings.push_back({0, std::to_string(warnings_left_out_) + " more warnings left out"});
  }
  return std::move(parsed_);
}

bool IsOsReleaseKey(std::string_view key) {
  if (key.empty() || (key.front() >= '0' && key.front() <= '9')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The value after '=': quoted (decoded) or as written. nullopt when a quote is unterminated.
std::optional<std::string> OsReleaseValue(std::string_view raw) {
  raw = TrimBlanks(raw);
  if (raw.empty() || (raw.front() != '"' && raw.front() != '\'')) return std::string(raw);
  const char quote = raw.front();
  std::string value;
  for (size_t i = 1; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == quote) return value;  // anything after the closing quote is ignored
    if (quote == '"' && c == '\\' && i + 1 < raw.size() &&
        std::string_view("\"\\$`").find(raw[i + 1]) != std::string_view::npos) {
      value.push_back(raw[++i]);
    } else {
      value.push_back(c);
    }
  }
  return std::nullopt;
}

std::string Truncated(std::string s, size_t max_bytes) {
  if (s.size() > max_bytes) s.resize(max_bytes);
  return s;
}

bool IsSafeOptionByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("._-@/+:~").find(c) != std::string_view::npos;
}

std::string ProbeLacks(const RootProbe& probe) {
  if (!probe.problem.empty()) return probe.problem;
  if (!probe.has_fstab && !probe.has_os_release) return "no etc/fstab, no os-release";
  if (!probe.has_fstab) return "no etc/fstab";
  return "no os-release";
}

}  // namespace

ParsedFstab ParseFstab(std::string_view text) {
  FstabParser parser;
  const std::vector<std::string_view> lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) parser.ParseLine(lines[i], static_cast<int>(i + 1));
  return parser.Finish(lines.size());
}

std::string DescribeWarning(const FstabWarning& warning) {
  if (warning.line == 0) return "fstab: " + warning.message;
  return "line " + std::to_string(warning.line) + ": " + warning.message;
}

std::map<std::string, std::string> ParseOsRelease(std::string_view text) {
  std::map<std::string, std::string> values;
  for (std::string_view line : SplitLines(text)) {
    line = TrimBlanks(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || !IsOsReleaseKey(line.substr(0, eq))) continue;
    std::optional<std::string> value = OsReleaseValue(line.substr(eq + 1));
    if (!value) continue;
    const std::string key(line.substr(0, eq));
    if (values.size() == kMaxOsReleaseKeys && !values.contains(key)) continue;
    values[key] = Truncated(std::move(*value), kMaxOsReleaseValueBytes);
  }
  return values;
}

std::string OsDisplayName(const std::map<std::string, std::string>& os_release) {
  const auto get = [&](const char* key) -> std::string {
    const auto it = os_release.find(key);
    return it == os_release.end() ? std::string() : it->second;
  };
  std::string name = get("PRETTY_NAME");
  if (name.empty()) {
    name = get("NAME");
    if (name.empty()) name = "Linux";
    std::string version = get("VERSION_ID");
    if (version.empty()) version = get("VERSION");
    if (!version.empty()) name += " " + version;
  }
  return Truncated(std::move(name), kMaxDisplayNameBytes);
}

bool IsRootCandidate(const RootProbe& probe) {
  return probe.problem.empty() && probe.has_fstab && probe.has_os_release;
}

std::string DescribeProbe(const RootProbe& probe) {
  std::string text = probe.device + " (" + probe.fstype;
  if (!probe.subvolume.empty()) text += ", subvolume " + probe.subvolume;
  return text + ")";
}

OpResult<RootProbe> ChooseRoot(const std::vector<RootProbe>& probes) {
  std::vector<const RootProbe*> chosen;
  std::set<std::string> devices;
  for (const RootProbe& probe : probes) {
    if (IsRootCandidate(probe) && devices.insert(probe.device).second) chosen.push_back(&probe);
  }
  if (chosen.size() == 1) return *chosen.front();
  if (chosen.empty()) {
    std::string message =
        "no root filesystem found: none holds etc/fstab and an os-release (etc/ or usr/lib/)";
    std::string looked;
    for (const RootProbe& probe : probes) {
      looked += (looked.empty() ? "; looked at " : ", ") + DescribeProbe(probe) + ": " +
                ProbeLacks(probe);
    }
    return OpError{ENOENT, message + (probes.empty() ? "; no filesystem to look at" : looked)};
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const RootProbe* a, const RootProbe* b) { return a->device < b->device; });
  std::string message = "several root filesystems: ";
  for (size_t i = 0; i < chosen.size(); ++i) {
    message += (i == 0 ? "" : ", ") + DescribeProbe(*chosen[i]) + " " + chosen[i]->os_name;
  }
  return OpError{EINVAL, message + "; name the one to use"};
}

bool IsSafeOptionValue(std::string_view value) {
  return !value.empty() && value.size() <= kMaxOptionValueBytes &&
         std::all_of(value.begin(), value.end(), IsSafeOptionByte);
}

OpResult<std::string> BtrfsSubvolumeData(const std::vector<std::string>& options) {
  std::optional<std::string> subvol;
  std::optional<std::string> subvolid;
  for (const std::string& option : options) {
    if (option.starts_with("subvol=")) {
      subvol = option.substr(7);
      if (!IsSafeOptionValue(*subvol)) {
        return OpError{EINVAL, "unsafe option value refused: " + option};
      }
    } else if (option.starts_with("subvolid=")) {
      subvolid = option.substr(9);
      if (subvolid->empty() || subvolid->size() > kMaxSubvolidDigits ||
          !std::all_of(subvolid->begin(), subvolid->end(),
                       [](char c) { return c >= '0' && c <= '9'; })) {
        return OpError{EINVAL, "subvolid is not a decimal number: " + option};
      }
    }
  }
  std::string data;
  if (subvol) data = "subvol=" + *subvol;
  if (subvolid) data += (data.empty() ? "" : ",") + std::string("subvolid=") + *subvolid;
  return data;
}

OpResult<std::string> SubvolumeData(std::string_view subvolume) {
  if (subvolume.empty()) return std::string();
  if (!IsSafeOptionValue(subvolume)) {
    return OpError{EINVAL, "unsafe subvolume name refused: " + std::string(subvolume)};
  }
  return "subvol=" + std::string(subvolume);
}

}  // namespace diskferry::daemon
