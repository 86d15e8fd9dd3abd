// A hostile guest through a whole run: RunManifest over a pool of two appliances, where one
// job's guest misbehaves and the other's is honest. Everything is real (the job runner, the
// pool, ImageSession, ControlClient, transfers, sinks, the run report and events) but the
// appliances: each is an Appliance::OverStream whose control channel is a socketpair to
// the daemon serving a scratch directory in-process (honest), or to a scripted fake guest
// (tests/appliance/fake_guest.h). One test per attack, each asserting what the run ends
// with: the hostile job fails with the protocol error, its partial output is gone, nothing
// lands outside the outputs, the report and events carry the message escaped, and the
// honest job finishes with the right files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/image_session.h"
#include "cli/run_events_display.h"
#include "jobs/validator.h"
#include "protocol/lane_records.h"
#include "runner/job_runner.h"
#include "tests/appliance/fake_guest.h"
#include "tests/cli/run_events_test_util.h"
#include "tests/runner/daemon_sessions.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using flatbuffers::FlatBufferBuilder;
using proto::Lane;
using testing::CapturedFile;
using testing::FakeGuest;
using testing::OpenDaemonSession;
using testing::ReadFile;
using testing::ScratchDir;
using testing::TestSession;
using testing::WriteFile;

constexpr uint64_t kBigSize = 300 << 10;  // above the stream threshold: the stream lane
// How many ReadDir replies a fake answers before giving up on a host that walks on.
constexpr int kPatience = 20000;

// What the hostile guest does with each ExtractNext request (the n-th, 0-based); false
// ends the script. Not replying is allowed: the host then waits.
using ExtractScript = std::function<bool(FakeGuest&, int n, uint64_t id)>;

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A batch of records, as the daemon's packer lays them out.
class Batch {
 public:
  Batch& Directory(const std::string& path) {
    RecordMeta meta;
    meta.type = RecordType::kDirectory;
    meta.mode = 040755;
    return Add(meta, path);
  }
  Batch& StreamFile(const std::string& path, uint64_t file_id, uint64_t size) {
    RecordMeta meta;
    meta.type = RecordType::kStreamFile;
    meta.mode = 0100644;
    meta.file_id = file_id;
    meta.size = size;
    return Add(meta, path);
  }
  // The socket-lane buffer carrying these records (batch lane, index 0, never eof).
  flatbuffers::Offset<proto::LaneBuffer> Buffer(FlatBufferBuilder& fbb) const {
    return proto::CreateLaneBufferDirect(fbb, Lane::Batch, 0, bytes_.size(), records_, 0, 0, false,
                                         &bytes_);
  }

 private:
  Batch& Add(const RecordMeta& meta, const std::string& path) {
    std::vector<uint8_t> one(8192);
    RecordWriter writer(one);
    EXPECT_TRUE(writer.Append(meta, path, "", {}, {}));
    bytes_.insert(bytes_.end(), one.begin(), one.begin() + writer.used());
    ++records_;
    return *this;
  }
  std::vector<uint8_t> bytes_;
  uint32_t records_ = 0;
};

bool ReplyBuffers(
    FakeGuest& g, uint64_t id,
    const std::function<std::vector<flatbuffers::Offset<proto::LaneBuffer>>(FlatBufferBuilder&)>&
        buffers,
    bool done) {
  FlatBufferBuilder fbb;
  const auto list = buffers(fbb);
  return g.Reply(id, proto::Reply::ExtractNext,
                 proto::CreateExtractNextReplyDirect(fbb, &list, done).Union(), fbb);
}

// The first reply of a hostile extraction: a directory and a stream file of kBigSize bytes
// of which only the first half comes, so that the job has partial output to remove.
bool ReplyHalfAFile(FakeGuest& g, uint64_t id) {
  Batch batch;
  batch.Directory("d").StreamFile("d/big", 1, kBigSize);
  const std::string half = Pattern(kBigSize / 2);
  const std::vector<uint8_t> data(half.begin(), half.end());
  return ReplyBuffers(
      g, id,
      [&](FlatBufferBuilder& fbb) {
        return std::vector{batch.Buffer(fbb),
                           proto::CreateLaneBufferDirect(fbb, Lane::Stream, 0, data.size(), 0, 1, 0,
                                                         false, &data)};
      },
      false);
}

