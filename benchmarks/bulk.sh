#!/usr/bin/env bash
# Bulk benchmark: the work users queue, many small jobs on many images. 20 ext4 images of
# 32 MiB, each with a small tree (40 files). In the same run:
#   diskferry run -j 2   one manifest: per image a list job with sha256 hashes and a
#                        report, and an inject job uploading 10 files in place
#   libguestfs loop      per image `virt-ls -m /dev/sda -lR --checksum=sha256` and
#                        `guestfish -a IMG -m /dev/sda copy-in DIR /` (virt-customize needs
#                        an installed OS in the image, which these have not)
# Every timing is wall clock of the whole thing. libguestfs runs under force_tcg when
# diskferry's appliance runs under TCG.
# Usage: benchmarks/bulk.sh [IMAGES]   (default 20)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
df=${BUILD_DIR:-$top/build}/bin/diskferry
images=${1:-20}
work=$(mktemp -d /var/tmp/dfbulk.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$top/benchmarks/common.sh"

mkdir -p "$work/tree/etc" "$work/tree/data" "$work/add"
for i in $(seq 1 40); do head -c $((i * 512)) /dev/urandom >"$work/tree/data/f$i"; done
echo bulk >"$work/tree/etc/hostname"
for i in $(seq 1 10); do head -c 2048 /dev/urandom >"$work/add/new$i"; done
mkdir -p "$work/df" "$work/gf"
for i in $(seq 1 "$images"); do
  mke2fs -q -F -t ext4 -d "$work/tree" "$work/df/img$i.img" 32M >/dev/null
  cp "$work/df/img$i.img" "$work/gf/img$i.img"
done

{
  echo "version: 1"
  echo "jobs:"
  for i in $(seq 1 "$images"); do
    cat <<YAML
  - name: list$i
    kind: list
    source: $work/df/img$i.img
    format: raw
    hashes: [sha256]
    report: $work/df/list$i.jsonl
  - name: inject$i
    kind: inject
    target: $work/df/img$i.img
    format: raw
    in_place: true
    steps:
      - upload: {from: $work/add, to: /added}
YAML
  done
} >"$work/m.yaml"

"$df" appliance check >/dev/null  # appliance and template cached, as libguestfs's are
accel=$("$df" appliance check | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')
t0=$(now)
"$df" run -j 2 --json --report "$work/run.jsonl" "$work/m.yaml" >"$work/df.log" 2>&1 ||
  { cat "$work/df.log"; exit 1; }
df_s=$(elapsed "$t0")
launches=$(grep -c '"what":"launched"' "$work/df.log" || true)
templated=$(grep -c '"launch":"templated"' "$work/df.log" || true)

export LIBGUESTFS_BACKEND=direct
[ "$accel" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
guestfish --ro -a "$work/gf/img1.img" run >/dev/null 2>&1  # warm the supermin cache
t0=$(now)
for i in $(seq 1 "$images"); do
  virt-ls -m /dev/sda -lR --checksum=sha256 -a "$work/gf/img$i.img" / >"$work/gf/list$i.txt"
  guestfish -a "$work/gf/img$i.img" -m /dev/sda mkdir /added : copy-in "$work/add" /added
done
gf_s=$(elapsed "$t0")

# Both did the work: every image holds the ten new files.
for i in 1 "$images"; do
  "$df" ls --format raw "$work/df/img$i.img:/added" | grep -q new10
  guestfish --ro -a "$work/gf/img$i.img" -m /dev/sda ls /added/add | grep -q new10
done

echo "| what ($images images, $accel) | wall (s) |"
echo "|---|---|"
echo "| diskferry \`run -j 2\`: $images list+sha256 and $images inject jobs ($templated of $launches launches templated) | $df_s |"
echo "| libguestfs loop: virt-ls --checksum=sha256 + guestfish copy-in per image | $gf_s |"
echo "| **speed-up** | **$(ratio "$gf_s" "$df_s")** |"
