// QemuCommand (exact argv, escaping, shell quoting) and the accelerator choice.
#include "appliance/qemu_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "appliance/accelerator.h"

namespace diskferry {
namespace {

using Argv = std::vector<std::string>;

QemuCommand FullCommand() {
  QemuCommand cmd;
  cmd.Binary("/usr/bin/qemu-system-x86_64").Machine("pc").Accel(Accelerator::kTcg);
  cmd.Memory(512).Cpus(2).NoDefaults().ConsoleLog("/tmp/d/console.log");
  cmd.Kernel("/boot/vmlinuz").Initrd("/cache/initrd.img").Append("console=ttyS0 quiet");
  cmd.AddDrive({"/img/a.raw", "raw", true, {}}).AddDrive({"/img/b.qcow2", "qcow2", false, {}});
  cmd.SerialPort("/tmp/d/ctl.sock", "org.diskferry.ctl.0");
  cmd.SharedMemory("/dev/shm/diskferry-1-0-ab", 256u << 20);
  return cmd;
}

TEST(QemuCommandTest, FullConfigRendersExactArgv) {
  // clang-format off
  const Argv expected = {
      "/usr/bin/qemu-system-x86_64",
      "-machine", "pc",
      "-accel", "tcg",
      "-m", "512",
      "-smp", "2",
      "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-chardev", "file,id=console,path=/tmp/d/console.log",
      "-serial", "chardev:console",
      "-kernel", "/boot/vmlinuz",
      "-initrd", "/cache/initrd.img",
      "-append", "console=ttyS0 quiet",
      "-blockdev", "driver=file,node-name=d0f,filename=/img/a.raw,read-only=on",
      "-blockdev", "driver=raw,node-name=d0,file=d0f,read-only=on",
      "-device", "virtio-blk-pci,drive=d0,addr=0x04",
      "-blockdev", "driver=file,node-name=d1f,filename=/img/b.qcow2,read-only=off",
      "-blockdev", R"({"driver":"qcow2","node-name":"d1","file":"d1f","read-only":false,"backing":null})",
      "-device", "virtio-blk-pci,drive=d1,addr=0x05",
      "-chardev", "socket,id=ctl,path=/tmp/d/ctl.sock,server=off",
      "-device", "virtio-serial-pci,addr=0x02",
      "-device", "virtserialport,chardev=ctl,name=org.diskferry.ctl.0",
      "-object", "memory-backend-file,id=shm,size=268435456,share=on,mem-path=/dev/shm/diskferry-1-0-ab",
      "-device", "ivshmem-plain,memdev=shm,addr=0x03",
  };
  // clang-format on
  EXPECT_EQ(FullCommand().Argv(), expected);
}

TEST(QemuCommandTest, KvmAddsHostCpu) {
  QemuCommand cmd;
  cmd.Accel(Accelerator::kKvm);
  const Argv argv = cmd.Argv();
  const Argv want = {"-accel", "kvm", "-cpu", "host"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), want.begin(), want.end()), argv.end());
}

TEST(QemuCommandTest, WhpxRunsWithQemusIrqchipAndNoHostCpu) {
  QemuCommand cmd;
  cmd.Accel(Accelerator::kWhpx);
  const Argv argv = cmd.Argv();
  const Argv want = {"-accel", "whpx,kernel-irqchip=off", "-m"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), want.begin(), want.end()), argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-cpu"), argv.end());
}

TEST(QemuCommandTest, TcgIsPlainTcg) {
  const Argv argv = QemuCommand().Accel(Accelerator::kTcg).Argv();
  const Argv want = {"-accel", "tcg", "-m"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), want.begin(), want.end()), argv.end());
}

TEST(QemuCommandTest, SerialPortTcpConnectsToLoopbackWithTheSameDevices) {
  QemuCommand cmd;
  cmd.NoDefaults(false).Append("").SerialPortTcp(40123, "org.diskferry.ctl.0");
  // clang-format off
  const Argv expected = {
      kDefaultQemuBinary, "-machine", "q35", "-accel", "tcg", "-m", "512", "-smp", "1",
      "-chardev", "socket,id=ctl,host=127.0.0.1,port=40123,server=off",
      "-device", "virtio-serial-pci,addr=0x02",
      "-device", "virtserialport,chardev=ctl,name=org.diskferry.ctl.0",
  };
  // clang-format on
  EXPECT_EQ(cmd.Argv(), expected);
}

