// Helpers for the run events tests: a FILE* whose text can be read back while another
// thread still writes it, and JSON Lines parsing.
#ifndef DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_
#define DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runner/run_events.h"
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

// Waits until `done` holds, with no time claim: a condition that never comes hangs the
// test until ctest's timeout fails it.
inline void WaitFor(const std::function<bool()>& done) {
  while (!done()) std::this_thread::yield();
}

// Time counted in ticks rather than milliseconds: returns after `n` ticks of a JSON
// RunEvents ticker of `interval`, each seen as a progress event for a change made just
// before it. A look for something that must not happen (output from a ticker or renderer
// that was stopped) lasts as many ticks as it would have made, however loaded the machine.
inline void WaitTicks(std::chrono::milliseconds interval, int n) {
  CapturedFile out, log;
  std::unique_ptr<RunEvents> witness =
      MakeJsonEvents(out.get(), log.get(), {.progress_interval = interval});
  JobMeter* meter = witness->JobStarted("witness", "list");
  const auto progress = [&] {
    const std::string text = out.Text();
    size_t count = 0;
    for (size_t at = 0; (at = text.find("\"event\":\"progress\"", at)) != std::string::npos; ++at) {
      ++count;
    }
    return count;
  };
  for (int i = 1; i <= n; ++i) {
    meter->AddFile(1);
    WaitFor([&] { return progress() >= static_cast<size_t>(i); });
  }
  witness->RunFinished({});
}

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_CLI_RUN_EVENTS_TEST_UTIL_H_
