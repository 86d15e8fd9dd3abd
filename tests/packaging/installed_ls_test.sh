#!/usr/bin/env bash
# The installed command lists an image made by mke2fs -d: it finds its daemon under the
# prefix (lib/diskferry), not in the build tree, builds an appliance from it and boots it.
# Usage: installed_ls_test.sh PREFIX CACHE_HOME
set -euo pipefail
prefix=$1 cache_home=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree/etc"
echo installed >"$work/tree/etc/hostname"
mke2fs -q -F -t ext4 -d "$work/tree" "$work/disk.img" 16M >/dev/null
out=$(cd "$work" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_CACHE_HOME="$cache_home" \
  "$prefix/bin/diskferry" ls disk.img:/etc 2>&1) || fail "ls failed: $out"
grep -qx hostname <<<"$out" || fail "ls printed no hostname: $out"
echo "ok: $prefix/bin/diskferry ls disk.img:/etc"