TEST(QemuCommandTest, TheLastControlPortSetterWins) {
  QemuCommand tcp_after_unix;
  tcp_after_unix.SerialPort("/tmp/d/ctl.sock").SerialPortTcp(5000);
  const Argv a = tcp_after_unix.Argv();
  EXPECT_NE(std::find(a.begin(), a.end(), "socket,id=ctl,host=127.0.0.1,port=5000,server=off"),
            a.end());
  EXPECT_EQ(std::count(a.begin(), a.end(), "-chardev"), 1);
  QemuCommand unix_after_tcp;
  unix_after_tcp.SerialPortTcp(5000).SerialPort("/tmp/d/ctl.sock");
  const Argv b = unix_after_tcp.Argv();
  EXPECT_NE(std::find(b.begin(), b.end(), "socket,id=ctl,path=/tmp/d/ctl.sock,server=off"),
            b.end());
  EXPECT_EQ(std::count(b.begin(), b.end(), "-chardev"), 1);
}

TEST(QemuCommandTest, FirmwareFileNamesTheFileNeverItsBytes) {
  QemuCommand cmd;
  cmd.NoDefaults(false).Append("").FirmwareFile("opt/diskferry/secret", "/tmp/d,x/secret");
  // clang-format off
  const Argv expected = {
      kDefaultQemuBinary, "-machine", "q35", "-accel", "tcg", "-m", "512", "-smp", "1",
      "-fw_cfg", "name=opt/diskferry/secret,file=/tmp/d,,x/secret",
  };
  // clang-format on
  EXPECT_EQ(cmd.Argv(), expected);
}

TEST(QemuCommandTest, DefaultsBootTheStandardCmdline) {
  const Argv argv = QemuCommand().Argv();
  EXPECT_EQ(argv[0], kDefaultQemuBinary);
  EXPECT_EQ(argv[2], "q35");
  auto it = std::find(argv.begin(), argv.end(), "-append");
  ASSERT_NE(it, argv.end());
  EXPECT_EQ(*(it + 1), kDefaultKernelCmdline);
  EXPECT_NE(std::string(kDefaultKernelCmdline).find("diskferry.port=org.diskferry.ctl.0"),
            std::string::npos);
  EXPECT_NE(std::string(kDefaultKernelCmdline).find("panic=-1"), std::string::npos);
}

TEST(QemuCommandTest, EscapeOptionValueDoublesCommas) {
  EXPECT_EQ(EscapeOptionValue("plain"), "plain");
  EXPECT_EQ(EscapeOptionValue("a,b"), "a,,b");
  EXPECT_EQ(EscapeOptionValue(",,"), ",,,,");
  EXPECT_EQ(EscapeOptionValue(""), "");
}

TEST(QemuCommandTest, CommaInPathsCannotInjectOptions) {
  QemuCommand cmd;
  cmd.AddDrive({"/img/x,format=qcow2,file=/etc/shadow", "raw", true, {}});
  cmd.SerialPort("/tmp/a,b/ctl.sock");
  cmd.SharedMemory("/dev/shm/x,y", 8192);
  cmd.ConsoleLog("/tmp/c,d.log");
  const Argv argv = cmd.Argv();
  auto has = [&](const std::string& s) {
    return std::find(argv.begin(), argv.end(), s) != argv.end();
  };
  EXPECT_TRUE(
      has("driver=file,node-name=d0f,filename=/img/x,,format=qcow2,,file=/etc/shadow,"
          "read-only=on"));
  EXPECT_TRUE(has("socket,id=ctl,path=/tmp/a,,b/ctl.sock,server=off"));
  EXPECT_TRUE(has("memory-backend-file,id=shm,size=8192,share=on,mem-path=/dev/shm/x,,y"));
  EXPECT_TRUE(has("file,id=console,path=/tmp/c,,d.log"));
}

// QEMU's `file` driver refuses a block device; `host_device` opens it.
TEST(QemuCommandTest, ABlockDeviceIsOpenedWithTheHostDeviceDriver) {
  std::error_code ec;
  if (!std::filesystem::is_block_file("/dev/loop0", ec)) GTEST_SKIP() << "no /dev/loop0 here";
  QemuCommand cmd;
  cmd.AddDrive({"/dev/loop0", "raw", true, {}});
  const Argv argv = cmd.Argv();
  EXPECT_NE(std::find(argv.begin(), argv.end(),
                      "driver=host_device,node-name=d0f,filename=/dev/loop0,read-only=on"),
            argv.end());
}

