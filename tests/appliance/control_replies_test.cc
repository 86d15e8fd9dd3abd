// The checks control_replies makes on replies beyond the FlatBuffers verifier (the storage
// replies, and the per-reply limits: counts and byte budgets): each rejection on its own.
#include "appliance/control_replies.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace diskferry {
namespace {

using namespace internal;
using flatbuffers::FlatBufferBuilder;
using Strings = std::vector<std::string>;

struct Fs {
  std::string device = "/dev/sda1";
  std::string fstype = "ext4";
  std::string label;
  Strings aliases;
  std::string note;
};

Result<StorageListing> Listing(const std::vector<Fs>& filesystems, const Strings& problems = {}) {
  FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<proto::Filesystem>> list;
  for (const Fs& fs : filesystems) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> names;
    for (const auto& a : fs.aliases) names.push_back(fbb.CreateString(a));
    list.push_back(proto::CreateFilesystem(
        fbb, fbb.CreateString(fs.device), fbb.CreateString(fs.fstype), fbb.CreateString(fs.label),
        fbb.CreateString("uuid"), 1024, fbb.CreateVector(names), fbb.CreateString(fs.note)));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> lines;
  for (const auto& p : problems) lines.push_back(fbb.CreateString(p));
  fbb.Finish(proto::CreateListFilesystemsReplyDirect(fbb, &list, &lines));
  return ToStorageListing(*flatbuffers::GetRoot<proto::ListFilesystemsReply>(fbb.GetBufferPointer()));
}

void ExpectRejected(const Status& st, std::string_view words) {
  EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.message();
}

TEST(ControlRepliesTest, ListingKeepsAliasesNotesAndProblems) {
  auto listing = Listing({{"/dev/vg0/root", "ext4", "root", {"/dev/mapper/vg0-root", "/dev/dm-0"},
                           ""},
                          {"/dev/sda2", "LVM2_member", "", {}, "LVM physical volume of VG vg0"}},
                         {"VG vg1 is incomplete"});
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->filesystems.size(), 2u);
  EXPECT_EQ(listing->filesystems[0].aliases, (Strings{"/dev/mapper/vg0-root", "/dev/dm-0"}));
  EXPECT_EQ(listing->filesystems[1].note, "LVM physical volume of VG vg0");
  EXPECT_EQ(listing->problems, (Strings{"VG vg1 is incomplete"}));
}

TEST(ControlRepliesTest, ListingEscapesLabelsNotesAndProblems) {
  auto listing = Listing({{"/dev/sda1", "ext4", "a\nb", {}, "n\x1b[2J"}}, {"p\nq"});
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->filesystems[0].note.find('\x1b'), std::string::npos);
  EXPECT_EQ(listing->problems[0].find('\n'), std::string::npos);
}

TEST(ControlRepliesTest, ListingRejectsMoreFilesystemsThanTheCap) {
  ExpectRejected(Listing(std::vector<Fs>(kMaxListedFilesystems + 1)).status(), "filesystems");
}

TEST(ControlRepliesTest, ListingRejectsMoreAliasesThanTheCap) {
  Fs fs;
  for (size_t i = 0; i <= kMaxAliases; ++i) fs.aliases.push_back("/dev/dm-" + std::to_string(i));
  ExpectRejected(Listing({fs}).status(), "aliases");
}

