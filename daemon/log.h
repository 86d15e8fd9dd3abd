// Console logging for the daemon. In the appliance stderr is /dev/console, which the host
// captures as the boot log, so every line carries the "diskferry-daemon: " prefix that the
// launcher greps for.
//
// Thread-safe: each line is formatted first and written with one write(2).
#ifndef DISKFERRY_DAEMON_LOG_H_
#define DISKFERRY_DAEMON_LOG_H_

namespace diskferry::daemon {

// Enables LogDebug output (kernel command line diskferry.debug=1).
void SetDebugLogging(bool enabled);
bool DebugLogging();

// printf-style; a newline is appended.
void LogInfo(const char* format, ...) __attribute__((format(printf, 1, 2)));
void LogWarning(const char* format, ...) __attribute__((format(printf, 1, 2)));
void LogDebug(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_LOG_H_
