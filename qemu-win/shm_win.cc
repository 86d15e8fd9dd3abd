// The Windows half of appliance/shm_region.h: a named section backed by the paging file.
#include <windows.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <utility>

#include "appliance/shm_region.h"
#include "protocol/shm_layout.h"
#include "qemu-win/spawn_win.h"

namespace diskferry {
namespace {

static_assert(sizeof(SIZE_T) == sizeof(uint64_t), "a view of any valid size must fit SIZE_T");

std::atomic<uint64_t> g_counter{0};

// "Local\" puts the name in this logon session's namespace: no privilege is needed to
// create it (unlike "Global\"), and other sessions cannot see it.
std::string NewSectionName() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  return "Local\\diskferry-" + std::to_string(::GetCurrentProcessId()) + "-" +
         std::to_string(g_counter.fetch_add(1)) + "-" + suffix;
}

// A section commits its whole size against the system commit limit at creation
// (SEC_COMMIT), so running short of RAM plus paging file shows up here, not as an
// access violation when a page is first touched.
Status CreateFailedStatus(DWORD error, uint64_t size, const std::string& name) {
  if (error == ERROR_COMMITMENT_LIMIT || error == ERROR_NOT_ENOUGH_MEMORY ||
      error == ERROR_OUTOFMEMORY || error == ERROR_DISK_FULL) {
    return Status(Code::kUnavailable,
                  "create " + name + ": the system cannot commit " + std::to_string(size >> 20) +
                      " MiB of shared memory (close programs, enlarge the paging file or "
                      "lower the shm size)");
  }
  return internal::WinErrorStatus(error, "create " + name);
}

}  // namespace

size_t RemoveStaleShmFiles(std::chrono::seconds /*min_age*/) { return 0; }

Result<ShmRegion> ShmRegion::Create(uint64_t size) {
  if (!IsValidShmSize(size)) {
    return Status(Code::kInvalidArgument, "shared-memory size " + std::to_string(size) +
                                              " is not a power of two of at least " +
                                              std::to_string(2 * kShmHeaderSize) + " bytes");
  }
  std::string name = NewSectionName();
  const std::wstring wide_name(name.begin(), name.end());  // the name is ASCII
  // Not inheritable (null attributes): a child gets the section only if we hand it over.
  HANDLE section = ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE | SEC_COMMIT,
                                        static_cast<DWORD>(size >> 32),
                                        static_cast<DWORD>(size & 0xffffffffu), wide_name.c_str());
  if (section == nullptr) return CreateFailedStatus(::GetLastError(), size, name);
  if (::GetLastError() == ERROR_ALREADY_EXISTS) {
    // Someone else made it (pid, counter and 64 random bits make an accident implausible);
    // its size and contents are theirs to choose, so we do not use it.
    ::CloseHandle(section);
    return Status(Code::kIoError, "create " + name + ": a section of that name already exists");
  }
  // From here on the object owns the handle: an early return closes it.
  ShmRegion region(nullptr, size, reinterpret_cast<intptr_t>(section), std::move(name));
  void* p =
      ::MapViewOfFile(section, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, static_cast<SIZE_T>(size));
  if (p == nullptr) return internal::WinErrorStatus(::GetLastError(), "map " + region.path_);
  region.data_ = static_cast<uint8_t*>(p);
  return region;
}

ShmRegion::ShmRegion(uint8_t* data, uint64_t size, intptr_t handle, std::string path)
    : data_(data), size_(size), handle_(handle), path_(std::move(path)), linked_(true) {}

// The section's name lives exactly as long as its handles, so there is nothing to unlink
// and nothing to register for a signal handler (cleanup_slot_ stays -1).
void ShmRegion::Unlink() { linked_ = false; }

void ShmRegion::Close() {
  if (data_ != nullptr) ::UnmapViewOfFile(data_);
  if (handle_ != kNoHandle) ::CloseHandle(reinterpret_cast<HANDLE>(handle_));
  Unlink();
  data_ = nullptr;
  size_ = 0;
  handle_ = kNoHandle;
  path_.clear();
}

}  // namespace diskferry
