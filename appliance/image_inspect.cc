#include "appliance/image_inspect.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "appliance/process.h"
#include "appliance/qemu_command.h"  // EscapeOptionValue
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

struct Signature {
  const char* format;
  size_t offset;
  std::string_view magic;
};

// Header magics from each format's specification (QEMU's block/*.c probes use the same).
constexpr Signature kSignatures[] = {
    {"qcow2", 0, std::string_view("QFI\xfb", 4)},
    {"qed", 0, std::string_view("QED\0", 4)},
    {"vmdk", 0, "KDMV"},
    {"vmdk", 0, "# Disk DescriptorFile"},
    {"vdi", 64, std::string_view("\x7f\x10\xda\xbe", 4)},
    {"vhdx", 0, "vhdxfile"},
    {"vpc", 0, "conectix"},
    {"luks", 0, std::string_view("LUKS\xba\xbe", 6)},
    // Expert Witness: EWF-E01 ("EVF" 09 0d 0a ff 00) and EWF2-Ex01 ("EVF2" 0d 0a 81 00),
    // from libewf's format documentation (ewf.h serves them).
    {"ewf", 0, std::string_view("EVF\x09\x0d\x0a\xff\x00", 8)},
    {"ewf", 0, std::string_view("EVF2\x0d\x0a\x81\x00", 8)},
};

constexpr size_t kHeaderBytes = 4096;
constexpr size_t kMaxChainLayers = 16;
constexpr auto kQemuImgTimeout = std::chrono::seconds(30);
// qemu-img info of one image without snapshots prints about 1 KiB; a crafted image with
// thousands of internal snapshots prints more, and this is plenty for any real one.
constexpr size_t kMaxInfoBytes = 4 << 20;

// What std::ifstream cannot say: why. errno after a failed open is set by the C library
// on both Linux and Windows, and names the usual reasons (ENOENT, EACCES).
Status CannotOpen(const std::string& path) {
  const int err = errno;
  return err != 0 ? ErrnoStatus(err, path) : Status(Code::kIoError, path + ": cannot be opened");
}

Result<std::string> ReadHead(const std::string& path, size_t n) {
  std::ifstream in(std::filesystem::path(path), std::ios::binary);
  if (!in) return CannotOpen(path);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  if (in.bad()) return Status(Code::kIoError, path + ": read failed");
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

uint64_t BigEndian(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = v << 8 | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

Status Refuse(const std::string& path, const std::string& why) {
  return Status(Code::kInvalidArgument, path + ": " + why);
}

// qcow2 version 3 header: incompatible_features (big endian) at byte 72; bit 2 says the
// guest data lives in an external file the header names (QEMU's docs/interop/qcow2.txt).
Status CheckQcow2Header(const std::string& path, std::string_view head) {
  if (head.size() < 80 || BigEndian(head, 4, 4) < 3) return Status::Ok();
  if ((BigEndian(head, 72, 8) & (uint64_t{1} << 2)) != 0) {
    return Refuse(path, "this qcow2 keeps its data in an external file its header names; "
                        "diskferry never opens a file an image names itself (convert it to "
                        "one file with qemu-img convert)");
  }
  return Status::Ok();
}

// The file names of a vmdk text descriptor's extent lines: ACCESS SIZE TYPE "FILE" [OFFSET].
std::vector<std::string> DescriptorExtents(std::string_view text) {
  std::vector<std::string> files;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("RW ", 0) != 0 && line.rfind("RDONLY ", 0) != 0 &&
        line.rfind("NOACCESS ", 0) != 0) {
      continue;
    }
    const size_t open = line.find('"');
    const size_t close = open == std::string_view::npos ? open : line.find('"', open + 1);
    if (close != std::string_view::npos) files.emplace_back(line.substr(open + 1, close - open - 1));
  }
  return files;
}

Status CheckVmdkHeader(const std::string& path, std::string_view head) {
  if (head.rfind("# Disk DescriptorFile", 0) != 0) return Status::Ok();
  const std::vector<std::string> extents = DescriptorExtents(head);
  std::string named;
  for (const std::string& f : extents) named += (named.empty() ? "" : ", ") + QuotedText(f);
  return Refuse(path, "a vmdk descriptor that names other files as its data (" +
                          (named.empty() ? std::string("none readable") : named) +
                          "); diskferry never opens a file an image names itself: open the "
                          "data file itself (a -flat.vmdk is --format raw) or convert it with "
                          "qemu-img convert");
}

// The image as qemu-img's --image-opts sees it: this format driver over the file
// protocol, so that a path is never parsed as a protocol ("json:", "nbd:").
std::string ImageOpts(const std::string& path, const std::string& format) {
  const std::string absolute = std::filesystem::absolute(std::filesystem::path(path)).string();
  return "driver=" + format + ",file.driver=file,file.filename=" + EscapeOptionValue(absolute);
}

std::string FirstLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

