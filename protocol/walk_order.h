// The order of a tree walk, shared by the guest (which walks) and the host (which splits a
// walk into ranges and resumes one after the last path it knows is done).
//
// Paths here are the relative entry paths an extraction emits ("bin", "bin/ls", "etc"):
// components separated by single '/', no leading '/', names of raw bytes without NUL. The
// daemon's GuestTreeReader walks depth first, parents before children, siblings sorted by
// name bytes; CompareWalkOrder is that order as a comparison of two paths, so the host can
// cut a walk anywhere without listing it.
//
// Pure functions; thread-safe.
#ifndef DISKFERRY_PROTOCOL_WALK_ORDER_H_
#define DISKFERRY_PROTOCOL_WALK_ORDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace diskferry {

// <0, 0, >0: the order GuestTreeReader emits relative paths in: component by component,
// each component compared bytewise (unsigned), a path before everything beneath it.
// ("a" < "a/b" < "a.b" although "a.b" < "a/b" as plain strings.)
int CompareWalkOrder(std::string_view a, std::string_view b);

// "" is an ancestor of everything; "a" of "a/b"; a path is its own ancestor-or-self.
// "a" is not an ancestor of "ab".
bool IsAncestorOrSelf(std::string_view ancestor, std::string_view path);

// A range of a walk: entries e with after < e <= until in walk order. Empty `after`
// means from the start, empty `until` means to the end. When both are set and
// until <= after, the range is empty.
struct WalkRange {
  std::string after;
  std::string until;

  bool unbounded() const { return after.empty() && until.empty(); }
};

bool InWalkRange(const WalkRange& range, std::string_view path);

// Survey checkpoints (the Survey op, docs/protocol.md): the daemon keeps at most this many
// in a reply, and at most this many bytes of checkpoint paths, halving them (and doubling
// the weight between two) when either is passed. The host rejects a reply above them.
inline constexpr size_t kMaxSurveyCheckpoints = 4096;
inline constexpr size_t kMaxSurveyCheckpointPathBytes = size_t{4} << 20;

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_WALK_ORDER_H_
