#!/usr/bin/env bash
# scripts/package.sh on the build directory gives a .deb whose control fields name the run
# time dependencies (with those of the shared libraries, from dpkg-shlibdeps), whose files
# are where packaging/install.cmake puts them under /usr, whose unit names
# /usr/bin/diskferry, and whose command runs.
# Usage: debian_package_test.sh SOURCE BUILD
set -euo pipefail
source_dir=$1 build=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deb=$("$source_dir/scripts/package.sh" "$build" "$work")
[ -f "$deb" ] || fail "scripts/package.sh made no package"
[ "$(dpkg-deb -f "$deb" Package)" = diskferry ] || fail "Package is not diskferry"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in qemu-system-x86 qemu-utils linux-image-cloud-amd64 busybox-static libc6 libarchive13; do
  grep -qE "(^|, |\| )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
recommends=$(dpkg-deb -f "$deb" Recommends)
for rec in lvm2 cryptsetup-bin mdadm; do
  grep -q "$rec" <<<"$recommends" || fail "Recommends lacks $rec: $recommends"
done

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/bin/diskferry ./usr/lib/diskferry/diskferry-daemon \
  ./usr/share/man/man1/diskferry.1 ./usr/share/bash-completion/completions/diskferry \
  ./usr/lib/systemd/system/diskferry-backup@.service ./usr/lib/systemd/system/diskferry-backup@.timer \
  ./usr/share/doc/diskferry/docs/scheduling.md ./usr/share/doc/diskferry/examples/cron/diskferry; do
  grep -qx -- "$f" <<<"$contents" || fail "the package lacks $f"
done
if [ -e "$build/bin/diskferry-ewf" ]; then  # E01 support was built: it ships, with nbdkit
  for f in ./usr/lib/diskferry/diskferry-ewf ./usr/lib/diskferry/nbdkit-diskferry-ewf-plugin.so; do
    grep -qx -- "$f" <<<"$contents" || fail "the package lacks $f"
  done
  grep -q "libewf" <<<"$depends" || fail "Depends lacks libewf: $depends"
  grep -q "nbdkit" <<<"$recommends" || fail "Recommends lacks nbdkit: $recommends"
fi
dpkg-deb -x "$deb" "$work/root"
grep -qx 'ExecStart=/usr/bin/diskferry run /etc/diskferry/%i.yaml' \
  "$work/root/usr/lib/systemd/system/diskferry-backup@.service" ||
  fail "the packaged unit does not name /usr/bin/diskferry"
[ "$("$work/root/usr/bin/diskferry" --version)" = "$("$build/bin/diskferry" --version)" ] ||
  fail "the packaged command's --version differs"
echo "ok: $(basename "$deb"), Depends: $depends"
