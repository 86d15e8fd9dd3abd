// FileRecord <-> one JSON object of a run report (see run_report.h for the format), and the
// encodings it needs. Used by run_report*.cc; public so that `--json` output can print the
// same objects.
//
// Paths and link targets are raw bytes. JSON strings hold Unicode, so a value that is valid
// UTF-8 is written as a string ("path", "target") and any other as standard base64 with
// padding ("path_b64", "target_b64") -- lossless, and never confused with text the way
// "\u00XX" escapes would be (those name code points, not bytes).
// Thread-compatible: pure functions.
#ifndef DISKFERRY_SINKS_FILE_RECORD_JSON_H_
#define DISKFERRY_SINKS_FILE_RECORD_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/printable_text.h"  // IsValidUtf8
#include "protocol/status.h"
#include "sinks/file_record.h"
#include "sinks/run_report.h"

namespace diskferry {

// Objects keep their keys in insertion order, so "record" comes first on every line.
using Json = nlohmann::ordered_json;

std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

// {"record":"file","job":JOB,"path":...,"type":...,"size":...,"mode":"100644","uid":...,
//  "gid":...,"mtime_ns":...,["target":...,]["hashes":{...},]"status":...}
Json FileRecordToJson(const std::string& job, const FileRecord& record);
// The inverse; kInvalidArgument naming the first field that is missing or of the wrong type.
Result<FileRecord> FileRecordFromJson(const Json& object);

// [{"device":D,"type":T,"mount_point":M,"replayed":B},...]: a job's mounted filesystems,
// for its "job" record and its "job_mounted" event.
Json JobFilesystemsToJson(const std::vector<JobFilesystem>& filesystems);

// One line of JSON (no newline). Text that is not valid UTF-8 in other fields (messages,
// job names) is written with U+FFFD in place of the bad bytes.
std::string DumpLine(const Json& object);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_FILE_RECORD_JSON_H_
