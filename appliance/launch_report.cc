#include "appliance/launch_report.h"

#include <cstdio>
#include <deque>
#include <fstream>
#include <vector>

#include "protocol/printable_text.h"

namespace diskferry {
namespace {

constexpr std::streamoff kTailBytes = 64 * 1024;
constexpr size_t kMaxTailLineBytes = 512;

std::string ReadTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > kTailBytes ? size - kTailBytes : 0;
  in.seekg(start);
  std::string data(static_cast<size_t>(size - start), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (start > 0) {  // drop the partial first line
    const size_t nl = data.find('\n');
    data.erase(0, nl == std::string::npos ? data.size() : nl + 1);
  }
  return data;
}

void AppendIndented(const std::string& text, std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    *out += "\n    ";
    out->append(text, pos, nl - pos);
    pos = nl + 1;
  }
}

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

std::string TailLines(const std::string& path, size_t lines) {
  const std::string data = ReadTail(path);
  std::deque<std::string> kept;
  std::string line;
  // The console is written by the guest: each line is escaped on its own, so the lines
  // of the message are ours.
  auto flush = [&] {
    kept.push_back(PrintableText(line, {.max_bytes = kMaxTailLineBytes}));
    line.clear();
    if (kept.size() > lines) kept.pop_front();
  };
  for (const char c : data) {
    if (c == '\n') {
      flush();
    } else if (c != '\r') {
      line += c;
    }
  }
  if (!line.empty()) flush();
  std::string out;
  for (const std::string& l : kept) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

Status FormatLaunchFailure(const LaunchReport& r) {
  // The summary line: why, QEMU's fate unless why says it, and QEMU's last word (its
  // own error, such as a device it refused) when it said anything.
  std::string m = "appliance launch failed: " + r.why.message() + " (";
  if (r.why.message().find("QEMU " + r.qemu_fate) == std::string::npos) {
    m += "QEMU " + r.qemu_fate + ", ";
  }
  m += "after " + Seconds(r.elapsed);
  if (const std::string last = TailLines(r.qemu_output_path, 1); !last.empty()) m += ": " + last;
  m += "; details with --verbose)";
  m += "\n  accelerator: " + std::string(AccelName(r.accel.accel)) + " (" + r.accel.reason + ")";
  m += "\n  elapsed: " + Seconds(r.elapsed);
  m += "\n  QEMU: " + r.qemu_fate;
  const std::string qemu_output = TailLines(r.qemu_output_path, kQemuOutputTailLines);
  if (!qemu_output.empty()) {
    m += "\n  QEMU output:";
    AppendIndented(qemu_output, &m);
  }
  const std::string console = TailLines(r.console_log_path, kConsoleTailLines);
  if (console.empty()) {
    m += "\n  console: empty";
  } else {
    m += "\n  console (last " + std::to_string(kConsoleTailLines) + " lines of " +
         r.console_log_path + "):";
    AppendIndented(console, &m);
  }
  m += "\n  command: " + r.command;
  return Status(r.why.code(), std::move(m));
}

}  // namespace diskferry