bool ReplyLstatDirectory(FakeGuest& g, uint64_t id) {
  FlatBufferBuilder fbb;
  const proto::Stat st(040755, 0, 0, 2, 4096, 1, 0, 8, 0, 0, 0);
  return g.Reply(id, proto::Reply::Lstat, proto::CreateLstatReply(fbb, &st).Union(), fbb);
}

// Every directory holds one more directory, with a name as long as a name may be.
bool ReplyOneDeeperDirectory(FakeGuest& g, uint64_t id) {
  FlatBufferBuilder fbb;
  const proto::Stat st(040755, 0, 0, 2, 4096, 1, 0, 8, 0, 0, 0);
  std::vector<flatbuffers::Offset<proto::DirEntry>> entries{
      proto::CreateDirEntry(fbb, fbb.CreateString(std::string(255, 'd')), &st)};
  return g.Reply(id, proto::Reply::ReadDir,
                 proto::CreateReadDirReplyDirect(fbb, &entries, 1, true).Union(), fbb);
}

// The hostile guest: answers what a job asks on the way (surveys are refused, as an old
// daemon would) and plays `extract` for the transfer; ReadDir always finds one more level.
void ServeHostile(FakeGuest& g, const ExtractScript& extract) {
  int nexts = 0;
  for (int replies = 0; replies < kPatience; ++replies) {
    const proto::Request* r = g.Read();
    if (r == nullptr) return;
    const uint64_t id = r->id();
    bool ok = true;
    switch (r->op_type()) {
      case proto::Op::ExtractStart:
        ok = g.ReplyStart(id);
        break;
      case proto::Op::ExtractNext:
        ok = extract(g, nexts++, id);
        break;
      case proto::Op::TransferEnd:
        ok = g.ReplyTransferEnd(id);
        break;
      case proto::Op::Lstat:
        ok = ReplyLstatDirectory(g, id);
        break;
      case proto::Op::ReadDir:
        ok = ReplyOneDeeperDirectory(g, id);
        break;
      case proto::Op::Shutdown: {
        FlatBufferBuilder fbb;
        g.Reply(id, proto::Reply::Shutdown, proto::CreateShutdownReply(fbb).Union(), fbb);
        return;
      }
      default:
        ok = g.ReplyError(id, "ENOSYS", "not in this guest's script");
    }
    if (!ok) return;
  }
}

class HostileRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "honest-root/etc");
    std::filesystem::create_directories(dir_ / "honest-root/data");
    std::filesystem::create_directories(dir_ / "out");
    WriteFile(dir_ / "honest-root/etc/hostname", "honest\n");
    WriteFile(dir_ / "honest-root/data/big", Pattern(kBigSize));
    WriteFile(dir_ / "honest.img", "");
    WriteFile(dir_ / "hostile.img", "");
  }

  // Runs `jobs` (YAML list items, indented by four) with a pool of two: honest.img is
  // served by the daemon, hostile.img by a fresh fake playing `extract` on each launch.
  RunOutcome Run(const std::string& jobs, ExtractScript extract,
                 std::chrono::milliseconds progress_deadline = 0ms) {
    const std::string manifest = dir_ / "run.yaml";
    const std::string text = "version: 1\njobs:\n" + jobs;
    WriteFile(manifest, text);
    Diagnostics diagnostics;
    Result<ManifestSpec> spec = LoadManifest(manifest, text, ValidateOptions{}, &diagnostics);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    if (!spec.ok()) return {};
    auto events = MakeJsonEvents(events_.get(), log_.get());
    RunOptions options;
    options.report_path = dir_ / "report.jsonl";
    options.appliances = 2;
    options.events = events.get();
    options.seams.open = [this, extract](const ImageSessionConfig& config) {
      return Open(config, extract);
    };
    options.seams.progress_deadline = progress_deadline;
    options.hang_timeout = hang_timeout_;
    Result<RunOutcome> outcome = RunManifest(*spec, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? *outcome : RunOutcome{};
  }

  Result<std::unique_ptr<PooledSession>> Open(const ImageSessionConfig& config,
                                              const ExtractScript& extract) {
    const int64_t pid = ++launches_;
    if (config.image.ends_with("/hostile.img")) {
      ++hostile_launches_;
      auto guest = std::make_shared<FakeGuest>();
      guest->Run([extract](FakeGuest& g) { ServeHostile(g, extract); });
      auto appliance = Appliance::OverStream(guest->TakeClient(), HelloInfo{});
      FakeGuest* raw = guest.get();
      return std::unique_ptr<PooledSession>(new TestSession(
          ImageSession::OverAppliance(std::move(appliance)), [raw] { raw->HangUp(); },
          std::move(guest), pid));
    }
    return OpenDaemonSession(dir_ / "honest-root", pid);
  }

  static const JobOutcome& Job(const RunOutcome& outcome, const std::string& name) {
    for (const JobOutcome& j : outcome.jobs) {
      if (j.name == name) return j;
    }
    static const JobOutcome kNone;
    ADD_FAILURE() << "no job " << name;
    return kNone;
  }

  // The honest job extracted the whole tree, byte for byte.
  void ExpectHonestOutput(const RunOutcome& outcome) {
    const JobOutcome& honest = Job(outcome, "honest");
    EXPECT_EQ(honest.status, "ok") << honest.message;
    EXPECT_EQ(ReadFile(dir_ / "out/honest/etc/hostname"), "honest\n");
    EXPECT_TRUE(ReadFile(dir_ / "out/honest/data/big") == Pattern(kBigSize));
  }

  // The hostile job failed with the protocol error naming `words`, and the run says so.
  void ExpectHostileFailed(const RunOutcome& outcome, std::string_view words) {
    const JobOutcome& hostile = Job(outcome, "hostile");
    EXPECT_EQ(hostile.status, "failed");
    EXPECT_TRUE(hostile.message.find(kMisbehavedPrefix) != std::string::npos) << hostile.message;
    EXPECT_NE(hostile.message.find(words), std::string::npos) << hostile.message;
    EXPECT_EQ(outcome.exit_code, 2);  // a job failed (job_runner.h)
    EXPECT_FALSE(outcome.interrupted);
    // Its end reached the report and the events.
    EXPECT_NE(ReadFile(dir_ / "report.jsonl").find("the appliance misbehaved"), std::string::npos);
    EXPECT_NE(events_.Text().find("the appliance misbehaved"), std::string::npos);
  }

  // Nothing but the inputs, the report and the two outputs is in the scratch directory,
  // and nothing of the hostile job's files is left under its output.
  void ExpectNothingOutsideTheOutputs() {
    std::vector<std::string> top;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      top.push_back(e.path().filename().string());
    }
    std::sort(top.begin(), top.end());
    EXPECT_EQ(top, (std::vector<std::string>{"honest-root", "honest.img", "hostile.img", "out",
                                             "report.jsonl", "run.yaml"}));
    std::vector<std::string> outputs;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "out")) {
      outputs.push_back(e.path().filename().string());
    }
    std::sort(outputs.begin(), outputs.end());
    EXPECT_TRUE(outputs == std::vector<std::string>{"honest"} ||
                outputs == (std::vector<std::string>{"honest", "hostile"}))
        << ::testing::PrintToString(outputs);
  }

  // No partly written file of the hostile job is left (directories may be).
  void ExpectNoHostileFile() {
    const std::string out = dir_ / "out/hostile";
    if (!std::filesystem::exists(out)) return;
    for (const auto& e : std::filesystem::recursive_directory_iterator(out)) {
      EXPECT_TRUE(e.is_directory()) << e.path() << " was left behind";
    }
  }

  // No raw control character of the guest's reached the report, the events or the log.
  void ExpectNoRawControlCharacters() {
    for (const std::string& text : {ReadFile(dir_ / "report.jsonl"), events_.Text(), log_.Text()}) {
      EXPECT_EQ(text.find('\x1b'), std::string::npos);
      EXPECT_EQ(text.find('\x07'), std::string::npos);
    }
  }

  static std::string ExtractJobs() {
    return "  - name: honest\n"
           "    kind: extract\n"
           "    source: honest.img\n"
           "    format: raw\n"
           "    output: {dir: out/honest}\n"
           "  - name: hostile\n"
           "    kind: extract\n"
           "    source: hostile.img\n"
           "    format: raw\n"
           "    output: {dir: out/hostile}\n";
  }

  ScratchDir dir_;
  CapturedFile events_;
  CapturedFile log_;
  std::chrono::milliseconds hang_timeout_ = 60s;  // the pool's watchdog (RunOptions)
  std::atomic<int64_t> launches_{1000};
  std::atomic<int> hostile_launches_{0};
};

