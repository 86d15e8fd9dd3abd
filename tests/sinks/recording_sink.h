// RecordingSink: a TreeSink for decorator tests that logs every call as a line
// ("record d/a", "data 7 0 5", "end 7", "finish") and can be told to fail on a path.
#ifndef DISKFERRY_TESTS_SINKS_RECORDING_SINK_H_
#define DISKFERRY_TESTS_SINKS_RECORDING_SINK_H_

#include <string>
#include <vector>

#include "protocol/tree_io.h"

namespace diskferry::testing {

class RecordingSink : public TreeSink {
 public:
  Status OnRecord(const Record& record) override {
    if (record.path == fail_on) return Status(Code::kIoError, "inner failed");
    calls.push_back("record " + std::string(record.path));
    return Status::Ok();
  }
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override {
    calls.push_back("data " + std::to_string(file_id) + " " + std::to_string(offset) + " " +
                    std::to_string(data.size()));
    return Status::Ok();
  }
  Status OnStreamEnd(uint64_t file_id) override {
    calls.push_back("end " + std::to_string(file_id));
    return Status::Ok();
  }
  Status Finish() override {
    calls.push_back("finish");
    return Status::Ok();
  }

  std::vector<std::string> calls;
  std::string fail_on;
};

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_SINKS_RECORDING_SINK_H_
