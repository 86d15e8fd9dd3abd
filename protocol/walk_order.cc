#include "protocol/walk_order.h"

#include <algorithm>

namespace diskferry {
namespace {

// A name never holds '/' or NUL, so ranking '/' below every other byte makes a plain
// bytewise comparison compare component by component: at the first difference, the path
// whose component ends there (at '/') is the one whose component is a prefix of the
// other's, hence the smaller; a path that ends first is an ancestor or has the shorter
// last component, and is smaller too.
unsigned Rank(char c) {
  return c == '/' ? 0u : static_cast<unsigned>(static_cast<unsigned char>(c)) + 1u;
}

}  // namespace

int CompareWalkOrder(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (a[i] == b[i]) continue;
    return Rank(a[i]) < Rank(b[i]) ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool IsAncestorOrSelf(std::string_view ancestor, std::string_view path) {
  if (ancestor.empty()) return true;
  if (path.size() < ancestor.size() || path.substr(0, ancestor.size()) != ancestor) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '/';
}

bool InWalkRange(const WalkRange& range, std::string_view path) {
  if (!range.after.empty() && CompareWalkOrder(path, range.after) <= 0) return false;
  return range.until.empty() || CompareWalkOrder(path, range.until) <= 0;
}

}  // namespace diskferry
