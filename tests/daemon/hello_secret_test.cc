// Hello's launch secret: read from the fw_cfg file (a scratch file here) at each Hello,
// echoed as raw bytes, and left out when the file is missing, empty or too long.
#include <string>
#include <vector>

#include "daemon/handlers_session.h"
#include "protocol/launch_secret.h"
#include "tests/daemon/serve_fixture.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry::daemon::testing {
namespace {

constexpr uint32_t kOurVersion = static_cast<uint32_t>(proto::ProtocolVersion::V0);

class HelloSecretTest : public DaemonServeTest {
 protected:
  void ConfigureContext(DaemonContext* ctx) override { ctx->launch_secret_path = secret_path_; }

  // The launch_secret of a Hello reply; nullopt when the reply has no such field.
  std::optional<std::string> HelloSecret(uint64_t id) {
    const proto::Response* response = CallOk(HelloRequest(id, kOurVersion));
    if (response == nullptr || response->reply_as_Hello() == nullptr) return "(no reply)";
    const flatbuffers::Vector<uint8_t>* secret = response->reply_as_Hello()->launch_secret();
    if (secret == nullptr) return std::nullopt;
    return std::string(secret->begin(), secret->end());
  }

  diskferry::ScratchDir dir_{"df-hello-secret"};
  std::string secret_path_ = dir_.File("raw");
};

TEST_F(HelloSecretTest, HelloEchoesTheSecretFileBytes) {
  const std::string secret("\x00\x01\xff\n secret of 32 bytes .......", kLaunchSecretBytes);
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, secret));
  EXPECT_EQ(HelloSecret(1), secret);
}

TEST_F(HelloSecretTest, TheSecretIsReadAtEachHelloNotAtStart) {
  // The server started before the file existed (as a snapshot restored before Hello).
  EXPECT_EQ(HelloSecret(1), std::nullopt);
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, "first"));
  EXPECT_EQ(HelloSecret(2), "first");
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, "second"));
  EXPECT_EQ(HelloSecret(3), "second");
}

TEST_F(HelloSecretTest, HelloWithoutTheSecretFileCarriesNoSecret) {
  EXPECT_EQ(HelloSecret(1), std::nullopt);
}

TEST_F(HelloSecretTest, ASecretFileAtTheLimitIsEchoedWhole) {
  const std::string secret(kMaxLaunchSecretBytes, 's');
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, secret));
  EXPECT_EQ(HelloSecret(1), secret);
}

TEST_F(HelloSecretTest, ASecretFileLongerThanTheProtocolAllowsIsNotSent) {
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, std::string(kMaxLaunchSecretBytes + 1, 's')));
  EXPECT_EQ(HelloSecret(1), std::nullopt);
}

TEST_F(HelloSecretTest, AnEmptySecretFileIsNotSent) {
  ASSERT_TRUE(diskferry::WriteWholeFile(secret_path_, ""));
  EXPECT_EQ(HelloSecret(1), std::nullopt);
}

TEST(ReadLaunchSecretTest, NoPathMeansNoSecret) { EXPECT_TRUE(ReadLaunchSecret("").empty()); }

}  // namespace
}  // namespace diskferry::daemon::testing
