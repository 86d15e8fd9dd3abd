#include "tests/jobs/case_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(FsPath(path), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(FsPath(path), std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::vector<std::string> FilesEndingIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(FsPath(dir))) {
    const std::string name = Utf8Path(entry.path().filename());
    if (entry.is_regular_file() && name.ends_with(suffix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<VarOverride> ReadOverrides(const std::string& path) {
  std::vector<VarOverride> overrides;
  if (!std::filesystem::exists(FsPath(path))) return overrides;
  std::istringstream lines(ReadTextFile(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    Result<VarOverride> o = ParseVarOverride(line);
    EXPECT_TRUE(o.ok()) << path << ": " << o.status().message();
    if (o.ok()) overrides.push_back(*o);
  }
  return overrides;
}

LocalTime CaseClock() { return LocalTime{2026, 11, 23, 2, 30, 0}; }

bool UpdatingCases() {
  const char* update = std::getenv("DF_UPDATE_CASES");
  return update != nullptr && std::string(update) == "1";
}

}  // namespace diskferry
