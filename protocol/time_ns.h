// Times on the wire are signed nanoseconds since the epoch (RecordMeta, FileStat); the
// system calls on either end take and give timespecs. The conversions both ends use.
//
// Pure functions: thread-safe.
#ifndef DISKFERRY_PROTOCOL_TIME_NS_H_
#define DISKFERRY_PROTOCOL_TIME_NS_H_

#include <cstdint>
#include <ctime>

namespace diskferry {

// Nanoseconds since the epoch, saturated at INT64_MIN or INT64_MAX: a hostile image may
// hold any timestamp, and signed overflow would be undefined.
int64_t TimespecToNs(const timespec& ts);

// The inverse, for utimensat and futimens: floor division, so tv_nsec is always in
// [0, 1e9) and times before the epoch work (-1 ns is {-1, 999999999}).
timespec NsToTimespec(int64_t ns);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_TIME_NS_H_
