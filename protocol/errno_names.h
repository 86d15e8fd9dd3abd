// Symbolic errno names carried in protocol errors ("ENOENT"), so that host and guest
// need not agree on numeric values.
#ifndef DISKFERRY_PROTOCOL_ERRNO_NAMES_H_
#define DISKFERRY_PROTOCOL_ERRNO_NAMES_H_

#include <string_view>

namespace diskferry {

// "ENOENT" for ENOENT; "EIO" for any value not in the table.
std::string_view ErrnoName(int err);
// ENOENT for "ENOENT"; EIO for an unknown name.
int ErrnoFromName(std::string_view name);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_ERRNO_NAMES_H_
