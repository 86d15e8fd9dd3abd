// A tiny ELF64 x86-64 file image for the builder's tests: one PT_LOAD over the whole file,
// an optional PT_INTERP, a PT_DYNAMIC with DT_NEEDED / DT_RUNPATH / DT_SONAME names in a
// string table. Fields are public so that a test can break one of them on purpose.
#ifndef DISKFERRY_TESTS_APPLIANCE_ELF_TEST_IMAGE_H_
#define DISKFERRY_TESTS_APPLIANCE_ELF_TEST_IMAGE_H_

#include <elf.h>

#include <cstring>
#include <string>
#include <vector>

namespace diskferry::testing {

struct ElfTestImage {
  static constexpr uint64_t kBase = 0x400000;  // vaddr of file offset 0

  std::string interpreter;  // "" for none
  std::vector<std::string> needed;
  std::string runpath;  // "" for none
  std::string soname;   // "" for none
  bool dynamic = true;  // false: a static executable (no PT_DYNAMIC)

  // Layout, filled by Build(), changed by tests before Render().
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<Elf64_Dyn> dyns;
  std::string strtab;

  void Build() {
    strtab = std::string(1, '\0');
    auto add = [&](const std::string& s) {
      uint64_t offset = strtab.size();
      strtab += s + '\0';
      return offset;
    };
    dyns.clear();
    for (const std::string& n : needed) dyns.push_back({DT_NEEDED, {add(n)}});
    if (!runpath.empty()) dyns.push_back({DT_RUNPATH, {add(runpath)}});
    if (!soname.empty()) dyns.push_back({DT_SONAME, {add(soname)}});
    phdrs.clear();
    size_t count = 1 + !interpreter.empty() + dynamic;
    uint64_t offset = sizeof(Elf64_Ehdr) + count * sizeof(Elf64_Phdr);
    uint64_t interp_off = offset;
    offset += interpreter.size() + 1;
    uint64_t dyn_off = offset;
    uint64_t dyn_size = (dyns.size() + 3) * sizeof(Elf64_Dyn);  // + STRTAB, STRSZ, NULL
    offset += dyn_size;
    uint64_t str_off = offset;
    dyns.push_back({DT_STRTAB, {kBase + str_off}});
    dyns.push_back({DT_STRSZ, {strtab.size()}});
    dyns.push_back({DT_NULL, {0}});
    uint64_t total = str_off + strtab.size();
    phdrs.push_back(Phdr(PT_LOAD, 0, total));
    if (!interpreter.empty()) phdrs.push_back(Phdr(PT_INTERP, interp_off, interpreter.size() + 1));
    if (dynamic) phdrs.push_back(Phdr(PT_DYNAMIC, dyn_off, dyn_size));
    ehdr = {};
    std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
    ehdr.e_ident[EI_CLASS] = ELFCLASS64;
    ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
    ehdr.e_ident[EI_VERSION] = EV_CURRENT;
    ehdr.e_type = ET_DYN;
    ehdr.e_machine = EM_X86_64;
    ehdr.e_version = EV_CURRENT;
    ehdr.e_phoff = sizeof(Elf64_Ehdr);
    ehdr.e_ehsize = sizeof(Elf64_Ehdr);
    ehdr.e_phentsize = sizeof(Elf64_Phdr);
    ehdr.e_phnum = static_cast<uint16_t>(phdrs.size());
    interp_off_ = interp_off;
    dyn_off_ = dyn_off;
    str_off_ = str_off;
  }

  std::string Render() const {
    std::string out(reinterpret_cast<const char*>(&ehdr), sizeof ehdr);
    for (const Elf64_Phdr& p : phdrs) out.append(reinterpret_cast<const char*>(&p), sizeof p);
    out.resize(interp_off_);
    if (!interpreter.empty()) out += interpreter + '\0';
    out.resize(dyn_off_);
    if (dynamic) {
      for (const Elf64_Dyn& d : dyns) out.append(reinterpret_cast<const char*>(&d), sizeof d);
    }
    out.resize(str_off_);
    return out + strtab;
  }

  Elf64_Dyn* FindDyn(int64_t tag) {
    for (Elf64_Dyn& d : dyns) {
      if (d.d_tag == tag) return &d;
    }
    return nullptr;
  }

 private:
  static Elf64_Phdr Phdr(uint32_t type, uint64_t offset, uint64_t size) {
    Elf64_Phdr p{};
    p.p_type = type;
    p.p_offset = offset;
    p.p_vaddr = kBase + offset;
    p.p_filesz = size;
    p.p_memsz = size;
    return p;
  }

  uint64_t interp_off_ = 0, dyn_off_ = 0, str_off_ = 0;
};

// Render() of an image built from these fields.
inline std::string MakeElf(std::string interpreter, std::vector<std::string> needed,
                           std::string runpath = "") {
  ElfTestImage image;
  image.interpreter = std::move(interpreter);
  image.needed = std::move(needed);
  image.runpath = std::move(runpath);
  image.Build();
  return image.Render();
}

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_APPLIANCE_ELF_TEST_IMAGE_H_
