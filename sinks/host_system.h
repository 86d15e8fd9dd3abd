// What the host tools ask of the machine they run on: the platform interface for the job
// runner, the appliance pool and the terminal display. host_system_posix.cc is the Linux
// half, qemu-win/host_system_win.cc the Windows one.
//
// Thread-safe: each call stands alone.
#ifndef DISKFERRY_SINKS_HOST_SYSTEM_H_
#define DISKFERRY_SINKS_HOST_SYSTEM_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace diskferry {

// The machine's name for run reports (gethostname; Windows: the DNS host name, UTF-8);
// "" if it cannot be had.
std::string HostName();

// Anonymous memory this process uses, KiB (Linux: RssAnon of /proc/self/status, which
// leaves out the shared memory the lanes map; Windows: the private commit charge); 0 if
// unknown.
uint64_t AnonymousMemoryKib();

// Memory available for new appliances without swapping, MiB (Linux: MemAvailable of
// /proc/meminfo; Windows: available physical memory); nullopt if unknown.
std::optional<uint64_t> AvailableMemoryMib();
// MemAvailable from the text of /proc/meminfo, in MiB; nullopt when absent or malformed.
// (The Linux half of AvailableMemoryMib; portable, so tests run it on every host.)
std::optional<uint64_t> ParseMemAvailableMib(std::string_view meminfo);

// Kills process `pid` at once (SIGKILL; Windows: TerminateProcess with exit code 137).
// The caller must own the process and not have reaped it, so that the pid cannot name
// another process. Best effort: a process already gone is not an error.
void KillProcessNow(int64_t pid);

// Columns of the terminal `stream` writes to; nullopt if it is not one or cannot say.
std::optional<size_t> TerminalColumns(FILE* stream);

// Makes the terminal `stream` writes to act on ANSI escape sequences (cursor movement,
// erasing): nothing to do on Linux; on Windows, virtual-terminal processing of the console.
// False when it cannot (not a console, or a Windows console older than Windows 10).
bool EnableTerminalEscapes(FILE* stream);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_SYSTEM_H_
