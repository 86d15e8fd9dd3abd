// The storage tools really run in the appliance: a real appliance image boots with
// rdinit=/bin/sh (a kernel option; nothing in the image is changed) and runs a script
// from its first disk that unpacks the storage disk as the daemon does, loads the module
// groups of /etc/diskferry/modules.storage and uses lvm, cryptsetup, mdadm and dmsetup on
// the other disks. The daemon never starts, so
// Launch fails once the script powers off; the console log holds the results.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "appliance/appliance.h"
#include "appliance/image_session.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

constexpr char kPassphrase[] = "correct horse battery";
constexpr char kMarker[] = "diskferry-marker-1234";

// Run by busybox sh in the guest. `load GROUP` does what StorageModuleLoader does.
constexpr char kScript[] = R"SH(b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sys /sys
say() { echo "STORAGE-CHECK $*"; }
run() { name=$1; shift; "$@"; say "$name rc=$?"; }
# The tools are on the storage disk (serial diskferry-tools), as the daemon unpacks them.
for d in /sys/block/vd*; do
  [ "$($b cat $d/serial 2>/dev/null)" = diskferry-tools ] || continue
  (cd / && $b cpio -i -d -u -F /dev/${d##*/} 2>/dev/null); say "unpack rc=$?"
done
load() {
  for m in $($b sed -n "s/^$1 //p" /etc/diskferry/modules.storage); do
    $b grep -q "^$($b basename $m .ko | $b tr - _) " /proc/modules || insmod $m
  done
}
run lvm-version /usr/sbin/lvm version
run cryptsetup-version /usr/sbin/cryptsetup --version
run mdadm-version /usr/sbin/mdadm --version
load dm
run dmsetup-version /usr/sbin/dmsetup version
load crypt
printf '%s' "$KEY" | /usr/sbin/cryptsetup open --key-file=- /dev/vdb secret; say "luks-open rc=$?"
echo $MARKER | $b dd of=/dev/mapper/secret bs=512 conv=sync 2>/dev/null
run luks-close /usr/sbin/cryptsetup close secret
printf '%s' "$KEY" | /usr/sbin/cryptsetup open --readonly --key-file=- /dev/vdb secret; say "luks-reopen rc=$?"
say "luks-read $($b head -c 21 /dev/mapper/secret)"
run luks-close-again /usr/sbin/cryptsetup close secret
printf 'wrong' | /usr/sbin/cryptsetup open --key-file=- /dev/vdb secret; say "luks-wrong-key rc=$?"
load thin
[ -x /usr/sbin/thin_check ] && run thin-check-version /usr/sbin/thin_check -V
run pvcreate /usr/sbin/lvm pvcreate -q /dev/vdc
run vgcreate /usr/sbin/lvm vgcreate -q vg0 /dev/vdc
run lvcreate /usr/sbin/lvm lvcreate -q -L 8M -n plain vg0
run lvcreate-pool /usr/sbin/lvm lvcreate -q -L 8M -T vg0/pool
run lvcreate-thin /usr/sbin/lvm lvcreate -q -V 16M -T vg0/pool -n thin1
run vgchange-off /usr/sbin/lvm vgchange -q -an vg0
run vgchange-on /usr/sbin/lvm vgchange -q -ay vg0
say "lvs $(/usr/sbin/lvm lvs --noheadings -o lv_name vg0 | $b xargs)"
run vgchange-off-again /usr/sbin/lvm vgchange -q -an vg0
load raid
run mdadm-create /usr/sbin/mdadm --create /dev/md0 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 /dev/vdd /dev/vde
run mdadm-stop /usr/sbin/mdadm --stop /dev/md0
run mdadm-assemble /usr/sbin/mdadm --assemble --scan
say "mdstat $($b grep '^md' /proc/mdstat)"
say done
$b poweroff -f
)SH";

// Makes the boot modules load and runs /dev/vda, the script disk, with KEY and MARKER set.
std::string KernelArgs() {
  return std::string(
             "rdinit=/bin/sh -- -c \"mount -t devtmpfs dev /dev; for m in $(cat "
             "/etc/diskferry/modules.boot); do insmod $m; done; KEY='") +
         kPassphrase + "' MARKER=" + kMarker + " exec /bin/sh /dev/vda\"";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class StorageToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("storage");
    ASSERT_FALSE(dir_.empty());
    auto image = BuildTestAppliance();
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = *image;
  }
  void TearDown() override { RemoveTree(dir_); }

  // A raw disk of `size_mib` MiB, or the script padded with newlines to a whole sector.
  std::string Disk(const std::string& name, int size_mib) {
    std::string out;
    const std::string path = dir_ + "/" + name;
    EXPECT_EQ(RunShell("truncate -s " + std::to_string(size_mib) + "M " + path, &out), 0) << out;
    return path;
  }
  std::string ScriptDisk() {
    std::string text = kScript;
    text.resize((text.size() / 4096 + 1) * 4096, '\n');
    const std::string path = dir_ + "/script.img";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::string dir_;
  ApplianceImage image_;
};

TEST_F(StorageToolsTest, LvmCryptsetupMdadmAndDmsetupRunInTheAppliance) {
  for (const char* tool : {"cryptsetup", "dmsetup", "lvm", "mdadm"}) {
    if (std::find(image_.storage_tools.begin(), image_.storage_tools.end(), tool) ==
        image_.storage_tools.end()) {
      GTEST_SKIP() << tool << " is not in this appliance (scripts/setup.sh installs it)";
    }
  }
  // LUKS2 with argon2id over 64 MiB: libargon2's threads end with pthread_exit, which
  // needs the libgcc_s the builder packs for cryptsetup.
  const std::string luks = Disk("luks.img", 32);
  std::ofstream(dir_ + "/key", std::ios::binary) << kPassphrase;
  std::string out;
  ASSERT_EQ(RunShell("cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id "
                     "--pbkdf-memory 65536 --pbkdf-force-iterations 4 --key-file " +
                         dir_ + "/key " + luks,
                     &out),
            0)
      << out;
  ApplianceConfig config;
  config.image = image_;
  for (const std::string& disk :
       {ScriptDisk(), luks, Disk("pv.img", 64), Disk("md1.img", 64), Disk("md2.img", 64)}) {
    DriveSpec drive;
    drive.path = disk;
    drive.writable = disk != dir_ + "/script.img";
    config.drives.push_back(drive);  // /dev/vda, /dev/vdb, ...
  }
  config.extra_kernel_args = KernelArgs();
  config.console_log = dir_ + "/console.log";
  config.shm_size = 0;
  config.use_template = false;  // a script, not the daemon, runs: nothing to save
  config.launch_timeout = std::chrono::seconds(240);
  auto appliance = Appliance::Launch(config);
  ASSERT_FALSE(appliance.ok()) << "the daemon never runs here";
  const std::string console = ReadFile(config.console_log);
  ASSERT_NE(console.find("STORAGE-CHECK done"), std::string::npos)
      << appliance.status().message() << "\n"
      << console;
  // The console turns each "\n" into "\r\n".
  for (const char* line : {"unpack rc=0",
                           "lvm-version rc=0",
                           "cryptsetup-version rc=0",
                           "mdadm-version rc=0",
                           "dmsetup-version rc=0",
                           "luks-open rc=0",
                           "luks-reopen rc=0",
                           "luks-read diskferry-marker-1234",
                           "luks-wrong-key rc=2",
                           "pvcreate rc=0",
                           "vgcreate rc=0",
                           "lvcreate rc=0",
                           "lvcreate-pool rc=0",
                           "lvcreate-thin rc=0",
                           "vgchange-off rc=0",
                           "vgchange-on rc=0",
                           "lvs plain pool thin1\r",
                           "mdadm-create rc=0",
                           "mdadm-stop rc=0",
                           "mdadm-assemble rc=0",
                           "mdstat md0 : active raid1 "}) {
    EXPECT_NE(console.find(std::string("STORAGE-CHECK ") + line), std::string::npos) << line << "\n"
                                                                                     << console;
  }
  // With thin-provisioning-tools on the host, lvm ran thin_check when it activated the
  // pool (lvm.conf names it), and it runs on its own too.
  if (std::find(image_.storage_tools.begin(), image_.storage_tools.end(), "thin_check") !=
      image_.storage_tools.end()) {
    EXPECT_NE(console.find("STORAGE-CHECK thin-check-version rc=0"), std::string::npos) << console;
  }
  // The marker went through dm-crypt: the image holds only ciphertext.
  EXPECT_EQ(ReadFile(luks).find(kMarker), std::string::npos);
}

}  // namespace
}  // namespace diskferry::testing
