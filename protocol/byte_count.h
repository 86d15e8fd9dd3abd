// Byte counts as people read them: "0 B", "1023 B", "1.0 KiB", "56.7 MiB" (binary units,
// one decimal). Shared by the live display (cli/run_events_text.h), the CLI's
// summaries and `plan --shards` (jobs/shards.h). Pure; thread-safe.
#ifndef DISKFERRY_PROTOCOL_BYTE_COUNT_H_
#define DISKFERRY_PROTOCOL_BYTE_COUNT_H_

#include <cstdint>
#include <string>

namespace diskferry {

std::string FormatBytes(uint64_t bytes);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_BYTE_COUNT_H_
