// What a Survey finds (docs/protocol.md, "Survey"): the totals of a metadata-only walk of
// one start path and its checkpoints. The daemon fills it (daemon/survey.h) and encodes it
// as a SurveyReply; the host decodes and checks a reply into it
// (appliance/control_replies.h) and cuts the walk at checkpoint paths into ranges
// (WalkRange{previous.path, this.path}) of about the checkpoint weight.
//
// Plain values; thread-compatible.
#ifndef DISKFERRY_PROTOCOL_SURVEY_H_
#define DISKFERRY_PROTOCOL_SURVEY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace diskferry {

// One checkpoint of a Survey: totals of the walk through `path` inclusive.
struct SurveyCheckpoint {
  std::string path;  // relative entry path, as an extraction of the same start path emits it
  uint64_t weight = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// A Survey of one start path.
struct SurveyResult {
  // Regular files (a repeated hard link included), directories, and everything else
  // (symlinks, devices, fifos, sockets) that could be looked at.
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t others = 0;
  // Regular file sizes, each inode once.
  uint64_t bytes = 0;
  uint64_t weight = 0;
  // Entries that could not be looked at, or directories that could not be listed.
  uint64_t errors = 0;
  // Strictly increasing in walk order, cumulative numbers never decreasing.
  std::vector<SurveyCheckpoint> checkpoints;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_SURVEY_H_
