// ElfDynamic: what the dynamic loader needs to start a host program, read from its ELF
// file: the interpreter (PT_INTERP) and the libraries it names (DT_NEEDED), so that the
// builder can copy a tool with its shared-library closure into the appliance.
//
// Only what the appliance runs is accepted: 64-bit little-endian x86-64 executables and
// shared objects. The file is untrusted input (any host file may be named): every offset,
// size and count is checked against the bytes given, with overflow-safe arithmetic, before
// it is used. Pure; thread-safe.
#ifndef DISKFERRY_APPLIANCE_ELF_DYNAMIC_H_
#define DISKFERRY_APPLIANCE_ELF_DYNAMIC_H_

#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

struct ElfDynamic {
  std::string interpreter;           // PT_INTERP: "/lib64/ld-linux-x86-64.so.2"; "" if none
  std::vector<std::string> needed;   // DT_NEEDED names in file order: "libc.so.6"
  std::vector<std::string> runpath;  // DT_RUNPATH (else DT_RPATH), split at ':'
  std::string soname;                // DT_SONAME; "" if none
};

// Parses the whole file image. A static executable gives an empty ElfDynamic.
// Errors: kInvalidArgument saying what is wrong ("not an ELF file", "not x86-64",
// "program header 3 runs past the end of the file", "DT_STRTAB outside every PT_LOAD").
Result<ElfDynamic> ParseElfDynamic(std::string_view image);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_ELF_DYNAMIC_H_