TEST(QemuCommandTest, BackingChainIsGivenNodeByNodeDeepestFirst) {
  QemuCommand cmd;
  cmd.AddDrive({"/img/top.qcow2", "qcow2", false,
                {{"/img/mid.qcow2", "qcow2"}, {"/img/base.img", "raw"}}});
  const Argv argv = cmd.Argv();
  const auto first = std::find(argv.begin(), argv.end(), "-blockdev");
  // clang-format off
  const Argv expected = {
      "-blockdev", "driver=file,node-name=d0b1f,filename=/img/base.img,read-only=on",
      "-blockdev", "driver=raw,node-name=d0b1,file=d0b1f,read-only=on",
      "-blockdev", "driver=file,node-name=d0b0f,filename=/img/mid.qcow2,read-only=on",
      "-blockdev", "driver=qcow2,node-name=d0b0,file=d0b0f,read-only=on,backing=d0b1",
      "-blockdev", "driver=file,node-name=d0f,filename=/img/top.qcow2,read-only=off",
      "-blockdev", "driver=qcow2,node-name=d0,file=d0f,read-only=off,backing=d0b0",
      "-device", "virtio-blk-pci,drive=d0,addr=0x04",
  };
  // clang-format on
  ASSERT_NE(first, argv.end());
  EXPECT_EQ(Argv(first, first + static_cast<std::ptrdiff_t>(expected.size())), expected);
}

TEST(QemuCommandTest, AnE01IsAnNbdNodeOnItsSocketAndItsFileIsNeverNamed) {
  QemuCommand cmd;
  // A read-only session: the throw-away overlay over the E01's medium.
  cmd.AddDrive(
      {"/tmp/o/disk0.qcow2", "qcow2", false, {{"/ev/case,1.E01", "raw", "/tmp/e,1/d.sock"}}});
  // --no-replay: the medium is the drive itself.
  cmd.AddDrive({"/ev/case,1.E01", "raw", true, {}, "/tmp/e,1/d.sock"});
  const Argv argv = cmd.Argv();
  const auto first = std::find(argv.begin(), argv.end(), "-blockdev");
  // clang-format off
  const Argv expected = {
      "-blockdev", "driver=nbd,node-name=d0b0f,server.type=unix,server.path=/tmp/e,,1/d.sock,read-only=on",
      "-blockdev", "driver=raw,node-name=d0b0,file=d0b0f,read-only=on",
      "-blockdev", "driver=file,node-name=d0f,filename=/tmp/o/disk0.qcow2,read-only=off",
      "-blockdev", "driver=qcow2,node-name=d0,file=d0f,read-only=off,backing=d0b0",
      "-device", "virtio-blk-pci,drive=d0,addr=0x04",
      "-blockdev", "driver=nbd,node-name=d1f,server.type=unix,server.path=/tmp/e,,1/d.sock,read-only=on",
      "-blockdev", "driver=raw,node-name=d1,file=d1f,read-only=on",
      "-device", "virtio-blk-pci,drive=d1,addr=0x05",
  };
  // clang-format on
  ASSERT_NE(first, argv.end());
  EXPECT_EQ(Argv(first, first + static_cast<std::ptrdiff_t>(expected.size())), expected);
  for (const std::string& arg : argv) EXPECT_EQ(arg.find("E01"), std::string::npos) << arg;
}

TEST(QemuCommandTest, ATemplateSharesItsRamFileAndARestoreMapsItPrivately) {
  QemuCommand saved;
  saved.Memory(512).RamFile("/cache/t,1/ram", /*shared=*/true).QmpSocket("/tmp/d/qmp");
  const Argv save = saved.Argv();
  const auto machine = std::find(save.begin(), save.end(), "-machine");
  ASSERT_NE(machine, save.end());
  EXPECT_EQ(*(machine + 1), "q35,memory-backend=ram");
  const auto object = std::find(save.begin(), save.end(), "-object");
  ASSERT_NE(object, save.end());
  EXPECT_EQ(*(object + 1),
            "memory-backend-file,id=ram,size=512M,mem-path=/cache/t,,1/ram,share=on");
  const auto qmp = std::find(save.begin(), save.end(), "-qmp");
  ASSERT_NE(qmp, save.end());
  EXPECT_EQ(*(qmp + 1), "unix:/tmp/d/qmp,server=on,wait=off");
  EXPECT_EQ(std::find(save.begin(), save.end(), "-incoming"), save.end());

  QemuCommand restored;
  restored.Memory(512).RamFile("/cache/t/ram", /*shared=*/false).IncomingDeferred();
  const Argv restore = restored.Argv();
  const auto private_ram = std::find(restore.begin(), restore.end(), "-object");
  ASSERT_NE(private_ram, restore.end());
  EXPECT_EQ(*(private_ram + 1),
            "memory-backend-file,id=ram,size=512M,mem-path=/cache/t/ram,share=off");
  const auto incoming = std::find(restore.begin(), restore.end(), "-incoming");
  ASSERT_NE(incoming, restore.end());
  EXPECT_EQ(*(incoming + 1), "defer");
  // Without a RAM file the machine has anonymous RAM, as before.
  const Argv plain = QemuCommand().Argv();
  EXPECT_NE(std::find(plain.begin(), plain.end(), "q35"), plain.end());
}

