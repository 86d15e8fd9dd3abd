// Shared helpers for the image builder's tests: scratch directories, a fake kernel tree
// (a /boot and /lib/modules with small fake modules), and reading a cpio archive back.
// Not thread-safe unless noted; each test makes its own directories.
#ifndef DISKFERRY_TESTS_APPLIANCE_BUILDER_TEST_SUPPORT_H_
#define DISKFERRY_TESTS_APPLIANCE_BUILDER_TEST_SUPPORT_H_

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace diskferry::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/df-builder-XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `content` to `path`, creating parent directories.
inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A minimal bzImage: enough of the setup header for ReadBzImageRelease.
inline std::string FakeBzImage(const std::string& release) {
  std::string image(0x600, '\0');
  image.replace(0x202, 4, "HdrS");
  uint16_t version_offset = 0x300 - 0x200;
  image[0x20E] = static_cast<char>(version_offset & 0xff);
  image[0x20F] = static_cast<char>(version_offset >> 8);
  std::string version = release + " (test@example) #1 SMP";
  image.replace(0x300, version.size() + 1, version + '\0');
  return image;
}

// modules.dep of the fake kernel: virtio, qemu_fw_cfg, xfs (+ libcrc32c, which softdeps on crc32c),
// vfat with NLS tables, isofs; ext4 is built in; no btrfs, f2fs or anything else. For
// storage: dm-mod, dm-crypt with its crypto modules (aes, cbc and sha256 built in; no
// sha512), dm-thin-pool; no snapshot, mirror or md RAID.
inline const char* kFakeModulesDep =
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
    "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/scsi/scsi_mod.ko:\n"
    "kernel/drivers/scsi/virtio_scsi.ko: kernel/drivers/scsi/scsi_mod.ko "
    "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/firmware/qemu_fw_cfg.ko:\n"
    "kernel/lib/libcrc32c.ko:\n"
    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
    "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
    "kernel/fs/fat/fat.ko:\n"
    "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"
    "kernel/fs/nls/nls_cp437.ko:\n"
    "kernel/fs/nls/nls_iso8859-1.ko:\n"
    "kernel/fs/nls/nls_utf8.ko:\n"
    "kernel/fs/nls/nls_ascii.ko:\n"
    "kernel/drivers/cdrom/cdrom.ko:\n"
    "kernel/fs/isofs/isofs.ko: kernel/drivers/cdrom/cdrom.ko\n"
    "kernel/net/unused/unused.ko:\n"
    "kernel/drivers/md/dm-mod.ko:\n"
    "kernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko\n"
    "kernel/crypto/ecb.ko:\n"
    "kernel/crypto/xts.ko:\n"
    "kernel/crypto/authenc.ko:\n"
    "kernel/crypto/essiv.ko: kernel/crypto/authenc.ko\n"
    "kernel/crypto/af_alg.ko:\n"
    "kernel/crypto/algif_skcipher.ko: kernel/crypto/af_alg.ko\n"
    "kernel/drivers/md/dm-bufio.ko: kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/md/dm-bio-prison.ko:\n"
    "kernel/drivers/md/persistent-data/dm-persistent-data.ko: kernel/drivers/md/dm-bufio.ko "
    "kernel/drivers/md/dm-mod.ko kernel/lib/libcrc32c.ko\n"
    "kernel/drivers/md/dm-thin-pool.ko: kernel/drivers/md/persistent-data/dm-persistent-data.ko "
    "kernel/drivers/md/dm-bio-prison.ko kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko "
    "kernel/lib/libcrc32c.ko\n";
inline const char* kFakeModulesBuiltin =
    "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\nkernel/crypto/aes_generic.ko\n"
    "kernel/crypto/cbc.ko\nkernel/crypto/sha256_generic.ko\n";
inline const char* kFakeModulesSoftdep = "softdep libcrc32c pre: crc32c\n";
inline const char* kFakeModulesAlias =
    "alias crc32c crc32c_intel\nalias fs-xfs xfs\nalias fs-unused unused\n";

// Debian's choices that matter to the plan.
inline const char* kFakeConfig =
    "CONFIG_EXT4_FS=y\nCONFIG_XFS_FS=m\nCONFIG_FAT_DEFAULT_CODEPAGE=437\n"
    "CONFIG_FAT_DEFAULT_IOCHARSET=\"ascii\"\n";

// Creates ROOT/boot/vmlinuz-RELEASE and ROOT/modules/RELEASE with the fake index files
// above and one small file per module. Returns nothing; gtest assertions catch failures
// later through the code under test.
inline void MakeFakeKernelTree(const std::string& root, const std::string& release) {
  WriteFile(root + "/boot/vmlinuz-" + release, FakeBzImage(release));
  WriteFile(root + "/boot/config-" + release, kFakeConfig);
  std::string modules = root + "/modules/" + release;
  WriteFile(modules + "/modules.dep", kFakeModulesDep);
  WriteFile(modules + "/modules.builtin", kFakeModulesBuiltin);
  WriteFile(modules + "/modules.softdep", kFakeModulesSoftdep);
  WriteFile(modules + "/modules.alias", kFakeModulesAlias);
  std::istringstream dep(kFakeModulesDep);
  for (std::string line; std::getline(dep, line);) {
    std::string path = line.substr(0, line.find(':'));
    WriteFile(modules + "/" + path,
              "\x7f"
              "ELF fake module " +
                  path);
  }
}

struct CpioMember {
  unsigned type = 0;  // AE_IFREG, AE_IFDIR, ...
  unsigned mode = 0;  // permission bits
  int64_t uid = -1, gid = -1, mtime = -1;
  std::string content;
  std::string symlink;
};

// Every member of the cpio archive at `path`, by name; empty when it cannot be read.
inline std::map<std::string, CpioMember> ReadCpio(const std::string& path) {
  std::map<std::string, CpioMember> members;
  archive* a = archive_read_new();
  archive_read_support_format_cpio(a);
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) {
    archive_entry* e = nullptr;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      CpioMember m;
      m.type = archive_entry_filetype(e);
      m.mode = archive_entry_perm(e);
      m.uid = archive_entry_uid(e);
      m.gid = archive_entry_gid(e);
      m.mtime = archive_entry_mtime(e);
      if (const char* link = archive_entry_symlink(e)) m.symlink = link;
      m.content.resize(static_cast<size_t>(archive_entry_size(e)));
      if (!m.content.empty()) archive_read_data(a, m.content.data(), m.content.size());
      members[archive_entry_pathname(e)] = m;
    }
  }
  archive_read_free(a);
  return members;
}

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_APPLIANCE_BUILDER_TEST_SUPPORT_H_
