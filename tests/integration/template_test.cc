// Appliance templates with real QEMU (docs/architecture.md, "Appliance templates"): a
// restored appliance sees what a cold one sees, its clock is the host's, a damaged or
// unrestorable template is rebuilt, concurrent launches build one template, a killed
// build publishes nothing, and nothing a guest writes reaches the template.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "appliance/appliance.h"
#include "appliance/appliance_builder.h"
#include "appliance/image_session.h"
#include "appliance/template_store.h"
#include "appliance/transfer.h"
#include "sinks/host_costs.h"
#include "sinks/host_tree_reader.h"
#include "tests/integration/fs_images.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry::testing {
namespace {

namespace fs = std::filesystem;

int64_t HostRealtimeNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Published templates (64-hex-digit directories) under `dir`.
std::vector<std::string> Published(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 64 && e.is_directory()) names.push_back(name);
  }
  return names;
}

std::vector<std::string> Staging(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("tmp-")) names.push_back(name);
  }
  return names;
}

class TemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("template");
    ASSERT_FALSE(dir_.empty());
    templates_ = dir_ + "/templates";
    auto image = BuildTestAppliance();
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = *image;
    MakeSourceTree(dir_ + "/tree", {});
    ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/disk.img").ok());
  }
  void TearDown() override { RemoveTree(dir_); }

  ApplianceConfig Config(bool use_template) const {
    ApplianceConfig config;
    config.image = image_;
    config.drives.push_back({dir_ + "/disk.img", "raw", false, {}});
    config.use_template = use_template;
    config.template_dir = templates_;
    return config;
  }

  std::unique_ptr<Appliance> Launch(const ApplianceConfig& config) {
    auto app = Appliance::Launch(config);
    EXPECT_TRUE(app.ok()) << app.status().ToString();
    return app.ok() ? std::move(*app) : nullptr;
  }

  std::string TemplateDir() const {
    const std::vector<std::string> published = Published(templates_);
    return published.size() == 1 ? templates_ + "/" + published[0] : "";
  }

  std::string dir_;
  std::string templates_;
  ApplianceImage image_;
};

TEST_F(TemplateTest, ARestoredApplianceSeesWhatAColdOneSees) {
  std::unique_ptr<Appliance> cold = Launch(Config(false));
  ASSERT_NE(cold, nullptr);
  EXPECT_FALSE(cold->templated());
  auto cold_fs = cold->control().ListFilesystems();
  ASSERT_TRUE(cold_fs.ok()) << cold_fs.status().ToString();
  const HelloInfo cold_hello = cold->hello();
  ASSERT_TRUE(cold->Shutdown().ok());

  for (int round = 0; round < 2; ++round) {  // the first builds the template, the second reuses it
    std::unique_ptr<Appliance> warm = Launch(Config(true));
    ASSERT_NE(warm, nullptr);
    EXPECT_TRUE(warm->templated()) << warm->template_note();
    EXPECT_EQ(warm->built_template(), round == 0);
    EXPECT_TRUE(warm->hello().restored);
    EXPECT_EQ(warm->hello().filesystems, cold_hello.filesystems);
    EXPECT_EQ(warm->hello().shm_size, cold_hello.shm_size);
    ASSERT_NE(warm->shm(), nullptr);
    auto warm_fs = warm->control().ListFilesystems();
    ASSERT_TRUE(warm_fs.ok()) << warm_fs.status().ToString();
    ASSERT_EQ(warm_fs->size(), cold_fs->size());
    for (size_t i = 0; i < cold_fs->size(); ++i) {
      EXPECT_EQ((*warm_fs)[i].device, (*cold_fs)[i].device);
      EXPECT_EQ((*warm_fs)[i].uuid, (*cold_fs)[i].uuid);
      EXPECT_EQ((*warm_fs)[i].fstype, (*cold_fs)[i].fstype);
    }
    ASSERT_TRUE(warm->Shutdown().ok());
  }
  EXPECT_EQ(Published(templates_).size(), 1u);
  EXPECT_TRUE(Staging(templates_).empty());
}