TEST_F(HostileRunTest, AGuestThatStallsMidFileFailsItsJobAtTheProgressDeadline) {
  const RunOutcome outcome = Run(
      ExtractJobs(),
      [](FakeGuest& g, int n, uint64_t id) {
        if (n == 0) return ReplyHalfAFile(g, id);
        return true;  // every later request waits for ever
      },
      /*progress_deadline=*/500ms);  // the honest job's too: far above its gaps
  ExpectHostileFailed(outcome, "no new byte, record or file end for");
  EXPECT_NE(Job(outcome, "hostile").message.find("(the progress deadline is 500 ms)"),
            std::string::npos);
  EXPECT_EQ(hostile_launches_, 3);  // the first attempt and run.retries (2) more
  ExpectHonestOutput(outcome);
  ExpectNoHostileFile();
  ExpectNothingOutsideTheOutputs();
}

// An archive on stdout cannot start over: part of it may already be with its reader. So
// a broken attempt ends the job (the run exits 2, the archive is incomplete), where a
// file archive's job would be retried on a fresh appliance.
TEST_F(HostileRunTest, AStdoutTarJobWhoseApplianceBreaksIsNotRetried) {
  ScratchDir elsewhere;
  const std::string captured = elsewhere / "stdout.tar";
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  const int to = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(to, 0);
  ASSERT_EQ(::dup2(to, STDOUT_FILENO), STDOUT_FILENO);
  ::close(to);
  std::string jobs = ExtractJobs();
  jobs.replace(jobs.find("{dir: out/hostile}"), std::string("{dir: out/hostile}").size(),
               "{tar: \"-\"}");
  const RunOutcome outcome = Run(
      jobs,
      [](FakeGuest& g, int n, uint64_t id) {
        if (n == 0) return ReplyHalfAFile(g, id);
        return true;  // every later request waits for ever
      },
      /*progress_deadline=*/500ms);
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  const JobOutcome& hostile = Job(outcome, "hostile");
  EXPECT_EQ(hostile.status, "failed");
  EXPECT_NE(hostile.message.find("not retried: part of the archive already went to standard "
                                 "output"),
            std::string::npos)
      << hostile.message;
  EXPECT_EQ(hostile_launches_, 1);
  EXPECT_EQ(outcome.exit_code, 2);
  ExpectHonestOutput(outcome);
}

