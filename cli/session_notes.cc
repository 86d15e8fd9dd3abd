#include "cli/session_notes.h"

#include "protocol/printable_text.h"

namespace diskferry {

std::vector<std::string> SessionNotes(const std::string& image,
                                      const std::vector<std::string>& warnings,
                                      const std::vector<MountedFilesystem>& mounted,
                                      const OsTreeInfo* os) {
  const std::string name = PrintableText(image);
  std::vector<std::string> lines;
  for (const std::string& w : warnings) lines.push_back(PrintableText(w));
  if (os != nullptr) {
    std::string tree;
    for (const MountedFilesystem& m : mounted) {
      tree += (tree.empty() ? "" : ", ") + PrintableText(m.mount_point) + " " +
              PrintableText(m.device);
    }
    const std::string os_name = os->os_name.empty() ? "unnamed OS" : PrintableText(os->os_name);
    lines.push_back(name + ": " + os_name + ": " + tree);
    for (const OsSkippedEntry& s : os->skipped) {
      lines.push_back(name + ": fstab line " + std::to_string(s.line) + ": " +
                      PrintableText(s.spec) + " on " + PrintableText(s.mount_point) +
                      " skipped: " + PrintableText(s.reason));
    }
    for (const std::string& w : os->warnings) lines.push_back(name + ": " + PrintableText(w));
  }
  for (const MountedFilesystem& m : mounted) {
    if (!m.replayed) continue;
    lines.push_back(name + ": " + PrintableText(m.device) + " (" + PrintableText(m.fstype) +
                    "): journal replayed into a throw-away overlay; " + name + " is unchanged");
  }
  return lines;
}

}  // namespace diskferry