TEST_F(TemplateTest, TheRestoredClockIsTheHosts) {
  ASSERT_NE(Launch(Config(true)), nullptr);  // builds the template
  // The template's clock stopped when it was saved; the restore comes later.
  std::unique_ptr<Appliance> app = Launch(Config(true));
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->templated());
  const int64_t host = HostRealtimeNs();
  const int64_t guest = app->hello().guest_time_ns;
  EXPECT_LT(std::llabs(host - guest), int64_t{2} * 1000000000)
      << "host " << host << " guest " << guest;
}

TEST_F(TemplateTest, ADamagedTemplateIsRebuiltNotRestored) {
  ASSERT_NE(Launch(Config(true)), nullptr);
  const std::string entry = TemplateDir();
  ASSERT_FALSE(entry.empty());
  const std::string before = ReadWholeFile(entry + "/template.json");
  {  // one byte of the RAM, written in place
    std::fstream ram(entry + "/ram", std::ios::in | std::ios::out | std::ios::binary);
    ram.seekp(4096);
    ram.put('\x5a');
  }
  std::unique_ptr<Appliance> app = Launch(Config(true));
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->templated());
  EXPECT_TRUE(app->built_template());
  EXPECT_NE(ReadWholeFile(TemplateDir() + "/template.json"), before);
}

TEST_F(TemplateTest, ATemplateThatFailsToRestoreIsRebuiltOnce) {
  ASSERT_NE(Launch(Config(true)), nullptr);
  const std::string entry = TemplateDir();
  ASSERT_FALSE(entry.empty());
  // A state file QEMU refuses, recorded as if it had been published so: only the restore
  // can find out.
  {
    std::ofstream state(entry + "/state", std::ios::binary | std::ios::trunc);
    state << "QEVM this is no migration stream";
  }
  std::string out;
  ASSERT_EQ(RunShell("cd '" + entry +
                         "' && sha256sum state | cut -d' ' -f1 && stat -c '%s %i %Y %Z' state",
                     &out),
            0);
  nlohmann::json meta = nlohmann::json::parse(ReadWholeFile(entry + "/template.json"));
  struct stat st {};
  ASSERT_EQ(::stat((entry + "/state").c_str(), &st), 0);
  meta["state"]["sha256"] = out.substr(0, 64);
  meta["state"]["size"] = static_cast<uint64_t>(st.st_size);
  meta["state"]["ino"] = static_cast<uint64_t>(st.st_ino);
  meta["state"]["mtime_ns"] = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  meta["state"]["ctime_ns"] = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  fs::remove(entry + "/template.json");
  std::ofstream(entry + "/template.json") << meta.dump();

  std::unique_ptr<Appliance> app = Launch(Config(true));
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->templated()) << app->template_note();
  EXPECT_TRUE(app->built_template());
  auto found = app->control().ListFilesystems();
  EXPECT_TRUE(found.ok()) << found.status().ToString();
}

TEST_F(TemplateTest, AKeyRecordedAsUnusableBootsColdAndSaysWhy) {
  Result<std::unique_ptr<TemplateStore>> store = OpenTemplateStore(templates_);
  ASSERT_TRUE(store.ok());
  Result<std::string> key = (*store)->Key(Config(true), Accelerator::kTcg);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  (*store)->MarkUnusable(*key, "QMP migrate: refused in a test");
  std::unique_ptr<Appliance> app = Launch(Config(true));
  ASSERT_NE(app, nullptr);
  EXPECT_FALSE(app->templated());
  EXPECT_NE(app->template_note().find("refused in a test"), std::string::npos)
      << app->template_note();
  EXPECT_TRUE(Published(templates_).empty());  // nothing was built
}

TEST_F(TemplateTest, LaunchesAtOnceBuildOneTemplate) {
  std::unique_ptr<Appliance> apps[2];
  std::thread other([&] { apps[1] = Launch(Config(true)); });
  apps[0] = Launch(Config(true));
  other.join();
  ASSERT_NE(apps[0], nullptr);
  ASSERT_NE(apps[1], nullptr);
  EXPECT_TRUE(apps[0]->templated());
  EXPECT_TRUE(apps[1]->templated());
  EXPECT_EQ(apps[0]->built_template() + apps[1]->built_template(), 1);
  EXPECT_EQ(Published(templates_).size(), 1u);
}

