#include "daemon/modules.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "daemon/log.h"

namespace diskferry::daemon {
namespace {

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Calls fn(line_number, trimmed_line) for every line that is neither blank nor a comment.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  int line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    fn(line_number, line);
  }
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    const auto end = line.find_first_of(" \t", start);
    words.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    line = end == std::string_view::npos ? std::string_view() : line.substr(end);
  }
  return words;
}

std::string Where(const char* file, int line_number) {
  return std::string(file) + ":" + std::to_string(line_number) + ": ";
}

// "NAME PATH PATH ..." lines (modules.fs, modules.storage); `what` names NAME in warnings.
std::map<std::string, std::vector<std::string>> ParseNamedLists(std::string_view text,
                                                                const char* file, const char* what,
                                                                std::vector<std::string>* warnings) {
  std::map<std::string, std::vector<std::string>> table;
  ForEachLine(text, [&](int line_number, std::string_view line) {
    const std::vector<std::string_view> words = SplitWords(line);
    const std::string name(words.front());
    if (table.contains(name)) {
      warnings->push_back(Where(file, line_number) + "repeated " + what + " " + name);
      return;
    }
    std::vector<std::string>& paths = table[name];
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i].front() != '/') {
        warnings->push_back(Where(file, line_number) +
                            "not an absolute path: " + std::string(words[i]));
        continue;
      }
      paths.emplace_back(words[i]);
    }
  });
  return table;
}

}  // namespace

std::vector<std::string> ParseBootModules(std::string_view text,
                                          std::vector<std::string>* warnings) {
  std::vector<std::string> paths;
  ForEachLine(text, [&](int line_number, std::string_view line) {
    if (line.front() != '/') {
      warnings->push_back(Where("modules.boot", line_number) +
                          "not an absolute path: " + std::string(line));
      return;
    }
    paths.emplace_back(line);
  });
  return paths;
}

FsModuleTable ParseFsModules(std::string_view text, std::vector<std::string>* warnings) {
  return ParseNamedLists(text, "modules.fs", "fstype", warnings);
}

StorageModuleTable ParseStorageModules(std::string_view text, std::vector<std::string>* warnings) {
  return ParseNamedLists(text, "modules.storage", "group", warnings);
}

OpResult<bool> LoadModule(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, path);
  const long rc = ::syscall(SYS_finit_module, fd, "", 0);
  const int err = errno;
  ::close(fd);
  if (rc == 0 || err == EEXIST) return true;
  // finit_module reports an unresolved symbol as ENOENT, which would otherwise read as a
  // missing file.
  if (err == ENOENT) {
    return OpError{err, path + ": unknown symbol (is a module it depends on missing?)"};
  }
  return ErrnoError(err, path);
}

std::vector<OpError> LoadModulesInAnyOrder(const std::vector<std::string>& paths) {
  std::vector<std::string> pending = paths;
  std::vector<OpError> errors;
  // Each pass retries what failed in the one before, so a list slightly out of dependency
  // order still loads; a pass that loads nothing new ends it.
  for (;;) {
    std::vector<std::string> failed;
    errors.clear();
    for (const std::string& path : pending) {
      OpResult<bool> loaded = LoadModule(path);
      if (loaded.ok()) {
        LogDebug("loaded %s", path.c_str());
        continue;
      }
      failed.push_back(path);
      errors.push_back(loaded.error());
    }
    if (failed.empty() || failed.size() == pending.size()) return errors;
    pending = std::move(failed);
  }
}

int LoadModules(const std::vector<std::string>& paths) {
  const std::vector<OpError> errors = LoadModulesInAnyOrder(paths);
  for (const OpError& e : errors) LogWarning("module %s", e.message.c_str());
  return static_cast<int>(errors.size());
}

std::vector<std::string> FsModuleLoader::EnsureLoaded(const std::string& fstype) {
  std::vector<std::string> problems;
  if (!attempted_.insert(fstype).second) return problems;
  const auto it = table_.find(fstype);
  if (it == table_.end()) return problems;
  for (const OpError& e : LoadModulesInAnyOrder(it->second)) problems.push_back(e.message);
  return problems;
}

std::vector<std::string> StorageModuleLoader::EnsureLoaded(const std::string& group) {
  const auto it = table_.find(group);
  if (it == table_.end()) {
    return {"storage group " + group +
            " is not in this appliance (its kernel lacks a module it needs)"};
  }
  const auto [done, first] = attempted_.try_emplace(group);
  if (first) {
    for (const OpError& e : load_(it->second)) {
      if (e.err != ENODEV) done->second.push_back(e.message);
    }
  }
  return done->second;
}

}  // namespace diskferry::daemon
