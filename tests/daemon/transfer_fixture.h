// TransferTest: the host's side of the lanes over the socketpair fixture, parameterized by
// lane (false: socket lane, true: shared memory, a 4 MiB temp file mapped as the daemon's
// region). Extraction results are decoded with RecordReader, or applied on the host with
// LaneUnpacker + GuestTreeWriter; injection packs a host directory with GuestTreeReader +
// LanePacker, as the host (sinks/, appliance/transfer) does.
#ifndef DISKFERRY_TESTS_DAEMON_TRANSFER_FIXTURE_H_
#define DISKFERRY_TESTS_DAEMON_TRANSFER_FIXTURE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/guest_tree_writer.h"
#include "daemon/shm.h"
#include "daemon/transfers.h"
#include "protocol/glob.h"
#include "protocol/lane_memory.h"
#include "protocol/lane_records.h"
#include "protocol/walk_order.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {

inline constexpr uint64_t kTestShmSize = 4 << 20;

struct DecodedRecord {
  RecordMeta meta;
  std::string path;
  std::string target;
  std::string data;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

struct Extracted {
  std::vector<DecodedRecord> records;
  std::map<uint64_t, std::string> streams;     // reassembled, holes as zeros
  std::map<uint64_t, uint64_t> stream_bytes;   // bytes actually sent per file
  int inline_buffers = 0;
  int shm_buffers = 0;
  uint64_t files = 0;  // TransferEnd
  uint64_t bytes = 0;

  const DecodedRecord* Find(const std::string& path) const;
};

struct Injected {
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<FileError> errors;  // from every InjectPut and TransferEnd
};

class TransferTest : public ScratchServeTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool shm() const { return GetParam(); }
  void ConfigureContext(DaemonContext* ctx) override;

  static flatbuffers::DetachedBuffer ExtractStartRequest(const std::vector<std::string>& paths,
                                                         uint64_t threshold, bool xattrs,
                                                         bool use_shm, const WalkRange& range = {},
                                                         const SelectPatterns& select = {});
  static flatbuffers::DetachedBuffer ExtractNextRequest(uint64_t id,
                                                        const std::vector<BufferRef>& release);
  static flatbuffers::DetachedBuffer InjectStartRequest(const std::string& root, bool xattrs,
                                                        bool use_shm, bool owners);
  static flatbuffers::DetachedBuffer TransferEndRequest(uint64_t id);
  // The transfer id of a started transfer; 0 (and a test failure) otherwise.
  uint64_t Started(const flatbuffers::DetachedBuffer& start);

  // Extracts `paths` (the `range` of their walk) through the lane under test, decoding
  // every record.
  Extracted ExtractAll(const std::vector<std::string>& paths, uint64_t threshold = 256 << 10,
                       bool xattrs = true, const WalkRange& range = {},
                       const SelectPatterns& select = {});
  // Extracts `paths` and recreates them under the host directory `dest`; per-file errors.
  std::vector<FileError> ExtractInto(const std::vector<std::string>& paths,
                                     const std::string& dest);
  // Injects the host directory `src` (its children) under `root` in the sysroot.
  Injected Inject(const std::string& src, const std::string& root, bool owners = true);

  // The lanes as the host sees them: the mapped region, or nullptr for the socket lane.
  LaneMemory* host_shm() { return shm_memory_.get(); }

 private:
  std::optional<ShmRegion> region_;
  std::unique_ptr<LaneMemory> shm_memory_;
};

}  // namespace diskferry::daemon::testing

#endif  // DISKFERRY_TESTS_DAEMON_TRANSFER_FIXTURE_H_