TEST(QemuCommandTest, DevicesKeepTheirSlotsWhateverElseIsAttached) {
  QemuCommand none;
  none.SerialPort("/s").SharedMemory("/dev/shm/x", 1 << 20);
  QemuCommand two;
  two.SerialPort("/s").SharedMemory("/dev/shm/x", 1 << 20);
  two.AddDrive({"/a", "raw", true, {}}).AddDrive({"/b", "raw", true, {}}).StorageDisk("/t");
  for (const Argv& argv : {none.Argv(), two.Argv()}) {
    EXPECT_NE(std::find(argv.begin(), argv.end(), "virtio-serial-pci,addr=0x02"), argv.end());
    EXPECT_NE(std::find(argv.begin(), argv.end(), "ivshmem-plain,memdev=shm,addr=0x03"),
              argv.end());
  }
  const Argv argv = two.Argv();
  EXPECT_NE(std::find(argv.begin(), argv.end(), "virtio-blk-pci,drive=d1,addr=0x05"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(),
                      "virtio-blk-pci,drive=tools,serial=diskferry-tools,addr=0x06"),
            argv.end());
}

TEST(QemuCommandTest, TheStorageDiskComesAfterEveryDriveReadOnlyWithItsSerial) {
  QemuCommand cmd;
  cmd.StorageDisk("/cache/e,x/storage.cpio").AddDrive({"/img/a.raw", "raw", false, {}});
  const Argv argv = cmd.Argv();
  const auto first = std::find(argv.begin(), argv.end(), "-blockdev");
  // clang-format off
  const Argv expected = {
      "-blockdev", "driver=file,node-name=d0f,filename=/img/a.raw,read-only=off",
      "-blockdev", "driver=raw,node-name=d0,file=d0f,read-only=off",
      "-device", "virtio-blk-pci,drive=d0,addr=0x04",
      "-blockdev", "driver=file,node-name=toolsf,filename=/cache/e,,x/storage.cpio,read-only=on",
      "-blockdev", "driver=raw,node-name=tools,file=toolsf,read-only=on",
      "-device", "virtio-blk-pci,drive=tools,serial=diskferry-tools,addr=0x05",
  };
  // clang-format on
  ASSERT_NE(first, argv.end());
  EXPECT_EQ(Argv(first, first + static_cast<std::ptrdiff_t>(expected.size())), expected);
  EXPECT_EQ(QemuCommand().StorageDisk("").Argv(), QemuCommand().Argv());
}

TEST(QemuCommandTest, NoDriveNamesAFileOrProtocolThroughDriveSyntax) {
  QemuCommand cmd;
  cmd.AddDrive({"json:{\"driver\":\"nbd\"}", "qcow2", true, {}});
  for (const std::string& arg : cmd.Argv()) {
    EXPECT_NE(arg, "-drive");
    EXPECT_EQ(arg.rfind("file=", 0), std::string::npos) << arg;
  }
  EXPECT_NE(cmd.ShellCommand().find("driver=file,node-name=d0f,filename=json:"), std::string::npos);
}

TEST(QemuCommandTest, ShellQuoteLeavesSafeWordsAlone) {
  EXPECT_EQ(ShellQuote("/usr/bin/qemu-system-x86_64"), "/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(ShellQuote("file=/a,if=none"), "file=/a,if=none");
}

TEST(QemuCommandTest, ShellQuoteQuotesEverythingElse) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("console=ttyS0 quiet"), "'console=ttyS0 quiet'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellQuote("a;rm -rf /"), "'a;rm -rf /'");
}

