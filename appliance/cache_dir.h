// Where diskferry keeps what it builds and learns on this host (appliance images,
// templates, hypervisor verdicts, host costs): the user's cache directory.
//
// The rules are pure functions of the environment's values, in cache_dir.cc, so both hosts'
// rules are tested anywhere; DefaultCacheDir() reads those values through the platform half
// (cache_dir_posix.cc; qemu-win/cache_dir_win.cc). The lowest appliance library
// (df_appliance_cache), used by the builder and the launcher alike.
//
// Thread-safe as long as no thread changes the environment meanwhile.
#ifndef DISKFERRY_APPLIANCE_CACHE_DIR_H_
#define DISKFERRY_APPLIANCE_CACHE_DIR_H_

#include <string>
#include <string_view>

namespace diskferry {

// Linux: $XDG_CACHE_HOME/diskferry when XDG_CACHE_HOME is an absolute path (the XDG
// specification says to ignore a relative one), else $HOME/.cache/diskferry (HOME from the
// password database when unset or empty, "/tmp" when that has none either).
// Windows: %LOCALAPPDATA%\diskferry, else "diskferry-cache" in the current directory.
std::string DefaultCacheDir();

// The Linux rule, given XDG_CACHE_HOME ("" when unset) and the home directory.
std::string PosixCacheDir(std::string_view xdg_cache_home, std::string_view home);

// The Windows rule, given LOCALAPPDATA ("" when unset).
std::string WindowsCacheDir(std::string_view local_app_data);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CACHE_DIR_H_
