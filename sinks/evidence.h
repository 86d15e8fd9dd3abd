// Evidence integrity: sha256 and md5 of every file a job's appliance reads (each disk of
// `source:` and each `backing:` file), taken before the job and again after it, and the
// case metadata (`case:`) that reports carry. jobs/README.md, "Evidence and case metadata".
//
// DigestImage reads a file or block device once, front to back, in large sequential reads,
// and drops what it read from the page cache as it goes (host_file.h: OpenImageForReading,
// DropCachedRange), so hashing a large image does not push everything else out of memory.
//
// Threading: DigestImage and CompareEvidence are thread-safe (no shared state). An
// EvidencePass hashes on a thread of its own; its owner calls Wait() (or destroys it) from
// one thread.
#ifndef DISKFERRY_SINKS_EVIDENCE_H_
#define DISKFERRY_SINKS_EVIDENCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

// One image file's digests: "sha256" and "md5" -> lowercase hex.
struct ImageDigests {
  std::string path;  // as the manifest or command line gave it (resolved)
  uint64_t size = 0;
  std::map<std::string, std::string> hashes;
  bool operator==(const ImageDigests&) const = default;
};

// `case:` of a manifest, or copy-out's --case-id, --examiner, --evidence-id, --case-notes:
// the user's text, written to reports as given (JSON-escaped; bytes that are not UTF-8
// become U+FFFD). Empty fields are left out of reports.
struct CaseInfo {
  std::string id;
  std::string examiner;
  std::string evidence_id;
  std::string notes;
  bool empty() const {
    return id.empty() && examiner.empty() && evidence_id.empty() && notes.empty();
  }
  bool operator==(const CaseInfo&) const = default;
};

// One read of DigestImage: 4 MiB, large enough that a sequential read runs at the
// device's speed, small enough to drop from the page cache read by read.
inline constexpr size_t kEvidenceReadSize = 4u << 20;

// sha256 and md5 of the file or block device at `path` in one streamed pass. kNotFound or
// kIoError naming `path`; kCancelled once `cancel` is set (checked between reads);
// kIoError when the file ends before the size it had when opened (it shrank meanwhile).
Result<ImageDigests> DigestImage(const std::string& path, const std::atomic<bool>* cancel = nullptr,
                                 size_t read_size = kEvidenceReadSize);

// Hashes `paths` in order on a thread of its own, started by the constructor. `on_each`
// (may be empty) is called on that thread after each file.
class EvidencePass {
 public:
  EvidencePass(std::vector<std::string> paths, const std::atomic<bool>* cancel,
               std::function<void(const ImageDigests&)> on_each);
  EvidencePass(const EvidencePass&) = delete;
  EvidencePass& operator=(const EvidencePass&) = delete;
  ~EvidencePass();  // joins the thread

  // Waits for the pass to end: every file's digests in order, or the first failure (the
  // files after it are not read). Call once.
  Result<std::vector<ImageDigests>> Wait();

 private:
  std::thread thread_;
  std::optional<Result<std::vector<ImageDigests>>> result_;  // written by thread_ only
};

// An image hashed before and after a job. `after` is unset when the job could not hash it
// again (`error` says why).
struct ImageEvidence {
  ImageDigests before;
  std::optional<ImageDigests> after;
  std::string error;  // why there is no `after`, or why there is no `before` either
  bool match() const { return after.has_value() && error.empty() && before == *after; }
};

// "IMAGE changed while the job ran: sha256 before X, after Y" when both passes worked and
// disagree; `error` when one failed; "" when they match.
std::string EvidenceProblem(const ImageEvidence& evidence);

// The name of segment `n` (1-based) of the EWF image whose first segment is
// `first_segment` (FILE.E01 -> FILE.E02 ... FILE.E99, FILE.EAA ... FILE.ZZZ, the letters in
// the first one's case; FILE.Ex01 -> FILE.Ex99; .L01 the same as .E01), or "" when the name
// is not a first segment's or `n` is beyond the scheme.
std::string EwfSegmentName(const std::string& first_segment, unsigned n);

// The paths an appliance reads for these disks, in order: each disk (with the other
// segment files of an E01 that exist, as EwfSegmentName names them), then its backing
// files nearest first. (A backing file shared by two disks is listed once.)
struct EvidenceDisk {
  std::string image;
  std::vector<std::string> backing;
};
std::vector<std::string> EvidencePaths(const std::vector<EvidenceDisk>& disks);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_EVIDENCE_H_
