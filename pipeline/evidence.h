// Evidence integrity and case metadata: what the forensic outputs (DFXML, run reports) say
// about the source images and the case. Plain values; thread-compatible.
#ifndef DISKFERRY_PIPELINE_EVIDENCE_H_
#define DISKFERRY_PIPELINE_EVIDENCE_H_

#include <cstdint>
#include <map>
#include <string>

namespace diskferry {

// The digests of one source image file.
struct ImageDigests {
  std::string path;
  uint64_t size;
  std::map<std::string, std::string> hashes;  // "sha256", "md5" -> lowercase hex
};

// `case:` of a manifest.
struct CaseInfo {
  std::string id, examiner, evidence_id, notes;
};

}  // namespace diskferry

#endif  // DISKFERRY_PIPELINE_EVIDENCE_H_
