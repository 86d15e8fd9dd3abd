#include "sinks/forensic_outputs.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "host/file_mode.h"
#include "sinks/host_file.h"

namespace diskferry {
namespace {

constexpr std::string_view kDfxmlNamespace =
    "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML";
// Our own elements and attributes, where DFXML 1.x has none (image digests, the case,
// a volume's device and mount point). The schema admits other namespaces there, laxly.
constexpr std::string_view kOurNamespace = "urn:diskferry:dfxml:1";

// A file written as PATH.partial and renamed to PATH by Commit; removed if never committed.
class PartialFile {
 public:
  static Result<std::unique_ptr<PartialFile>> Create(const std::string& path) {
    auto f = std::unique_ptr<PartialFile>(new PartialFile(path));
    int err = OpenHostFile(f->partial_, HostOpen::kCreateNew, &f->fd_);
    if (err == EEXIST) {  // an earlier run's, or something put there: removed, not opened
      if (int removed = RemoveHostFile(f->partial_); removed != 0 && removed != ENOENT) {
        return ErrnoStatus(removed, "removing the stale " + f->partial_);
      }
      err = OpenHostFile(f->partial_, HostOpen::kCreateNew, &f->fd_);
    }
    if (err != 0) return ErrnoStatus(err, f->partial_);
    return f;
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  ~PartialFile() {
    if (committed_) return;
    (void)CloseFile(&fd_);
    (void)RemoveHostFile(partial_);
  }

  Status Append(std::string_view text) {
    buffer_ += text;
    return buffer_.size() >= kFlushAt ? Flush() : Status::Ok();
  }

  Status Commit() {
    if (Status st = Flush(); !st.ok()) return st;
    if (int err = CloseFile(&fd_); err != 0) return ErrnoStatus(err, partial_);
    if (int err = RenameHostFile(partial_, path_); err != 0) return ErrnoStatus(err, path_);
    committed_ = true;
    return Status::Ok();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  explicit PartialFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {}

  Status Flush() {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(buffer_.data()),
                                         buffer_.size());
    if (int err = WriteFileAt(fd_.get(), written_, bytes); err != 0) {
      return ErrnoStatus(err, partial_);
    }
    written_ += buffer_.size();
    buffer_.clear();
    return Status::Ok();
  }

  std::string path_;
  std::string partial_;
  UniqueFd fd_;
  std::string buffer_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

// The length of the UTF-8 sequence at s[i] that XML 1.0 can carry, or 0.
size_t XmlCharLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = b(0);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

void AppendHexByte(std::string* out, uint8_t c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", c);
  *out += buf;
}

std::string Element(std::string_view indent, std::string_view name, std::string_view text) {
  return std::string(indent) + "<" + std::string(name) + ">" + std::string(text) + "</" +
         std::string(name) + ">\n";
}

// TSK's TSK_FS_META_TYPE_ENUM (what fiwalk writes as meta_type) and name_type letters.
struct TypeCodes {
  int meta_type;
  char name_type;
};

TypeCodes CodesOf(uint32_t mode) {
  switch (mode & kModeTypeMask) {
    case kModeRegular:
      return {1, 'r'};
    case kModeDirectory:
      return {2, 'd'};
    case kModeFifo:
      return {3, 'p'};
    case kModeCharDevice:
      return {4, 'c'};
    case kModeBlockDevice:
      return {5, 'b'};
    case kModeSymlink:
      return {6, 'l'};
    case kModeSocket:
      return {8, 's'};
    default:
      return {0, '-'};
  }
}

// Hashes of earlier paths of files with more than one link, for the later links' records.
class LinkHashes {
 public:
  const std::map<std::string, std::string>& For(const FileRecord& r) {
    if (r.type == "file" && r.nlink > 1 && !r.hashes.empty()) seen_[r.path] = r.hashes;
    if (r.type != "hardlink") return r.hashes;
    auto it = seen_.find(r.target);
    return it == seen_.end() ? r.hashes : it->second;
  }

 private:
  std::unordered_map<std::string, std::map<std::string, std::string>> seen_;
};

// The 1-based index of the filesystem whose mount point holds `path` (the longest match).
size_t VolumeOf(const std::vector<JobFilesystem>& filesystems, const std::string& path) {
  size_t best = 1;
  size_t best_len = 0;
  const std::string absolute = "/" + path;
  for (size_t i = 0; i < filesystems.size(); ++i) {
    std::string mp = filesystems[i].mount_point;
    while (mp.size() > 1 && mp.back() == '/') mp.pop_back();
    const bool holds = mp == "/" || absolute == mp || absolute.starts_with(mp + "/");
    if (holds && mp.size() > best_len) {
      best = i + 1;
      best_len = mp.size();
    }
  }
  return best;
}

// A filename from the root of the filesystem at `mount_point` ("/boot": "boot/x" -> "x").
std::string FromVolumeRoot(const std::string& path, const std::string& mount_point) {
  if (mount_point.empty() || mount_point == "/") return path;
  const std::string mp = mount_point.substr(1);
  if (path.size() > mp.size() && path.starts_with(mp) && path[mp.size()] == '/') {
    return path.substr(mp.size() + 1);
  }
  return path;
}

std::string Header(const DfxmlOptions& o) {
  std::string x = "<?xml version='1.0' encoding='UTF-8'?>\n";
  x += "<dfxml xmlns='" + std::string(kDfxmlNamespace) + "'\n";
  x += "  xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'\n";
  x += "  xmlns:dc='http://purl.org/dc/elements/1.1/'\n";
  x += "  xmlns:diskferry='" + std::string(kOurNamespace) + "'\n";
  x += "  version='1.0'>\n";
  x += "  <metadata>\n    <dc:type>Disk Image</dc:type>\n";
  if (o.case_info) {
    const CaseInfo& c = *o.case_info;
    x += "    <diskferry:case>\n";
    x += Element("      ", "diskferry:id", DfxmlText(c.id));
    x += Element("      ", "diskferry:examiner", DfxmlText(c.examiner));
    x += Element("      ", "diskferry:evidence_id", DfxmlText(c.evidence_id));
    x += Element("      ", "diskferry:notes", DfxmlText(c.notes));
    x += "    </diskferry:case>\n";
  }
  x += "  </metadata>\n";
  x += "  <creator version='1.0'>\n";
  x += Element("    ", "program", "diskferry");
  x += Element("    ", "version", DfxmlText(o.program_version));
  if (!o.command_line.empty() || !o.start_time.empty()) {
    x += "    <execution_environment>\n";
    if (!o.command_line.empty()) {
      x += Element("      ", "command_line", DfxmlText(o.command_line));
    }
    if (!o.start_time.empty()) x += Element("      ", "start_time", DfxmlText(o.start_time));
    x += "    </execution_environment>\n";
  }
  x += "  </creator>\n";
  x += "  <source>\n";
  // Every file the digests cover is named: an E01's other segments and backing files too.
  std::vector<std::string> images = o.image_filenames;
  for (const ImageDigests& d : o.image_digests) {
    if (std::find(images.begin(), images.end(), d.path) == images.end()) images.push_back(d.path);
  }
  for (const std::string& image : images) {
    x += "    <image_filename";
    for (const ImageDigests& d : o.image_digests) {
      if (d.path != image) continue;
      x += " diskferry:size='" + std::to_string(d.size) + "'";
      for (const auto& [name, hex] : d.hashes) {
        x += " diskferry:" + DfxmlText(name) + "='" + DfxmlText(hex) + "'";
      }
    }
    x += ">" + DfxmlText(image) + "</image_filename>\n";
  }
  x += "  </source>\n";
  return x;
}

std::string VolumeStart(const DfxmlOptions& o, const JobFilesystem& fs) {
  std::string x = "  <volume";
  if (o.partition_offset) x += " offset='" + std::to_string(*o.partition_offset) + "'";
  x += ">\n";
  x += Element("    ", "diskferry:device", DfxmlText(fs.device));
  x += Element("    ", "diskferry:mount_point", DfxmlText(fs.mount_point));
  if (o.partition_offset) {
    x += Element("    ", "partition_offset", std::to_string(*o.partition_offset));
  }
  x += Element("    ", "ftype_str", DfxmlText(fs.type));
  return x;
}

}  // namespace

std::string DfxmlText(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\\':
        AppendHexByte(&out, c);
        break;
      default: {
        const size_t n = c < 0x20 ? 0 : XmlCharLength(bytes, i);
        if (n == 0) {
          AppendHexByte(&out, c);
          break;
        }
        out.append(bytes.substr(i, n));
        i += n;
        continue;
      }
    }
    ++i;
  }
  return out;
}

std::string DfxmlTime(int64_t ns) {
  using namespace std::chrono;
  const sys_time<nanoseconds> t{nanoseconds(ns)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const nanoseconds in_day = t - day;
  const auto h = duration_cast<hours>(in_day);
  const auto m = duration_cast<minutes>(in_day - h);
  const auto s = duration_cast<seconds>(in_day - h - m);
  const auto frac = in_day - h - m - s;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02lld.%09lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                static_cast<int>(m.count()), static_cast<long long>(s.count()),
                static_cast<long long>(frac.count()));
  return buf;
}

std::string BodyfileMode(uint32_t mode) {
  const char type = CodesOf(mode).name_type;
  std::string s = {type, '/', type == '-' ? '-' : type};
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (mode & (0400u >> i)) ? rwx[i] : '-';
  auto special = [&](size_t at, uint32_t bit, char set_exec, char set_only) {
    if (mode & bit) s[at] = s[at] == 'x' ? set_exec : set_only;
  };
  special(5, 04000, 's', 'S');
  special(8, 02000, 's', 'S');
  special(11, 01000, 't', 'T');
  return s;
}

std::string BodyfileName(const FileRecord& record) {
  auto field = [](std::string_view bytes) {
    std::string out;
    for (const char ch : bytes) {
      const auto c = static_cast<uint8_t>(ch);
      if (c < 0x20) {
        out += '^';
      } else if (c == '|') {
        out += "%7C";
      } else if (c == '%') {
        out += "%25";
      } else {
        out += ch;
      }
    }
    return out;
  };
  std::string name = "/" + field(record.path);
  if (record.type == "symlink") name += " -> " + field(record.target);
  if (record.deleted) name += " (deleted)";  // as fls -m marks a deleted name
  return name;
}

std::string BodyfileLine(const FileRecord& r, const std::string& md5) {
  const auto secs = [](int64_t ns) {
    int64_t s = ns / 1000000000;
    if (ns % 1000000000 < 0) --s;  // floor, as the seconds field of a timespec
    return std::to_string(s);
  };
  return md5 + "|" + BodyfileName(r) + "|" + std::to_string(r.ino) + "|" + BodyfileMode(r.mode) +
         "|" + std::to_string(r.uid) + "|" + std::to_string(r.gid) + "|" + std::to_string(r.size) +
         "|" + secs(r.atime_ns) + "|" + secs(r.mtime_ns) + "|" + secs(r.ctime_ns) + "|" +
         secs(r.crtime_ns);
}

struct DfxmlWriter::Impl {
  std::unique_ptr<PartialFile> file;
  DfxmlOptions options;
  LinkHashes links;
  bool one_volume = false;