Result<std::string> RunQemuImgInfo(const std::string& path, const std::string& format) {
  auto proc = Process::Spawn(SpawnOptions{
      {"qemu-img", "info", "--output=json", "--image-opts", ImageOpts(path, format)},
      OutputMode::kPipe, ""});
  if (!proc.ok()) {
    return Status(Code::kUnavailable,
                  "qemu-img not found: it checks images before QEMU opens them (apt-get install "
                  "qemu-utils)");
  }
  auto output = proc->ReadOutput(kQemuImgTimeout);
  auto status = proc->Wait(std::chrono::seconds(1));
  if (!status.ok()) {
    (void)proc->KillAndWait(std::chrono::seconds(5));
    return Status(Code::kTimeout, path + ": qemu-img info did not finish in 30 s");
  }
  if (!output.ok()) return output.status().WithContext(path);
  if (!status->success()) {
    // "qemu-img: Could not open 'driver=...': Image is not in qcow2 format"
    std::string why = FirstLine(*output);
    if (const size_t colon = why.rfind("': "); colon != std::string::npos) why = why.substr(colon + 3);
    return Refuse(path, "not a " + format + " image (qemu-img: " + PrintableText(why, {.max_bytes = 300}) +
                            "); give its real format with --format (format: in a manifest)");
  }
  if (output->size() > kMaxInfoBytes) return Refuse(path, "qemu-img info printed too much");
  return std::move(*output);
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<ImageInfo> ParseInfo(const std::string& path, const std::string& format,
                            const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("virtual-size") || !j["virtual-size"].is_number_unsigned()) {
    return Status(Code::kIoError, path + ": qemu-img info gave no virtual size");
  }
  ImageInfo info;
  info.format = format;
  info.virtual_size = j["virtual-size"].get<uint64_t>();
  info.backing_file = JsonString(j, "backing-filename");
  info.backing_format = JsonString(j, "backing-filename-format");
  const nlohmann::json* data = nullptr;
  if (auto fs = j.find("format-specific"); fs != j.end() && fs->is_object()) {
    if (auto d = fs->find("data"); d != fs->end() && d->is_object()) data = &*d;
  }
  if (data != nullptr && data->contains("data-file")) {
    return Refuse(path, "this qcow2 keeps its data in an external file its header names; "
                        "diskferry never opens a file an image names itself");
  }
  if (data != nullptr) {
    const std::string self = std::filesystem::absolute(std::filesystem::path(path)).string();
    for (const auto& extent : data->value("extents", nlohmann::json::array())) {
      const std::string file = JsonString(extent, "filename");
      if (!file.empty() && file != self) {
        return Refuse(path, "a vmdk whose extents live in other files (" + QuotedText(file) +
                                "); diskferry never opens a file an image names itself");
      }
    }
  }
  return info;
}

}  // namespace

bool IsKnownImageFormat(std::string_view format) {
  for (std::string_view f : kImageFormats) {
    if (f == format) return true;
  }
  return false;
}

std::string KnownImageFormats() {
  std::string out;
  for (std::string_view f : kImageFormats) out += (out.empty() ? "" : ", ") + std::string(f);
  return out;
}

Result<std::string> ProbeImageFormat(const std::string& path) {
  auto head = ReadHead(path, 128);
  if (!head.ok()) return head.status();
  for (const Signature& s : kSignatures) {
    if (head->size() >= s.offset + s.magic.size() &&
        head->compare(s.offset, s.magic.size(), s.magic) == 0) {
      return std::string(s.format);
    }
  }
  return std::string();
}

namespace {

// A raw image's size. A block device has no file size, but seeking to its end gives it
// (lseek on Linux), which the throw-away overlay over it must cover: an overlay of 0
// bytes shows the guest an empty disk. 0 when neither works.
uint64_t RawSize(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(std::filesystem::path(path), ec);
  if (!ec) return size;
  std::ifstream in(std::filesystem::path(path), std::ios::binary | std::ios::ate);
  const std::streamoff end = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  return end > 0 ? static_cast<uint64_t>(end) : 0;
}

}  // namespace

Result<ImageInfo> InspectImage(const std::string& path, const std::string& format) {
  if (!IsKnownImageFormat(format)) {
    return Refuse(path, "unknown format " + QuotedText(format) + "; one of " + KnownImageFormats());
  }
  auto head = ReadHead(path, kHeaderBytes);
  if (!head.ok()) return head.status();
  if (format == "raw") {
    ImageInfo info;
    info.format = format;
    info.virtual_size = RawSize(path);
    return info;
  }
  if (format == "qcow2") {
    if (Status st = CheckQcow2Header(path, *head); !st.ok()) return st;
  }
  if (format == "vmdk") {
    if (Status st = CheckVmdkHeader(path, *head); !st.ok()) return st;
  }
  auto text = RunQemuImgInfo(path, format);
  if (!text.ok()) return text.status();
  return ParseInfo(path, format, *text);
}

Result<DiskChain> ResolveDiskChain(const ImageLayer& image, const std::vector<ImageLayer>& named) {
  DiskChain chain;
  chain.image = image;
  ImageLayer layer = image;
  size_t used = 0;
  for (size_t depth = 0;; ++depth) {
    if (depth >= kMaxChainLayers) {
      return Refuse(image.path, "a backing chain deeper than " + std::to_string(kMaxChainLayers));
    }
    auto info = InspectImage(layer.path, layer.format);
    if (!info.ok()) return info.status();
    if (depth == 0) chain.virtual_size = info->virtual_size;
    if (info->backing_file.empty()) break;
    if (used == named.size()) {
      return Refuse(layer.path,
                    "its header names a backing file, " + QuotedText(info->backing_file) +
                        "; diskferry never opens a file an image names itself: if you trust "
                        "that file, name it with --backing PATH (backing: in a manifest)");
    }
    ImageLayer next = named[used++];
    if (next.format.empty()) {
      if (IsKnownImageFormat(info->backing_format)) {
        next.format = info->backing_format;
      } else {
        auto probed = ProbeImageFormat(next.path);
        if (!probed.ok()) return probed.status();
        next.format = probed->empty() ? "raw" : *probed;
      }
    }
    chain.backing.push_back(next);
    layer = next;
  }
  if (used < named.size()) {
    return Refuse(named[used].path, "given as a backing file, but " + layer.path +
                                        " names no backing file");
  }
  return chain;
}

}  // namespace diskferry
