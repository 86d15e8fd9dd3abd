#include "qemu-win/spawn_win.h"

#include <climits>
#include <cwctype>
#include <memory>

#include "appliance/child_registry.h"

namespace diskferry::internal {
namespace {

// CreateProcessW's limit for lpCommandLine, terminating NUL included.
constexpr size_t kMaxCommandLine = 32767;
// A killed suspended child exits at once; this bounds a wedged one before we let it go.
constexpr DWORD kTerminateWaitMs = 10000;

// Characters after which the MSVCRT argument parser would split or unquote: any argument
// holding one (or an empty one) is quoted.
constexpr std::wstring_view kNeedsQuoting = L" \t\n\v\"";

// Appends one argument so that the MSVCRT parser yields it unchanged. Backslashes are
// literal unless a '"' follows them: then each one is doubled and the quote escaped. The
// closing quote we add counts too, so trailing backslashes are doubled.
void AppendQuoted(std::wstring_view arg, std::wstring* line) {
  if (!arg.empty() && arg.find_first_of(kNeedsQuoting) == std::wstring_view::npos) {
    line->append(arg);
    return;
  }
  line->push_back(L'"');
  size_t backslashes = 0;
  for (const wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    line->append(c == L'"' ? 2 * backslashes + 1 : backslashes, L'\\');
    line->push_back(c);
    backslashes = 0;
  }
  line->append(2 * backslashes, L'\\');
  line->push_back(L'"');
}

bool HasDirectory(std::string_view name) {
  return name.find_first_of("/\\:") != std::string_view::npos;
}

bool HasExtension(std::wstring_view name) {
  const size_t base = name.find_last_of(L"/\\:");
  const size_t dot = name.rfind(L'.');
  return dot != std::wstring_view::npos && (base == std::wstring_view::npos || dot > base);
}

bool IsRegularFile(const std::wstring& path) {
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

std::wstring GetPathVariable() {
  const DWORD size = ::GetEnvironmentVariableW(L"PATH", nullptr, 0);
  if (size == 0) return {};
  std::wstring value(size, L'\0');
  const DWORD n = ::GetEnvironmentVariableW(L"PATH", value.data(), size);
  value.resize(n < size ? n : 0);
  return value;
}

// PATH entries may be quoted (a directory holding ';'); empty entries mean nothing.
std::wstring UnquotePathEntry(std::wstring_view entry) {
  std::wstring dir;
  for (const wchar_t c : entry) {
    if (c != L'"') dir.push_back(c);
  }
  return dir;
}

struct AttributeListDeleter {
  void operator()(LPPROC_THREAD_ATTRIBUTE_LIST list) const {
    ::DeleteProcThreadAttributeList(list);
  }
};

// Ends a child that never ran a line of its own code (it is still suspended).
void Abandon(const PROCESS_INFORMATION& pi) {
  ::TerminateProcess(pi.hProcess, kKilledExitCode);
  ::WaitForSingleObject(pi.hProcess, kTerminateWaitMs);
  ::CloseHandle(pi.hThread);
  ::CloseHandle(pi.hProcess);
}

}  // namespace

Result<std::wstring> BuildCommandLine(const std::vector<std::string>& argv) {
  if (argv.empty()) return Status(Code::kInvalidArgument, "spawn: empty argv");
  if (argv[0].find('"') != std::string::npos) {
    return Status(Code::kInvalidArgument, argv[0] + ": a program name cannot contain '\"'");
  }
  std::wstring line;
  for (size_t i = 0; i < argv.size(); ++i) {
    Result<std::wstring> arg = Utf8ToWide(argv[i], "argument " + std::to_string(i));
    if (!arg.ok()) return arg.status();
    if (i == 0) {
      line = L"\"" + *arg + L"\"";
    } else {
      line.push_back(L' ');
      AppendQuoted(*arg, &line);
    }
  }
  if (line.size() >= kMaxCommandLine) {
    return Status(Code::kInvalidArgument, argv[0] + ": command line of " +
                                              std::to_string(line.size()) +
                                              " characters is too long for Windows");
  }
  return line;
}

Result<std::wstring> ResolveProgram(const std::string& name) {
  Result<std::wstring> wide = Utf8ToWide(name, "program name");
  if (!wide.ok()) return wide.status();
  if (wide->empty()) return Status(Code::kNotFound, "empty program name");
  if (!HasExtension(*wide)) *wide += L".exe";
  if (HasDirectory(name)) {
    if (IsRegularFile(*wide)) return *wide;
    return Status(Code::kNotFound, name + ": no such executable file");
  }
  const std::wstring path = GetPathVariable();
  std::wstring_view dirs = path;
  while (!dirs.empty()) {
    const size_t semicolon = dirs.find(L';');
    std::wstring dir = UnquotePathEntry(dirs.substr(0, semicolon));
    dirs = semicolon == std::wstring_view::npos ? std::wstring_view() : dirs.substr(semicolon + 1);
    if (dir.empty()) continue;
    if (dir.back() != L'\\' && dir.back() != L'/') dir.push_back(L'\\');
    std::wstring candidate = dir + *wide;
    if (IsRegularFile(candidate)) return candidate;
  }
  return Status(Code::kNotFound, name + ": not found in PATH");
}

Result<CreatedChild> CreateChild(const std::wstring& program, std::wstring command_line,
                                 HANDLE std_in, HANDLE std_out) {
  const std::string name = WideToUtf8(program);
  HANDLE job = ChildJob();
  if (job == nullptr) return WinErrorStatus(::GetLastError(), "job object for " + name);

  // The inherited handles: exactly the child's stdio. A handle listed twice is an error.
  HANDLE inherit[2] = {std_in, std_out};
  const size_t inherit_count = std_in == std_out ? 1 : 2;
  SIZE_T size = 0;
  ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  auto storage = std::make_unique<char[]>(size);
  auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.get());
  if (!::InitializeProcThreadAttributeList(attributes, 1, 0, &size)) {
    return WinErrorStatus(::GetLastError(), "attribute list for " + name);
  }
  std::unique_ptr<_PROC_THREAD_ATTRIBUTE_LIST, AttributeListDeleter> attributes_owner(attributes);
  if (!::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
                                   inherit_count * sizeof(HANDLE), nullptr, nullptr)) {
    return WinErrorStatus(::GetLastError(), "handle list for " + name);
  }
  STARTUPINFOEXW startup = {};
  startup.StartupInfo.cb = sizeof startup;
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = std_in;
  startup.StartupInfo.hStdOutput = std_out;
  startup.StartupInfo.hStdError = std_out;
  startup.lpAttributeList = attributes;

  // Suspended until it is in the job: a child that ran first could start a grandchild
  // outside it. Its own process group and no console: Ctrl-C is diskferry's to handle.
  const DWORD flags = CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW |
                      EXTENDED_STARTUPINFO_PRESENT;
  PROCESS_INFORMATION pi = {};
  if (!::CreateProcessW(program.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                        nullptr, nullptr, &startup.StartupInfo, &pi)) {
    return WinErrorStatus(::GetLastError(), "CreateProcess " + name);
  }
  if (!::AssignProcessToJobObject(job, pi.hProcess)) {
    const DWORD error = ::GetLastError();
    Abandon(pi);
    return WinErrorStatus(error, "job object for " + name);
  }
  RegisterChild(static_cast<int>(pi.dwProcessId));
  if (::ResumeThread(pi.hThread) == static_cast<DWORD>(-1)) {
    const DWORD error = ::GetLastError();
    UnregisterChild(static_cast<int>(pi.dwProcessId));
    Abandon(pi);
    return WinErrorStatus(error, "start " + name);
  }
  ::CloseHandle(pi.hThread);
  return CreatedChild{pi.hProcess, pi.dwProcessId};
}

}  // namespace diskferry::internal