  std::string FileObject(const FileRecord& r) {
    const std::map<std::string, std::string>& hashes = links.For(r);
    const std::string filename =
        one_volume ? FromVolumeRoot(r.path, options.filesystems.front().mount_point) : r.path;
    const std::string in = one_volume ? "      " : "    ";
    std::string x = in.substr(2) + "<fileobject>\n";
    x += Element(in, "filename", DfxmlText(filename));
    // An entry that could not be read, or a file whose hashing went wrong.
    if (r.status != kStatusOk && r.status != "unchanged") {
      x += Element(in, "error", DfxmlText(r.status));
    }
    if (r.type == "error") return x + in.substr(2) + "</fileobject>\n";
    if (!one_volume && !options.filesystems.empty()) {
      x += Element(in, "partition", std::to_string(VolumeOf(options.filesystems, r.path)));
    }
    const TypeCodes codes = CodesOf(r.mode);
    x += Element(in, "name_type", std::string(1, codes.name_type));
    x += Element(in, "filesize", std::to_string(r.size));
    // A file recovered by `recover: deleted` was found unallocated, as fiwalk marks it.
    x += Element(in, "alloc", r.deleted ? "0" : "1");
    if (r.ino != 0) x += Element(in, "inode", std::to_string(r.ino));
    x += Element(in, "meta_type", std::to_string(codes.meta_type));
    x += Element(in, "mode", std::to_string(r.mode & 07777));  // as fiwalk: base 10, no type
    if (r.nlink != 0) x += Element(in, "nlink", std::to_string(r.nlink));
    x += Element(in, "uid", std::to_string(r.uid));
    x += Element(in, "gid", std::to_string(r.gid));
    x += Element(in, "mtime", DfxmlTime(r.mtime_ns));
    if (r.ctime_ns != 0) x += Element(in, "ctime", DfxmlTime(r.ctime_ns));
    if (r.atime_ns != 0) x += Element(in, "atime", DfxmlTime(r.atime_ns));
    if (r.crtime_ns != 0) x += Element(in, "crtime", DfxmlTime(r.crtime_ns));
    if (r.type == "symlink") x += Element(in, "link_target", DfxmlText(r.target));
    for (const auto& [name, hex] : hashes) {
      x += in + "<hashdigest type='" + DfxmlText(name) + "'>" + DfxmlText(hex) + "</hashdigest>\n";
    }
    return x + in.substr(2) + "</fileobject>\n";
  }
};

Result<DfxmlWriter> DfxmlWriter::Open(const std::string& path, const DfxmlOptions& options) {
  auto file = PartialFile::Create(path);
  if (!file.ok()) return file.status();
  auto impl = std::make_unique<Impl>();
  impl->file = std::move(*file);
  impl->options = options;
  impl->one_volume = options.filesystems.size() == 1;
  std::string head = Header(options);
  for (const JobFilesystem& fs : options.filesystems) {
    head += VolumeStart(options, fs);
    if (!impl->one_volume) head += "  </volume>\n";
  }
  if (Status st = impl->file->Append(head); !st.ok()) return st;
  return DfxmlWriter(std::move(impl));
}

DfxmlWriter::DfxmlWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DfxmlWriter::DfxmlWriter(DfxmlWriter&&) noexcept = default;
DfxmlWriter& DfxmlWriter::operator=(DfxmlWriter&&) noexcept = default;
DfxmlWriter::~DfxmlWriter() = default;

Status DfxmlWriter::Add(const FileRecord& record) {
  return impl_->file->Append(impl_->FileObject(record));
}

Status DfxmlWriter::Close() {
  const std::string tail = impl_->one_volume ? "  </volume>\n</dfxml>\n" : "</dfxml>\n";
  if (Status st = impl_->file->Append(tail); !st.ok()) return st;
  return impl_->file->Commit();
}

struct BodyfileWriter::Impl {
  std::unique_ptr<PartialFile> file;
  LinkHashes links;
};

Result<BodyfileWriter> BodyfileWriter::Open(const std::string& path) {
  auto file = PartialFile::Create(path);
  if (!file.ok()) return file.status();
  auto impl = std::make_unique<Impl>();
  impl->file = std::move(*file);
  return BodyfileWriter(std::move(impl));
}

BodyfileWriter::BodyfileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BodyfileWriter::BodyfileWriter(BodyfileWriter&&) noexcept = default;
BodyfileWriter& BodyfileWriter::operator=(BodyfileWriter&&) noexcept = default;
BodyfileWriter::~BodyfileWriter() = default;

Status BodyfileWriter::Add(const FileRecord& record) {
  if (record.type == "error") return Status::Ok();
  const std::map<std::string, std::string>& hashes = impl_->links.For(record);
  auto md5 = hashes.find("md5");
  return impl_->file->Append(
      BodyfileLine(record, md5 == hashes.end() ? std::string("0") : md5->second) + "\n");
}

Status BodyfileWriter::Close() { return impl_->file->Commit(); }

Status ForensicListings::Open(const std::string& dfxml_path, const std::string& bodyfile_path,
                              const DfxmlOptions& options) {
  if (!dfxml_path.empty()) {
    auto opened = DfxmlWriter::Open(dfxml_path, options);
    if (!opened.ok()) return opened.status();
    dfxml_.emplace(std::move(*opened));
  }
  if (!bodyfile_path.empty()) {
    auto opened = BodyfileWriter::Open(bodyfile_path);
    if (!opened.ok()) return opened.status();
    bodyfile_.emplace(std::move(*opened));
  }
  return Status::Ok();
}

void ForensicListings::Add(const FileRecord& record) {
  if (dfxml_ && error_.ok()) error_ = dfxml_->Add(record);
  if (bodyfile_ && error_.ok()) error_ = bodyfile_->Add(record);
}

Status ForensicListings::Close() {
  if (dfxml_ && error_.ok()) error_ = dfxml_->Close();
  if (bodyfile_ && error_.ok()) error_ = bodyfile_->Close();
  return error_;
}

}  // namespace diskferry
