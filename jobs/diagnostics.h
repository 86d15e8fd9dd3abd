// Manifest problems as `FILE:LINE:COL: message` lines, collected so that every problem in a
// manifest is reported at once (parse and validation both append to one Diagnostics).
//
// Values; thread-compatible.
#ifndef DISKFERRY_JOBS_DIAGNOSTICS_H_
#define DISKFERRY_JOBS_DIAGNOSTICS_H_

#include <string>
#include <vector>

namespace diskferry {

// Where something was written: 1-based line and column. line == 0 means "the file as a
// whole" (for example a --var override that names no declared variable).
struct SourceMark {
  std::string file;
  int line = 0;
  int col = 0;

  // "FILE:LINE:COL", or "FILE" when line == 0.
  std::string ToString() const;
};

struct Diagnostic {
  std::string file;
  int line = 0;
  int col = 0;
  std::string message;

  // "FILE:LINE:COL: message", or "FILE: message" when line == 0.
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Add(const SourceMark& where, std::string message);

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

  // Sorted by file, line, column (file-level ones first), ties in the order they were
  // added; exact duplicates dropped.
  std::vector<Diagnostic> Sorted() const;

  // Sorted() as lines, each ending in '\n'.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_DIAGNOSTICS_H_
