// Helpers for tests that read manifest cases and examples from disk.
#ifndef DISKFERRY_TESTS_JOBS_CASE_FILES_H_
#define DISKFERRY_TESTS_JOBS_CASE_FILES_H_

#include <string>
#include <vector>

#include "jobs/vars.h"

namespace diskferry {

// The whole file, or "" (with a gtest failure) when it cannot be read.
std::string ReadTextFile(const std::string& path);
bool WriteTextFile(const std::string& path, const std::string& text);

// Names (not paths) of the files in `dir` ending in `suffix`, sorted.
std::vector<std::string> FilesEndingIn(const std::string& dir, const std::string& suffix);

// NAME=VALUE lines of a `.vars` file (blank lines and '#' comments skipped); none if the
// file does not exist.
std::vector<VarOverride> ReadOverrides(const std::string& path);

// The clock every case runs with: 2026-11-23 02:30:00.
LocalTime CaseClock();

// DF_UPDATE_CASES=1 in the environment: rewrite expected files instead of comparing.
bool UpdatingCases();

}  // namespace diskferry

#endif  // DISKFERRY_TESTS_JOBS_CASE_FILES_H_
