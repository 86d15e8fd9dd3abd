// Helpers for the run events tests: a FILE* whose text can be read back while another
// thread still writes it, and JSON Lines parsing.
#ifndef DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_
#define DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "sinks/file_record_json.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry::testing {

// A file in a scratch directory opened for writing; Text() reads what was flushed.
class CapturedFile {
 public:
  CapturedFile() : path_(dir_ / "out"), file_(std::fopen(path_.c_str(), "w")) {
    EXPECT_NE(file_, nullptr);
  }
  ~CapturedFile() { std::fclose(file_); }
  CapturedFile(const CapturedFile&) = delete;
  CapturedFile& operator=(const CapturedFile&) = delete;

  FILE* get() const { return file_; }
  std::string Text() const { return ReadFile(path_); }

 private:
  ScratchDir dir_;
  std::string path_;
  FILE* file_;
};

inline std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

// Every line parsed as a JSON object; a line that does not parse fails the test.
inline std::vector<Json> ParseJsonLines(const std::string& text) {
  std::vector<Json> events;
  for (const std::string& line : SplitLines(text)) {
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
    events.push_back(std::move(j));
  }
  return events;
}

// Polls `done` every millisecond for up to 5 s; true if it became true.
inline bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_