TEST_F(TemplateTest, NothingAGuestWritesReachesTheTemplate) {
  ASSERT_NE(Launch(Config(true)), nullptr);
  const std::string entry = TemplateDir();
  ASSERT_FALSE(entry.empty());
  const std::string meta_before = ReadWholeFile(entry + "/template.json");
  // A marker no template can hold by chance, copied into the image through a restored
  // appliance: its bytes pass through that guest's page cache.
  std::mt19937_64 random(std::random_device{}());
  std::string marker(64 << 10, '\0');
  for (char& c : marker) c = static_cast<char>(random());
  std::ofstream(dir_ + "/marker.bin", std::ios::binary) << marker;
  ApplianceConfig config = Config(true);
  config.drives[0].writable = true;
  std::unique_ptr<Appliance> writer = Launch(config);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->templated());
  auto mounted = writer->control().Mount("/dev/sda", /*read_write=*/true, "", "/");
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  auto source = HostTreeReader::Open({dir_ + "/marker.bin"}, {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto injected = InjectTree(*writer, source->get(), "/", TransferOptions{});
  ASSERT_TRUE(injected.ok()) << injected.status().ToString();
  // A second appliance of the same template, running while the first holds the marker.
  std::unique_ptr<Appliance> reader = Launch(Config(true));
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->templated());
  ASSERT_TRUE(reader->Shutdown().ok());
  ASSERT_TRUE(writer->Shutdown().ok());
  EXPECT_EQ(ReadWholeFile(entry + "/ram").find(marker.substr(0, 4096)), std::string::npos);
  EXPECT_EQ(ReadWholeFile(entry + "/template.json"), meta_before);
  Result<std::unique_ptr<TemplateStore>> store = OpenTemplateStore(templates_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Find(fs::path(entry).filename().string(), /*verify_ram=*/true).ok());
}

TEST_F(TemplateTest, AKilledBuildPublishesNothing) {
  const std::string cache = dir_ + "/cache";
  const std::string templates = cache + "/templates";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string prog = BuiltProgram("diskferry");
    ::execl(prog.c_str(), prog.c_str(), "appliance", "check", "--cache-dir", cache.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it as soon as its template build has a staging directory: the loop ends on that
  // or on diskferry ending first, with no time claim; the pause only spares the CPU the
  // build needs.
  bool staged = false;
  while (!(staged = !Staging(templates).empty())) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) FAIL() << "diskferry ended first";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(Published(templates).empty());
  // The next run builds and publishes it, and clears the abandoned staging directory.
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("appliance check --cache-dir '" + cache + "'"), &out), 0) << out;
  EXPECT_NE(out.find("launch: templated (template built first)"), std::string::npos) << out;
  EXPECT_EQ(Published(templates).size(), 1u);
  EXPECT_TRUE(Staging(templates).empty());
}

// A run records what opening an appliance cost on this host; `appliance check` shows the
// measured costs and the split weight they give.
TEST_F(TemplateTest, ARunMeasuresTheHostsCostsAndCheckShowsThem) {
  std::ofstream(dir_ + "/m.yaml") << "version: 1\njobs:\n  - {name: l, kind: list, source: disk.img, "
                                     "format: raw}\n";
  std::string out;
  // Twice: a launch that had to build its template first is not a measure.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report r.jsonl"), &out), 0)
        << out;
  }
  const HostCosts costs = LoadHostCosts(DefaultCacheDir() + "/" + kHostCostsFile);
  EXPECT_GT(costs.launch_seconds, 0);
  EXPECT_LT(costs.launch_seconds, 600);
  ASSERT_EQ(RunShell(Diskferry("appliance check"), &out), 0) << out;
  EXPECT_NE(out.find("measured costs: "), std::string::npos) << out;
  EXPECT_NE(out.find("parts of at least "), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
