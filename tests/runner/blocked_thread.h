// Whether a thread of this process is asleep waiting on a given object, read from
// /proc/self/task/TID/syscall (Linux only): the test's way to know that another thread has
// reached a condition-variable wait, without sleeping and hoping it has.
//
// glibc's mutexes and condition variables sleep in futex(2) on a word inside the object;
// the syscall file then reads "202 0xADDR ...". A thread that is running, or blocked in
// another call, does not match. Callable from any thread; `tid` must belong to this process.
#ifndef DISKFERRY_TESTS_RUNNER_BLOCKED_THREAD_H_
#define DISKFERRY_TESTS_RUNNER_BLOCKED_THREAD_H_

#include <sys/syscall.h>
#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace diskferry::testing {

// True when thread `tid` sleeps in futex(2) on an address in [object, object + size).
inline bool SleepsOnFutexWithin(pid_t tid, const void* object, size_t size) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long number = -1;
  std::string address;
  if (!(in >> number >> address) || number != SYS_futex) return false;
  const uintptr_t word = std::stoull(address, nullptr, 16);
  const auto begin = reinterpret_cast<uintptr_t>(object);
  return word >= begin && word < begin + size;
}

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_RUNNER_BLOCKED_THREAD_H_
