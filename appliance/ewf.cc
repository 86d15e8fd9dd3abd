#include "appliance/ewf.h"

#include <nlohmann/json.hpp>

#include "protocol/printable_text.h"

namespace diskferry {
namespace {

// Digest name -> hex length, for the names diskferry-ewf writes.
size_t HexLength(std::string_view name) {
  if (name == "md5") return 32;
  if (name == "sha1") return 40;
  if (name == "sha256") return 64;
  return 0;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status BadOutput(const std::string& image, std::string_view why) {
  return Status(Code::kIoError,
                image + ": unexpected answer from " + kEwfTool + ": " + std::string(why));
}

Result<std::map<std::string, std::string>> ReadHashes(const std::string& image,
                                                      const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return BadOutput(image, "hashes are not an object");
  for (const auto& [name, value] : object.items()) {
    const size_t length = HexLength(name);
    if (length == 0) return BadOutput(image, "unknown hash " + QuotedText(name, 20));
    if (!value.is_string() || value.get_ref<const std::string&>().size() != length ||
        !IsLowerHex(value.get_ref<const std::string&>())) {
      return BadOutput(image, "a malformed " + name + " digest");
    }
    out[name] = value.get<std::string>();
  }
  return out;
}

// Runs `diskferry-ewf COMMAND IMAGE` and parses its answer.
Result<EwfMedia> RunTool(const char* command, const std::string& image,
                         std::chrono::milliseconds timeout) {
  if (Status st = EwfSupported(); !st.ok()) return st;
  auto tool = FindEwfHelper(kEwfTool);
  if (!tool.ok()) return tool.status();
  auto proc = Process::Spawn(SpawnOptions{{*tool, command, image}, OutputMode::kPipe, ""});
  if (!proc.ok()) return proc.status().WithContext(kEwfTool);
  auto output = proc->ReadOutput(timeout);
  if (!output.ok()) return output.status().WithContext(kEwfTool);
  auto status = proc->Wait(std::chrono::seconds(5));
  if (!status.ok()) {
    return Status(Code::kTimeout, image + ": " + kEwfTool + " " + command + " did not finish");
  }
  if (!status->success()) {
    std::string line = LastLine(*output);
    constexpr std::string_view kPrefix = "diskferry-ewf: ";
    if (line.starts_with(kPrefix)) line.erase(0, kPrefix.size());
    if (line.empty()) line = image + ": " + kEwfTool + " " + status->ToString();
    return Status(Code::kIoError, line);
  }
  return ParseEwfToolOutput(image, *output);
}

}  // namespace

std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const size_t start = text.find_last_of('\n');
  return PrintableText(start == std::string_view::npos ? text : text.substr(start + 1));
}

Result<EwfMedia> ParseEwfToolOutput(const std::string& image, std::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return BadOutput(image, "not a JSON object");
  EwfMedia media;
  const auto size = doc.find("media_size");
  if (size == doc.end() || !size->is_number_unsigned()) {
    return BadOutput(image, "no media_size");
  }
  media.media_size = size->get<uint64_t>();
  if (const auto stored = doc.find("stored"); stored != doc.end()) {
    auto hashes = ReadHashes(image, *stored);
    if (!hashes.ok()) return hashes.status();
    media.stored = std::move(*hashes);
  }
  if (const auto computed = doc.find("computed"); computed != doc.end()) {
    auto hashes = ReadHashes(image, *computed);
    if (!hashes.ok()) return hashes.status();
    media.computed = std::move(*hashes);
  }
  return media;
}

Result<EwfMedia> ReadEwfMedia(const std::string& image, std::chrono::milliseconds timeout) {
  return RunTool("info", image, timeout);
}

Result<EwfMedia> HashEwfMedia(const std::string& image, std::chrono::milliseconds timeout) {
  auto media = RunTool("verify", image, timeout);
  if (media.ok() && media->computed.empty()) return BadOutput(image, "no computed hashes");
  return media;
}

std::vector<EwfHashCheck> CompareEwfHashes(const EwfMedia& media) {
  std::vector<EwfHashCheck> checks;
  for (const auto& [name, stored] : media.stored) {
    if (auto it = media.computed.find(name); it != media.computed.end()) {
      checks.push_back({name, stored, it->second});
    }
  }
  return checks;
}

std::vector<std::string> EwfServerArgv(const std::string& plugin, const std::string& image,
                                       const std::string& socket_path) {
  // --foreground: the process we spawned is the server, so its death is ours to see;
  // --exit-with-parent: belt and braces with PR_SET_PDEATHSIG; -t 1: the plugin
  // serializes every request anyway.
  return {"nbdkit", "--foreground", "--exit-with-parent", "--readonly", "-t",
          "1",      "--unix",       socket_path,          plugin,       "file=" + image};
}

}  // namespace diskferry
