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

// Lane records carry errno values as numbers, and the guest is Linux: the wire's numbers
// are Linux's whatever the host (a Windows C library numbers ENOTEMPTY, ELOOP, EILSEQ and
// the rest differently). On Linux both are the identity; elsewhere values outside the
// table become EIO. 0 stays 0.
int ErrnoToWire(int host_err);
int ErrnoFromWire(int wire_err);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_ERRNO_NAMES_H_