TEST(ControlRepliesTest, ListingRejectsAnEmptyDevice) {
  ExpectRejected(Listing({{"", "ext4"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsADeviceOutsideDev) {
  ExpectRejected(Listing({{"/etc/passwd", "ext4"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsTheBareDevDirectory) {
  ExpectRejected(Listing({{"/dev/", "ext4"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsADeviceNameOverTheLengthCap) {
  ExpectRejected(Listing({{"/dev/" + std::string(kMaxDevicePathBytes, 'a'), "ext4"}}).status(),
                 "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsADeviceWithAControlCharacter) {
  ExpectRejected(Listing({{"/dev/sda\x1b[2J", "ext4"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsADeviceWithASpace) {
  ExpectRejected(Listing({{"/dev/sda 1", "ext4"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsAnImpossibleAlias) {
  ExpectRejected(Listing({{"/dev/sda1", "ext4", "", {"../../etc/shadow"}}}).status(),
                 "impossible device name");
}

TEST(ControlRepliesTest, ListingRejectsMoreProblemsThanTheCap) {
  ExpectRejected(Listing({}, Strings(kMaxReplyNotes + 1, "p")).status(), "notes");
}

Result<std::string> Unlocked(const std::string& device) {
  FlatBufferBuilder fbb;
  fbb.Finish(proto::CreateUnlockReplyDirect(fbb, device.c_str()));
  return ToUnlockedDevice(*flatbuffers::GetRoot<proto::UnlockReply>(fbb.GetBufferPointer()));
}

TEST(ControlRepliesTest, UnlockReturnsThePlaintextDevice) {
  EXPECT_EQ(*Unlocked("/dev/mapper/luks-1234"), "/dev/mapper/luks-1234");
}

TEST(ControlRepliesTest, UnlockRejectsAnImpossibleDevice) {
  ExpectRejected(Unlocked("mapper/luks").status(), "Unlock reply");
}

struct Mount {
  std::string device = "/dev/sda1";
  std::string point = "/";
};

Result<OsTreeInfo> OsTree(const std::vector<Mount>& mounts, size_t skipped = 0,
                          size_t warnings = 0) {
  FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<proto::OsMount>> mounted;
  for (const Mount& m : mounts) {
    mounted.push_back(proto::CreateOsMount(fbb, fbb.CreateString(m.device),
                                           fbb.CreateString(m.point), fbb.CreateString("ext4"),
                                           fbb.CreateString("ro"), false));
  }
  std::vector<flatbuffers::Offset<proto::OsSkipped>> skips;
  for (size_t i = 0; i < skipped; ++i) {
    skips.push_back(proto::CreateOsSkippedDirect(fbb, "UUID=1", "/data", 7, "missing", "gone"));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> notes;
  for (size_t i = 0; i < warnings; ++i) notes.push_back(fbb.CreateString("w"));
  fbb.Finish(proto::CreateMountOsReplyDirect(fbb, "Debian GNU/Linux 12 (bookworm)", &mounted,
                                             &skips, &notes));
  return ToOsTreeInfo(*flatbuffers::GetRoot<proto::MountOsReply>(fbb.GetBufferPointer()));
}

TEST(ControlRepliesTest, OsTreeKeepsTheRootFirstAndTheSkippedLines) {
  auto os = OsTree({{"/dev/vg0/root", "/"}, {"/dev/sda2", "/boot"}}, 1, 1);
  ASSERT_TRUE(os.ok()) << os.status().ToString();
  EXPECT_EQ(os->os_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(os->mounted[1].mount_point, "/boot");
  ASSERT_EQ(os->skipped.size(), 1u);
  EXPECT_EQ(os->skipped[0].line, 7u);
}

TEST(ControlRepliesTest, OsTreeRejectsNoMounts) {
  ExpectRejected(OsTree({}).status(), "0 filesystems mounted");
}

TEST(ControlRepliesTest, OsTreeRejectsMoreMountsThanTheCap) {
  std::vector<Mount> mounts(kMaxOsMounts + 1, Mount{"/dev/sda1", "/x"});
  mounts[0].point = "/";
  ExpectRejected(OsTree(mounts).status(), "filesystems mounted");
}

TEST(ControlRepliesTest, OsTreeRejectsAnImpossibleDevice) {
  ExpectRejected(OsTree({{"sda1", "/"}}).status(), "impossible device name");
}

TEST(ControlRepliesTest, OsTreeRejectsARelativeMountPoint) {
  ExpectRejected(OsTree({{"/dev/sda1", "/"}, {"/dev/sda2", "boot"}}).status(),
                 "impossible mount point");
}

TEST(ControlRepliesTest, OsTreeRejectsAMountPointWithANul) {
  ExpectRejected(OsTree({{"/dev/sda1", "/"}, {"/dev/sda2", std::string("/bo\0ot", 6)}}).status(),
                 "impossible mount point");
}

TEST(ControlRepliesTest, OsTreeRejectsARootThatIsNotFirst) {
  ExpectRejected(OsTree({{"/dev/sda2", "/boot"}, {"/dev/sda1", "/"}}).status(),
                 "not mounted at /");
}

TEST(ControlRepliesTest, OsTreeRejectsMoreSkippedEntriesThanTheCap) {
  ExpectRejected(OsTree({{}}, kMaxReplyNotes + 1).status(), "skipped entries");
}

TEST(ControlRepliesTest, OsTreeRejectsMoreWarningsThanTheCap) {
  ExpectRejected(OsTree({{}}, 0, kMaxReplyNotes + 1).status(), "notes");
}

// ---- one offset listed many times ------------------------------------------------------

TEST(ControlRepliesTest, ListingOfOneFilesystemSharedThousandsOfTimesPassesTheByteBudget) {
  FlatBufferBuilder fbb;
  const auto alias = fbb.CreateString("/dev/" + std::string(kMaxDevicePathBytes - 5, 'a'));
  const auto fs = proto::CreateFilesystem(
      fbb, alias, fbb.CreateString("ext4"), 0, 0, 1,
      fbb.CreateVector(std::vector<flatbuffers::Offset<flatbuffers::String>>(kMaxAliases, alias)));
  const std::vector<flatbuffers::Offset<proto::Filesystem>> list(kMaxListedFilesystems, fs);
  fbb.Finish(proto::CreateListFilesystemsReplyDirect(fbb, &list));
  const auto* reply = flatbuffers::GetRoot<proto::ListFilesystemsReply>(fbb.GetBufferPointer());
  ExpectRejected(ToStorageListing(*reply).status(), "budget");
}

TEST(ControlRepliesTest, ExtractNextListingOneBufferMillionsOfTimesIsRefused) {
  auto reply_with = [](size_t count) {
    auto fbb = std::make_unique<FlatBufferBuilder>();
    const auto empty = proto::CreateLaneBuffer(*fbb, proto::Lane::Batch);
    const std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers(count, empty);
    fbb->Finish(proto::CreateExtractNextReplyDirect(*fbb, &buffers));
    return fbb;
  };
  const auto ok = reply_with(kMaxReplyBuffers);
  EXPECT_TRUE(
      CheckExtractNextReply(*flatbuffers::GetRoot<proto::ExtractNextReply>(ok->GetBufferPointer()))
          .ok());
  const auto hostile = reply_with(size_t{2} << 20);
  ExpectRejected(CheckExtractNextReply(
                     *flatbuffers::GetRoot<proto::ExtractNextReply>(hostile->GetBufferPointer())),
                 "2097152 buffers, more than 4096");
}

TEST(ControlRepliesTest, InjectPutReleasingOneBufferMillionsOfTimesIsRefused) {
  FlatBufferBuilder fbb;
  const auto ref = proto::CreateBufferRef(fbb, proto::Lane::Stream, 1);
  const std::vector<flatbuffers::Offset<proto::BufferRef>> release(size_t{2} << 20, ref);
  fbb.Finish(proto::CreateInjectPutReplyDirect(fbb, &release));
  ExpectRejected(
      CheckInjectPutReply(*flatbuffers::GetRoot<proto::InjectPutReply>(fbb.GetBufferPointer())),
      "releases");
}

// A TransferEnd reply listing `count` times one FileError of `path` and `message`.
Result<std::vector<ReplyFileError>> FileErrors(const std::string& path, const std::string& message,
                                               size_t count = 1) {
  FlatBufferBuilder fbb;
  const auto e = proto::CreateFileErrorDirect(fbb, path.c_str(), "EIO", message.c_str());
  const std::vector<flatbuffers::Offset<proto::FileError>> errors(count, e);
  fbb.Finish(proto::CreateTransferEndReplyDirect(fbb, 0, 0, &errors));
  const auto* reply = flatbuffers::GetRoot<proto::TransferEndReply>(fbb.GetBufferPointer());
  return ToFileErrors(reply->errors(), "TransferEnd reply");
}

TEST(ControlRepliesTest, FileErrorsKeepThePathAndCutTheMessage) {
  auto errors = FileErrors("a/b", std::string(kMaxFileErrorMessageBytes + 10, 'm'));
  ASSERT_TRUE(errors.ok()) << errors.status().ToString();
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ((*errors)[0].path, "a/b");
  EXPECT_EQ((*errors)[0].message.size(), kMaxFileErrorMessageBytes);
}

TEST(ControlRepliesTest, FileErrorsRejectAPathLongerThanAPath) {
  EXPECT_TRUE(FileErrors(std::string(kMaxPathBytes, 'p'), "m").ok());
  ExpectRejected(FileErrors(std::string(kMaxPathBytes + 1, 'p'), "m").status(),
                 "file error path of 4097 bytes");
}

TEST(ControlRepliesTest, FileErrorsSharingOneLongErrorPassTheByteBudget) {
  ExpectRejected(
      FileErrors(std::string(kMaxPathBytes, 'p'), std::string(1024, 'm'), kMaxReplyFileErrors)
          .status(),
      "budget");
}

TEST(ControlRepliesTest, FileErrorsPastTheCountAreRefused) {
  ExpectRejected(FileErrors("p", "m", kMaxReplyFileErrors + 1).status(), "file errors");
}

TEST(ControlRepliesTest, SymlinkTargetLongerThanAPathIsRefused) {
  auto target = [](const std::string& t) {
    FlatBufferBuilder fbb;
    fbb.Finish(proto::CreateReadlinkReply(fbb, fbb.CreateString(t)));
    return ToSymlinkTarget(*flatbuffers::GetRoot<proto::ReadlinkReply>(fbb.GetBufferPointer()));
  };
  EXPECT_EQ(*target(std::string(kMaxPathBytes, 't')), std::string(kMaxPathBytes, 't'));
  ExpectRejected(target(std::string(kMaxPathBytes + 1, 't')).status(), "target of 4097 bytes");
}

Result<HelloInfo> HelloWithSecret(const std::vector<uint8_t>& secret) {
  FlatBufferBuilder fbb;
  fbb.Finish(proto::CreateHelloReplyDirect(fbb, 1, "0.1.0", "6.1.0", nullptr, 0, 0, &secret));
  return ToHelloInfo(*flatbuffers::GetRoot<proto::HelloReply>(fbb.GetBufferPointer()));
}

TEST(ControlRepliesTest, HelloKeepsTheLaunchSecretBytes) {
  const std::vector<uint8_t> secret = {0, 1, 0xff, 0x1b, '\n'};
  Result<HelloInfo> hello = HelloWithSecret(secret);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(hello->launch_secret, secret);
}

TEST(ControlRepliesTest, HelloWithoutALaunchSecretHasNone) {
  Result<HelloInfo> hello = HelloWithSecret({});
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_TRUE(hello->launch_secret.empty());
}

TEST(ControlRepliesTest, HelloWithALaunchSecretPastTheLimitIsRefused) {
  ExpectRejected(HelloWithSecret(std::vector<uint8_t>(kMaxLaunchSecretBytes + 1, 7)).status(),
                 "65 launch secret bytes, more than 64");
}

}  // namespace
}  // namespace diskferry
