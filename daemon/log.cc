#include "daemon/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace diskferry::daemon {
namespace {

std::atomic<bool> g_debug{false};

void VLog(const char* level, const char* format, va_list args) {
  char line[1024];
  int n = std::snprintf(line, sizeof line, "diskferry-daemon: %s", level);
  if (n < 0) return;
  const int body = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), format, args);
  if (body > 0) n += body;
  // Truncated lines still end with a newline so the console log stays line-oriented.
  if (n > static_cast<int>(sizeof line) - 2) n = static_cast<int>(sizeof line) - 2;
  line[n++] = '\n';
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line, static_cast<size_t>(n));
}

}  // namespace

void SetDebugLogging(bool enabled) { g_debug.store(enabled, std::memory_order_relaxed); }
bool DebugLogging() { return g_debug.load(std::memory_order_relaxed); }

void LogInfo(const char* format, ...) {
  va_list args;
  va_start(args, format);
  VLog("", format, args);
  va_end(args);
}

void LogWarning(const char* format, ...) {
  va_list args;
  va_start(args, format);
  VLog("warning: ", format, args);
  va_end(args);
}

void LogDebug(const char* format, ...) {
  if (!DebugLogging()) return;
  va_list args;
  va_start(args, format);
  VLog("debug: ", format, args);
  va_end(args);
}

}  // namespace diskferry::daemon