TEST(QemuCommandTest, ShellCommandRoundTripsThroughAShell) {
  QemuCommand cmd;
  cmd.Binary("printf").Append("it's a \"test\" $HOME `x` \\n");
  // printf '%s\n' ... prints each argument on its own line; argv[0] is the format.
  Argv argv = cmd.Argv();
  const std::string script =
      "printf '%s\\n' " + cmd.ShellCommand().substr(std::string("printf ").size());
  FILE* p = ::popen(script.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ASSERT_EQ(::pclose(p), 0);
  std::string expected;
  for (size_t i = 1; i < argv.size(); ++i) expected += argv[i] + "\n";
  EXPECT_EQ(out, expected);
}

// --- accelerator ---

TEST(AcceleratorTest, EnvOverrideTcgSkipsProbing) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "tcg", "/dev/null");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->accel, Accelerator::kTcg);
  EXPECT_NE(c->reason.find(kAccelEnvVar), std::string::npos) << c->reason;
}

TEST(AcceleratorTest, EnvOverrideKvmFailsWhenKvmIsMissing) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "kvm", "/nonexistent/kvm");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_NE(c.status().message().find("/nonexistent/kvm not present"), std::string::npos)
      << c.status().message();
}

TEST(AcceleratorTest, MalformedEnvIsAnError) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "hvf", "/dev/kvm");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "DISKFERRY_ACCEL=hvf: expected tcg, kvm, whpx or auto");
}

TEST(AcceleratorTest, ExplicitRequestWinsOverEnv) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kTcg, "kvm", "/nonexistent/kvm");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accelerator::kTcg);
}

TEST(AcceleratorTest, AutoFallsBackToTcgWithReason) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "", "/nonexistent/kvm");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accelerator::kTcg);
  EXPECT_EQ(c->reason, "TCG: KVM: /nonexistent/kvm not present");
}

TEST(AcceleratorTest, AutoRejectsADeviceThatIsNotKvm) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "auto", "/dev/null");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accelerator::kTcg);
  EXPECT_EQ(c->reason, "TCG: KVM: /dev/null is not a KVM device");
}

TEST(AcceleratorTest, AutoReportsADeviceThatCannotBeOpened) {
  Result<AccelChoice> c = ChooseAccelerator(AccelRequest::kAuto, "", "/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accel, Accelerator::kTcg);
  EXPECT_EQ(c->reason, "TCG: KVM: cannot open / read-write: Is a directory");
}

TEST(AcceleratorTest, OnlyAProbedChoiceMayBeReplacedByTheLauncher) {
  Result<AccelChoice> fallback = ChooseAccelerator(AccelRequest::kAuto, "", "/nonexistent/kvm");
  ASSERT_TRUE(fallback.ok());
  EXPECT_TRUE(fallback->probed);
  Result<AccelChoice> asked = ChooseAccelerator(AccelRequest::kTcg, "", "/nonexistent/kvm");
  ASSERT_TRUE(asked.ok());
  EXPECT_FALSE(asked->probed);
  Result<AccelChoice> from_env = ChooseAccelerator(AccelRequest::kAuto, "tcg", "/dev/kvm");
  ASSERT_TRUE(from_env.ok());
  EXPECT_FALSE(from_env->probed);
  int version = 0;
  if (KvmUnusableReason(kKvmDevice, &version)) GTEST_SKIP() << "no usable " << kKvmDevice;
  Result<AccelChoice> probed = ChooseAccelerator(AccelRequest::kAuto, "", kKvmDevice);
  ASSERT_TRUE(probed.ok());
  EXPECT_EQ(probed->accel, Accelerator::kKvm);
  EXPECT_TRUE(probed->probed);
  Result<AccelChoice> demanded = ChooseAccelerator(AccelRequest::kKvm, "", kKvmDevice);
  ASSERT_TRUE(demanded.ok());
  EXPECT_FALSE(demanded->probed);
}

TEST(AcceleratorTest, ParseAccelRequest) {
  EXPECT_EQ(ParseAccelRequest("auto"), AccelRequest::kAuto);
  EXPECT_EQ(ParseAccelRequest("kvm"), AccelRequest::kKvm);
  EXPECT_EQ(ParseAccelRequest("tcg"), AccelRequest::kTcg);
  EXPECT_EQ(ParseAccelRequest("KVM"), std::nullopt);
  EXPECT_EQ(AccelName(Accelerator::kKvm), "kvm");
}

}  // namespace
}  // namespace diskferry
