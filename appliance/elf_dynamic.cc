#include "appliance/elf_dynamic.h"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <optional>

namespace diskferry {
namespace {

Status Bad(const std::string& why) { return Status(Code::kInvalidArgument, why); }

// [offset, offset + length) lies inside a buffer of `size` bytes.
bool Inside(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

// Copies a T out of the image: ELF structures in a file carry no alignment promise.
template <typename T>
T CopyOut(std::string_view image, uint64_t offset) {
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

struct LoadSegment {
  uint64_t vaddr, filesz, offset;
};

struct DynamicTags {
  std::vector<uint64_t> needed;
  std::optional<uint64_t> strtab, strsz, runpath, rpath, soname;
};

Status CheckHeader(std::string_view image, Elf64_Ehdr* out) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) {
    return Bad("not an ELF file");
  }
  if (image.size() < sizeof(Elf64_Ehdr) || image[EI_CLASS] != ELFCLASS64 ||
      image[EI_DATA] != ELFDATA2LSB) {
    return Bad("not a 64-bit little-endian ELF file");
  }
  Elf64_Ehdr h = CopyOut<Elf64_Ehdr>(image, 0);
  if (h.e_machine != EM_X86_64)
    return Bad("not x86-64 (e_machine " + std::to_string(h.e_machine) + ")");
  if (h.e_type != ET_EXEC && h.e_type != ET_DYN) return Bad("not an executable or shared object");
  if (h.e_phnum == PN_XNUM) return Bad("extended program header count is not supported");
  if (h.e_phnum > 0 && h.e_phentsize != sizeof(Elf64_Phdr)) {
    return Bad("program header size " + std::to_string(h.e_phentsize));
  }
  if (!Inside(h.e_phoff, uint64_t{h.e_phnum} * sizeof(Elf64_Phdr), image.size())) {
    return Bad("program headers run past the end of the file");
  }
  *out = h;
  return Status::Ok();
}

// The NUL-terminated string at image[offset], which must end before `end`.
Result<std::string> StringAt(std::string_view image, uint64_t offset, uint64_t end,
                             const char* what) {
  if (offset >= end || end > image.size()) return Bad(std::string(what) + " outside its table");
  const void* nul = std::memchr(image.data() + offset, '\0', end - offset);
  if (nul == nullptr) return Bad(std::string(what) + " is not NUL-terminated");
  return std::string(image.data() + offset, static_cast<const char*>(nul));
}

Result<uint64_t> FileOffsetOf(uint64_t vaddr, const std::vector<LoadSegment>& loads,
                              uint64_t size) {
  for (const LoadSegment& seg : loads) {
    if (vaddr >= seg.vaddr && vaddr - seg.vaddr < seg.filesz) {
      uint64_t offset = seg.offset + (vaddr - seg.vaddr);
      if (offset < seg.offset || offset >= size) break;
      return offset;
    }
  }
  return Bad("DT_STRTAB outside every PT_LOAD");
}

Result<DynamicTags> ReadDynamicTags(std::string_view image, const Elf64_Phdr& dynamic) {
  if (!Inside(dynamic.p_offset, dynamic.p_filesz, image.size())) {
    return Bad("PT_DYNAMIC runs past the end of the file");
  }
  DynamicTags tags;
  const uint64_t count = dynamic.p_filesz / sizeof(Elf64_Dyn);
  for (uint64_t i = 0; i < count; ++i) {
    Elf64_Dyn d = CopyOut<Elf64_Dyn>(image, dynamic.p_offset + i * sizeof(Elf64_Dyn));
    if (d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
      case DT_NEEDED:
        tags.needed.push_back(d.d_un.d_val);
        break;
      case DT_STRTAB:
        tags.strtab = d.d_un.d_ptr;
        break;
      case DT_STRSZ:
        tags.strsz = d.d_un.d_val;
        break;
      case DT_RUNPATH:
        tags.runpath = d.d_un.d_val;
        break;
      case DT_RPATH:
        tags.rpath = d.d_un.d_val;
        break;
      case DT_SONAME:
        tags.soname = d.d_un.d_val;
        break;
      default:
        break;
    }
  }
  return tags;
}

std::vector<std::string> SplitPath(const std::string& list) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= list.size()) {
    size_t colon = list.find(':', start);
    if (colon == std::string::npos) colon = list.size();
    if (colon > start) parts.push_back(list.substr(start, colon - start));
    start = colon + 1;
  }
  return parts;
}

