// UniqueFd: owns one file descriptor (a CRT descriptor on Windows, see host_file.h) and
// closes it exactly once.
// Thread-compatible.
#ifndef DISKFERRY_SINKS_UNIQUE_FD_H_
#define DISKFERRY_SINKS_UNIQUE_FD_H_

namespace diskferry {

// close(2) (Windows: _close), ignoring its error; host_file.h's CloseFile reports it.
// Defined by the halves of host_file.h.
void CloseHostFd(int fd);

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  // Self-move is harmless: release() empties this before reset() closes anything.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership; the caller closes the result.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (if any) and takes `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0 && fd_ != fd) CloseHostFd(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_UNIQUE_FD_H_