// The pool's watchdog measures the wait on the host: a guest sitting on a request is
// killed long before the transfer's own progress deadline (120 s here).
TEST_F(HostileRunTest, AGuestThatLeavesARequestUnansweredIsKilledByTheHangWatchdog) {
  hang_timeout_ = 2s;  // far above any honest reply here, even on a loaded machine
  const RunOutcome outcome = Run(ExtractJobs(), [](FakeGuest& g, int n, uint64_t id) {
    if (n == 0) return ReplyHalfAFile(g, id);
    return true;  // every later request waits for ever
  });
  const JobOutcome& hostile = Job(outcome, "hostile");
  EXPECT_EQ(hostile.status, "failed");
  EXPECT_NE(hostile.message.find("closed by the peer"), std::string::npos) << hostile.message;
  EXPECT_EQ(hostile_launches_, 3);  // the first attempt and run.retries (2) more
  const std::string events = events_.Text();
  EXPECT_NE(events.find("\"hung\""), std::string::npos);
  EXPECT_NE(events.find("no reply from the guest for "), std::string::npos);
  EXPECT_NE(events.find(" ms with 2 request(s) waiting; QEMU killed"), std::string::npos);
  ExpectHonestOutput(outcome);
  ExpectNoHostileFile();
  ExpectNothingOutsideTheOutputs();
}

TEST_F(HostileRunTest, AReplyListingOneBufferMillionsOfTimesFailsItsJobWithoutAnAbort) {
  const RunOutcome outcome = Run(ExtractJobs(), [](FakeGuest& g, int n, uint64_t id) {
    if (n == 0) return ReplyHalfAFile(g, id);
    // FlatBuffers lets every element of a vector point at one table: a reply of a few
    // bytes that lists one empty buffer 2^21 times.
    return ReplyBuffers(
        g, id,
        [](FlatBufferBuilder& fbb) {
          const auto one = proto::CreateLaneBuffer(fbb, Lane::Stream, 0, 0, 0, 1, 0, false);
          return std::vector<flatbuffers::Offset<proto::LaneBuffer>>(size_t{1} << 21, one);
        },
        false);
  });
  ExpectHostileFailed(outcome, "buffers");
  ExpectHonestOutput(outcome);
  ExpectNoHostileFile();
  ExpectNothingOutsideTheOutputs();
}

TEST_F(HostileRunTest, AStreamFileAnnouncedAs2To63BytesFailsItsJobAndItsNameIsEscaped) {
  const RunOutcome outcome = Run(ExtractJobs(), [](FakeGuest& g, int n, uint64_t id) {
    if (n > 0) return g.ReplyExtractNext(id, {}, 0, true);
    // 2^63-1 bytes of hole, named with an OSC 52 sequence (writes the terminal's clipboard).
    Batch batch;
    batch.StreamFile("zeros\x1b]52;c;aGk=\x07", 1, std::numeric_limits<int64_t>::max());
    const std::vector<uint8_t> none;
    return ReplyBuffers(
        g, id,
        [&](FlatBufferBuilder& fbb) {
          return std::vector{batch.Buffer(fbb), proto::CreateLaneBufferDirect(
                                                    fbb, Lane::Stream, 0, 0, 0, 1, 0, true, &none)};
        },
        true);
  });
  ExpectHostileFailed(outcome,
                      "zeros\\x1b]52;c;aGk=\\x07: announced as 9223372036854775807 bytes, more "
                      "than the 17592186044416 a file may have");
  ExpectHonestOutput(outcome);
  ExpectNoHostileFile();
  ExpectNothingOutsideTheOutputs();
  ExpectNoRawControlCharacters();
}

TEST_F(HostileRunTest, AnEndlesslyDeepTreeFailsADeleteStepWithoutExhaustingTheStack) {
  const RunOutcome outcome = Run(ExtractJobs().substr(0, ExtractJobs().find("  - name: hostile")) +
                                     "  - name: hostile\n"
                                     "    kind: inject\n"
                                     "    target: hostile.img\n"
                                     "    format: raw\n"
                                     "    in_place: true\n"
                                     "    steps:\n"
                                     "      - delete: {path: /deep, recursive: true}\n",
                                 [](FakeGuest&, int, uint64_t) { return false; });
  ExpectHostileFailed(
      outcome, "step 1 (delete /deep): protocol error: the appliance misbehaved: path \"/deep/ddd");
  EXPECT_NE(Job(outcome, "hostile").message.find("... longer than 4096 bytes"), std::string::npos);
  EXPECT_EQ(hostile_launches_, 1);  // a job in place is never started over
  ExpectHonestOutput(outcome);
}

}  // namespace
}  // namespace diskferry
