// TempDir: a private scratch directory for one appliance (control socket, QEMU's output,
// the console log). Linux (temp_dir_posix.cc): created with mkdtemp() under $TMPDIR (or
// /tmp), mode 0700. Windows (qemu-win/temp_dir_win.cc): <prefix><16 random hex digits>
// created with CreateDirectoryW under GetTempPathW() (%TMP%, %TEMP% or the user's profile),
// a new name on collision; it inherits the per-user ACL of that directory. Paths are UTF-8.
//
// Move-only; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_TEMP_DIR_H_
#define DISKFERRY_APPLIANCE_TEMP_DIR_H_

#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry {

class TempDir {
 public:
  // $TMPDIR/<prefix>XXXXXX (Windows: %TEMP%\<prefix><random>). Errors: kIoError naming
  // the directory.
  static Result<TempDir> Create(std::string_view prefix);

  TempDir() = default;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;  // removes the directory it owned
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { Remove(); }

  // Removes the directory and everything in it. Idempotent.
  void Remove();
  // Removes everything in the directory except `keep` (a file name inside it), and keeps
  // the directory itself: for leaving one log behind after a failure.
  void RemoveAllBut(std::string_view keep);

  const std::string& path() const { return path_; }
  // path() + "/" + name (Windows: path() + "\\" + name)
  std::string File(std::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;  // empty: owns nothing
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_TEMP_DIR_H_