Result<ElfDynamic> ResolveStrings(std::string_view image, const DynamicTags& tags,
                                  const std::vector<LoadSegment>& loads, ElfDynamic out) {
  bool names_any = !tags.needed.empty() || tags.runpath || tags.rpath || tags.soname;
  if (!names_any) return out;
  if (!tags.strtab || !tags.strsz) return Bad("dynamic section without DT_STRTAB or DT_STRSZ");
  Result<uint64_t> table = FileOffsetOf(*tags.strtab, loads, image.size());
  if (!table.ok()) return table.status();
  if (!Inside(*table, *tags.strsz, image.size()))
    return Bad("DT_STRSZ runs past the end of the file");
  const uint64_t end = *table + *tags.strsz;
  auto name = [&](uint64_t offset, const char* what) -> Result<std::string> {
    if (offset >= *tags.strsz) return Bad(std::string(what) + " outside its table");
    return StringAt(image, *table + offset, end, what);
  };
  for (uint64_t offset : tags.needed) {
    Result<std::string> lib = name(offset, "DT_NEEDED name");
    if (!lib.ok()) return lib.status();
    if (lib->empty()) return Bad("empty DT_NEEDED name");
    out.needed.push_back(std::move(*lib));
  }
  // ld.so ignores DT_RPATH when DT_RUNPATH is present.
  if (std::optional<uint64_t> path = tags.runpath ? tags.runpath : tags.rpath) {
    Result<std::string> list = name(*path, "DT_RUNPATH");
    if (!list.ok()) return list.status();
    out.runpath = SplitPath(*list);
  }
  if (tags.soname) {
    Result<std::string> soname = name(*tags.soname, "DT_SONAME");
    if (!soname.ok()) return soname.status();
    out.soname = std::move(*soname);
  }
  return out;
}

}  // namespace

Result<ElfDynamic> ParseElfDynamic(std::string_view image) {
  Elf64_Ehdr header;
  if (Status s = CheckHeader(image, &header); !s.ok()) return s;
  ElfDynamic out;
  std::vector<LoadSegment> loads;
  std::optional<Elf64_Phdr> dynamic;
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph = CopyOut<Elf64_Phdr>(image, header.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
    if (ph.p_type == PT_LOAD) {
      if (!Inside(ph.p_offset, ph.p_filesz, image.size())) {
        return Bad("program header " + std::to_string(i) + " runs past the end of the file");
      }
      loads.push_back({ph.p_vaddr, ph.p_filesz, ph.p_offset});
    } else if (ph.p_type == PT_INTERP) {
      if (!Inside(ph.p_offset, ph.p_filesz, image.size())) {
        return Bad("PT_INTERP runs past the end of the file");
      }
      Result<std::string> interp =
          StringAt(image, ph.p_offset, ph.p_offset + ph.p_filesz, "PT_INTERP");
      if (!interp.ok()) return interp.status();
      if (interp->empty() || interp->front() != '/')
        return Bad("PT_INTERP is not an absolute path");
      out.interpreter = std::move(*interp);
    } else if (ph.p_type == PT_DYNAMIC) {
      dynamic = ph;
    }
  }
  if (!dynamic) return out;
  Result<DynamicTags> tags = ReadDynamicTags(image, *dynamic);
  if (!tags.ok()) return tags.status();
  return ResolveStrings(image, *tags, loads, std::move(out));
}

}  // namespace diskferry
