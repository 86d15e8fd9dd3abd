#!/usr/bin/env bash
# Installs every build and run dependency of diskferry from Debian 12 and builds it.
# Idempotent: packages already present are not reinstalled and the build is incremental,
# so a second run takes seconds. Usage: scripts/setup.sh [BUILD_DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}

packages=(
  # build
  cmake ninja-build g++ pkg-config
  flatbuffers-compiler libflatbuffers-dev libtbb-dev libyaml-cpp-dev libgtest-dev
  libarchive-dev libssl-dev libcli11-dev libblkid-dev nlohmann-json3-dev
  # the sanitizer build and the fuzz targets (scripts/test.sh, tests/fuzz): clang with
  # libFuzzer and the sanitizer runtimes, and llvm-symbolizer for readable reports
  clang libclang-rt-14-dev llvm
  # appliance: QEMU, a kernel with its modules, busybox for the guest. The cloud
  # kernel boots fastest; the generic one serves the filesystems the cloud one lacks
  # (f2fs), and a session whose image needs one boots it (appliance/kernel_choice.h)
  qemu-system-x86 qemu-utils linux-image-cloud-amd64 linux-image-amd64 busybox-static kmod cpio
  # storage tools the appliance builder packs from the host with their libraries
  # (appliance/storage_tools.h): LVM2, LUKS1/LUKS2, md RAID, device mapper, and
  # thin_check/cache_check, which LVM runs when it activates a thin pool or cache
  lvm2 cryptsetup-bin mdadm dmsetup thin-provisioning-tools
  # The Sleuth Kit (fls, icat), packed the same way for recover: deleted
  sleuthkit
  # filesystem tools used by the tests and the demo
  e2fsprogs xfsprogs btrfs-progs dosfstools mtools fdisk f2fs-tools ntfs-3g
  # tests: libguestfs, which the benchmarks and cross-checks run beside diskferry (with
  # its XFS support)
  libguestfs-tools libguestfs-xfs
  # decompressing .ko.xz / .ko.zst modules on other kernels; zstd also compresses
  # .tar.zst outputs (libarchive runs the program)
  xz-utils zstd
  # packaging tests (tests/packaging): systemd-analyze verify on the units, groff to check
  # the manual page and man for the units' Documentation=; dpkg-shlibdeps (dpkg-dev, below)
  # for the Debian package's library dependencies
  systemd groff-base man-db
  # the backup tools whose recipes docs/backup-tools.md gives and
  # tests/integration/backup_tools_test.cc runs end to end
  restic borgbackup
  # E01 evidence images (ewf/, appliance/ewf.h): libewf and the nbdkit plugin API to build
  # the plugin and diskferry-ewf, nbdkit to serve the medium to QEMU, and ewf-tools
  # (ewfacquire, ewfinfo) to make and check the test images
  libewf-dev nbdkit-plugin-dev nbdkit ewf-tools
  # the Windows host build (scripts/build-windows.sh, docs/windows.md): the mingw-w64
  # cross compiler, mingw zlib, dpkg-source for Debian's source packages, and wine to run
  # the Windows unit tests
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix libz-mingw-w64-dev dpkg-dev
  wine64 wine
  # forensic outputs' tests: xmllint validates the DFXML against the shipped schema, and
  # The Sleuth Kit's fiwalk, fls and mactime are the reference the DFXML and body files
  # are compared with
  libxml2-utils sleuthkit
  # the scale-out test (tests/scaleout): a single-node Slurm cluster with its own munged
  # runs examples/slurm's job array on this host
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  echo "setup: all ${#packages[@]} packages present"
fi

# Debian installs kernels 0600; the appliance boots the host's kernel, so it must be readable.
for k in /boot/vmlinuz-*; do
  if [ -e "$k" ] && [ ! -r "$k" ]; then
    echo "setup: $k is not readable by $(id -un); making kernels readable (as libguestfs needs too)"
    "${sudo_cmd[@]}" chmod 0644 /boot/vmlinuz-*
    break
  fi
done

cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -- -j"$(nproc)"
echo "setup: built into $build"
