// Writes the seed corpora of tests/fuzz/corpus/ from real messages: framed Responses and
// Requests built with the schema's builders, and lane buffers packed with RecordWriter in
// lane_fuzzer's input format (writer_fuzzer's too). Manifest seeds are copies of
// tests/jobs/cases, glob seeds are written by hand.
// Usage: fuzz_seeds CORPUS_DIR (writes CORPUS_DIR/{control_reply,request,lane,writer}/NAME).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/lane_records.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;
using flatbuffers::FlatBufferBuilder;

void Write(const fs::path& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// The control fuzzers' input: a feed split byte (0: one feed), then frames.
std::vector<uint8_t> Framed(FlatBufferBuilder& fbb) {
  std::vector<uint8_t> out{0};
  AppendFrame(std::span<const uint8_t>(fbb.GetBufferPointer(), fbb.GetSize()), &out);
  return out;
}

template <typename T>
std::vector<uint8_t> ReplyFrame(uint64_t id, proto::Reply type, flatbuffers::Offset<T> reply,
                                FlatBufferBuilder& fbb) {
  fbb.Finish(proto::CreateResponse(fbb, id, 0, type, reply.Union()));
  return Framed(fbb);
}

void ControlReplies(const fs::path& dir) {
  {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> names{
        fbb.CreateString("ext4"), fbb.CreateString("xfs"), fbb.CreateString("vfat")};
    auto r =
        proto::CreateHelloReplyDirect(fbb, 1, "0.1.0", "6.1.0-cloud-amd64", &names, 64 << 20, 900);
    Write(dir, "hello", ReplyFrame(1, proto::Reply::Hello, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> aliases{
        fbb.CreateString("/dev/mapper/vg0-root"), fbb.CreateString("/dev/dm-0")};
    std::vector<flatbuffers::Offset<proto::Filesystem>> list{
        proto::CreateFilesystemDirect(fbb, "/dev/sda1", "ext4", "root", "1234-abcd", 1 << 30),
        proto::CreateFilesystemDirect(fbb, "/dev/vg0/root", "xfs", "", "", 1 << 20, &aliases,
                                      "LVM logical volume")};
    std::vector<flatbuffers::Offset<flatbuffers::String>> problems{
        fbb.CreateString("VG vg1 is incomplete: a physical volume is missing")};
    auto r = proto::CreateListFilesystemsReplyDirect(fbb, &list, &problems);
    Write(dir, "list_filesystems", ReplyFrame(2, proto::Reply::ListFilesystems, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    auto r = proto::CreateUnlockReplyDirect(fbb, "/dev/mapper/luks-1234");
    Write(dir, "unlock", ReplyFrame(3, proto::Reply::Unlock, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<proto::OsMount>> mounted{
        proto::CreateOsMountDirect(fbb, "/dev/sda2", "/", "ext4", "ro", true),
        proto::CreateOsMountDirect(fbb, "/dev/sda1", "/boot", "vfat", "ro", false)};
    std::vector<flatbuffers::Offset<proto::OsSkipped>> skipped{
        proto::CreateOsSkippedDirect(fbb, "/dev/sda3", "none", 4, "swap", "swap space")};
    auto r = proto::CreateMountOsReplyDirect(fbb, "Debian GNU/Linux 12", &mounted, &skipped);
    Write(dir, "mount_os", ReplyFrame(4, proto::Reply::MountOs, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    auto r = proto::CreateMountReplyDirect(fbb, "ext4", "ro,noload", false);
    Write(dir, "mount", ReplyFrame(5, proto::Reply::Mount, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    const proto::Stat stat(0100644, 0, 0, 1, 12, 42, 0, 8, 1, 2, 3);
    std::vector<flatbuffers::Offset<proto::DirEntry>> entries{
        proto::CreateDirEntryDirect(fbb, "hostname", &stat),
        proto::CreateDirEntryDirect(fbb, "link", &stat, "hostname")};
    auto r = proto::CreateReadDirReplyDirect(fbb, &entries, 2, true);
    // id 0x10000: start 0, a page of 2 entries (control_reply_fuzzer.cc).
    Write(dir, "read_dir", ReplyFrame(0x10000, proto::Reply::ReadDir, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<proto::SurveyCheckpoint>> checkpoints{
        proto::CreateSurveyCheckpointDirect(fbb, "etc", 100, 2, 50),
        proto::CreateSurveyCheckpointDirect(fbb, "etc/ssh", 200, 5, 500)};
    auto r = proto::CreateSurveyReplyDirect(fbb, 10, 2, 1, 1000, 2000, 0, &checkpoints);
    Write(dir, "survey", ReplyFrame(7, proto::Reply::Survey, r, fbb));
  }
  {
    FlatBufferBuilder fbb;
    fbb.Finish(proto::CreateResponse(
        fbb, 8, proto::CreateErrorDirect(fbb, "ENOENT", "/etc/nothing: no such file")));
    Write(dir, "error", Framed(fbb));
  }
}

void Requests(const fs::path& dir) {
  {
    FlatBufferBuilder fbb;
    auto op = proto::CreateHelloRequestDirect(fbb, 1, "0.1.0");
    fbb.Finish(proto::CreateRequest(fbb, 1, proto::Op::Hello, op.Union()));
    Write(dir, "hello", Framed(fbb));
  }
  {
    FlatBufferBuilder fbb;
    auto op = proto::CreateReadDirRequestDirect(fbb, "/etc", 0, 1024);
    fbb.Finish(proto::CreateRequest(fbb, 2, proto::Op::ReadDir, op.Union()));
    Write(dir, "read_dir", Framed(fbb));
  }
  {
    FlatBufferBuilder fbb;
    auto op = proto::CreateMountRequestDirect(fbb, "/dev/sda1", false, "ext4", true);
    fbb.Finish(proto::CreateRequest(fbb, 3, proto::Op::Mount, op.Union()));
    Write(dir, "mount", Framed(fbb));
  }
  {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> paths{fbb.CreateString("/etc")};
    auto op = proto::CreateExtractStartRequestDirect(fbb, &paths, 262144, true, true, "", "");
    fbb.Finish(proto::CreateRequest(fbb, 4, proto::Op::ExtractStart, op.Union()));
    Write(dir, "extract_start", Framed(fbb));
  }
  {
    FlatBufferBuilder fbb;
    std::vector<uint8_t> data{'h', 'i', '\n'};
    std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers{proto::CreateLaneBufferDirect(
        fbb, proto::Lane::Stream, 0, data.size(), 0, 7, 0, true, &data)};
    auto op = proto::CreateInjectPutRequestDirect(fbb, 1, &buffers);
    fbb.Finish(proto::CreateRequest(fbb, 5, proto::Op::InjectPut, op.Union()));
    Write(dir, "inject_put", Framed(fbb));
  }
}

// lane_fuzzer's buffer header (lane_fuzzer.cc).
void AppendBuffer(std::vector<uint8_t>* out, uint8_t lane, bool eof, uint16_t records,
                  uint32_t index, uint32_t file_id, uint64_t offset,
                  const std::vector<uint8_t>& bytes) {
  uint8_t h[24] = {};
  h[0] = lane;
  h[1] = eof ? 1 : 0;
  const uint32_t length = static_cast<uint32_t>(bytes.size());
  std::memcpy(h + 2, &records, 2);
  std::memcpy(h + 4, &index, 4);
  std::memcpy(h + 8, &length, 4);
  std::memcpy(h + 12, &file_id, 4);
  std::memcpy(h + 16, &offset, 8);
  out->insert(out->end(), h, h + sizeof h);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

std::vector<uint8_t> Batch(uint32_t* count, uint64_t stream_id, uint64_t stream_size) {
  std::vector<uint8_t> buf(8192);
  RecordWriter w(buf);
  RecordMeta dir{.type = RecordType::kDirectory, .mode = 040755};
  const std::vector<uint8_t> content{'w', 'e', 'b', '0', '1', '\n'};
  RecordMeta file{.type = RecordType::kFile, .mode = 0100644, .size = content.size()};
  const std::vector<uint8_t> xattrs = EncodeXattrs({{"user.origin", "seed"}});
  RecordMeta link{.type = RecordType::kSymlink, .mode = 0120777};
  RecordMeta hard{.type = RecordType::kHardlink, .mode = 0100644};
  RecordMeta error{.type = RecordType::kError, .errno_value = 13};
  RecordMeta stream{
      .type = RecordType::kStreamFile, .file_id = stream_id, .mode = 0100600, .size = stream_size};
  (void)w.Append(dir, "etc", "", {}, {});
  (void)w.Append(file, "etc/hostname", "", xattrs, content);
  (void)w.Append(link, "etc/localtime", "/usr/share/zoneinfo/UTC", {}, {});
  (void)w.Append(hard, "etc/hostname2", "etc/hostname", {}, {});
  (void)w.Append(error, "etc/shadow", "Permission denied", {}, {});
  (void)w.Append(stream, "etc/big", "", {}, {});
  buf.resize(w.used());
  *count = w.count();
  return buf;
}

void Lanes(const fs::path& dir) {
  for (const uint8_t shm : {0, 1}) {
    uint32_t count = 0;
    const std::vector<uint8_t> batch = Batch(&count, 7, 10);
    std::vector<uint8_t> out{shm};
    AppendBuffer(&out, 0, false, static_cast<uint16_t>(count), 0, 0, 0, batch);
    AppendBuffer(&out, 1, false, 0, 0, 7, 0, std::vector<uint8_t>(6, 'a'));
    AppendBuffer(&out, 1, true, 0, 1, 7, 6, std::vector<uint8_t>(4, 'b'));
    Write(dir, shm ? "shm_transfer" : "socket_transfer", out);
  }
  {
    uint32_t count = 0;
    std::vector<uint8_t> out{1};
    AppendBuffer(&out, 0, false, 1, 1, 0, 0, Batch(&count, 9, 0));  // count says 1: too few
    Write(dir, "shm_records_miscounted", out);
  }
}

// writer_fuzzer's seeds: one batch of hostile records each (a refused record ends the
// transfer, so each attack has its own seed), for the directory and the tar sink.
struct Entry {
  RecordMeta meta;
  std::string path;
  std::string target;
  std::string data;
};

std::vector<uint8_t> OneBatch(const std::vector<Entry>& entries, uint32_t* count) {
  std::vector<uint8_t> buf(16384);
  RecordWriter w(buf);
  for (const Entry& e : entries) {
    const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(e.data.data()),
                                        e.data.size());
    (void)w.Append(e.meta, e.path, e.target, {}, data);
  }
  buf.resize(w.used());
  *count = w.count();
  return buf;
}

Entry File(std::string path, std::string data, uint32_t mode = 0100644) {
  return {{.type = RecordType::kFile, .mode = mode, .size = data.size()},
          std::move(path),
          "",
          std::move(data)};
}
Entry Dir(std::string path, uint32_t mode = 040755) {
  return {{.type = RecordType::kDirectory, .mode = mode}, std::move(path), "", ""};
}
Entry Symlink(std::string path, std::string target) {
  return {{.type = RecordType::kSymlink, .mode = 0120777}, std::move(path), std::move(target), ""};
}
Entry Hardlink(std::string path, std::string target) {
  return {{.type = RecordType::kHardlink, .mode = 0100644}, std::move(path), std::move(target), ""};
}
Entry Stream(std::string path, uint64_t id, uint64_t size) {
  return {{.type = RecordType::kStreamFile, .file_id = id, .mode = 0100644, .size = size},
          std::move(path),
          "",
          ""};
}

void Writers(const fs::path& dir) {
  const std::vector<std::pair<std::string, std::vector<Entry>>> attacks = {
      {"dotdot", {Dir("a"), File("../outside", "x"), File("a/../../outside", "x")}},
      {"absolute", {File("/tmp/outside", "x")}},
      {"symlink_then_beneath",
       {Symlink("s", ".."), File("s/canary", "evil"), Dir("s/canary_dir/sub"), Symlink("t", "/etc"),
        File("t/passwd", "evil")}},
      {"planted_links",
       {File("canary_link", "evil"), File("escape/x", "evil"), File("hard", "evil"), Dir("escape"),
        Hardlink("h", "canary_link"), Hardlink("h2", "hard")}},
      {"hardlinks",
       {File("f", "data"), Hardlink("g", "f"), Hardlink("x", "../canary"),
        Hardlink("y", "escape/..")}},
      {"device_and_setuid",
       {{{.type = RecordType::kSpecial, .mode = 060666, .rdev = (8u << 8)}, "sda", "", ""},
        {{.type = RecordType::kSpecial, .mode = 020666, .rdev = (1u << 8) | 1}, "mem", "", ""},
        File("suid", "#!/bin/sh\n", 0104755),
        File("sgid", "x", 0102755),
        Dir("sdir", 046755)}},
      {"huge_stream",
       {Stream("big", 1, uint64_t{1} << 44), Stream("bigger", 2, ~uint64_t{0} >> 1)}},
  };
  for (const uint8_t sink : {0, 2}) {
    for (const auto& [name, entries] : attacks) {
      uint32_t count = 0;
      const std::vector<uint8_t> batch = OneBatch(entries, &count);
      std::vector<uint8_t> out{sink};
      AppendBuffer(&out, 0, false, static_cast<uint16_t>(count), 0, 0, 0, batch);
      Write(dir, (sink ? "tar_" : "dir_") + name, out);
    }
    // An honest transfer with a stream file, over the shared-memory lane too.
    for (const uint8_t shm : {0, 1}) {
      uint32_t count = 0;
      const std::vector<uint8_t> batch = Batch(&count, 7, 10);
      std::vector<uint8_t> out{static_cast<uint8_t>(sink | shm)};
      AppendBuffer(&out, 0, false, static_cast<uint16_t>(count), 0, 0, 0, batch);
      AppendBuffer(&out, 1, false, 0, 0, 7, 0, std::vector<uint8_t>(6, 'a'));
      AppendBuffer(&out, 1, true, 0, 1, 7, 6, std::vector<uint8_t>(4, 'b'));
      Write(dir, std::string(sink ? "tar_" : "dir_") + (shm ? "shm_transfer" : "socket_transfer"),
            out);
    }
  }
}

}  // namespace
}  // namespace diskferry

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  diskferry::ControlReplies(root / "control_reply");
  diskferry::Requests(root / "request");
  diskferry::Lanes(root / "lane");
  diskferry::Writers(root / "writer");
  return 0;
}
