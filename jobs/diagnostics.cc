#include "jobs/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace diskferry {

std::string SourceMark::ToString() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string Diagnostic::ToString() const {
  return SourceMark{file, line, col}.ToString() + ": " + message;
}

void Diagnostics::Add(const SourceMark& where, std::string message) {
  items_.push_back(Diagnostic{where.file, where.line, where.col, std::move(message)});
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.col) < std::tie(b.file, b.line, b.col);
  });
  std::vector<Diagnostic> unique;
  for (Diagnostic& d : sorted) {
    const bool repeated = std::any_of(unique.begin(), unique.end(), [&](const Diagnostic& u) {
      return u.file == d.file && u.line == d.line && u.col == d.col && u.message == d.message;
    });
    if (!repeated) unique.push_back(std::move(d));
  }
  return unique;
}

std::string Diagnostics::ToString() const {
  std::string out;
  for (const Diagnostic& d : Sorted()) out += d.ToString() + "\n";
  return out;
}

}  // namespace diskferry
