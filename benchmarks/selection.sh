#!/usr/bin/env bash
# Selection benchmark: what a job that selects 1% of a tree reads from its image.
# Tree: 100 directories x 100 files of 100 KiB (1000 MiB of random bytes), in an ext4
# image made by mke2fs -d. Job: extract with `include: [/d042/*]`, 100 files, 10 MiB,
# one appliance (`split: false`, -j 1).
# Measure: every diskferry given is run under `strace -ff -y`, which follows QEMU; the bytes
# read from the image are the sum of what QEMU's pread64/preadv/preadv2 calls on the
# image's file returned (page-cache hits included, so the figure does not depend on what
# the host had cached). strace slows the run; each job is then run once more without it,
# for its time.
# Usage: benchmarks/selection.sh DISKFERRY [DISKFERRY...]
#   e.g. benchmarks/selection.sh /work/main/build/bin/diskferry build/bin/diskferry
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DISKFERRY [DISKFERRY...]" >&2; exit 2; }
work=$(mktemp -d /var/tmp/dfselect.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$top/benchmarks/common.sh"

python3 - "$work/tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:03d}")
    for f in range(100):
        with open(f"{root}/d{d:03d}/f{f:03d}", "wb") as out:
            out.write(os.urandom(100 << 10))
PY
mke2fs -q -F -t ext4 -d "$work/tree" "$work/src.img" 1400M
image_bytes=$(stat -c %s "$work/src.img")
cat >"$work/m.yaml" <<YAML
version: 1
run: {split: false}
jobs:
  - name: one-dir
    kind: extract
    source: $work/src.img
    format: raw
    select: {include: [/d042/*]}
    output: {dir: $work/out}
YAML

echo "| diskferry | files extracted | bytes read from the image | of the image | time under strace (s) | time (s) |"
echo "|---|---|---|---|---|---|"
for df in "$@"; do
  rm -rf "$work/out"
  "$df" appliance check >/dev/null  # appliance and template built before measuring
  t0=$(now)
  rm -f "$work"/strace.*
  # -ff: one file per thread, so that no call is split into "unfinished" and "resumed" lines.
  strace -ff -y -qq -e trace=pread64,preadv,preadv2 -e signal=none -o "$work/strace" \
    "$df" run -j 1 --report "$work/run.jsonl" "$work/m.yaml" >"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
  seconds=$(elapsed "$t0")
  files=$(find "$work/out" -type f | wc -l)
  read_bytes=$(cat "$work"/strace.* | grep -F "<$work/src.img>" |
    sed -n 's/.*) = \([0-9][0-9]*\)$/\1/p' | awk '{s += $1} END {print s + 0}')
  rm -rf "$work/out"
  t0=$(now)
  "$df" run -j 1 --report "$work/run.jsonl" "$work/m.yaml" >"$work/run.log" 2>&1 ||
    { cat "$work/run.log"; exit 1; }
  plain=$(elapsed "$t0")
  share=$(awk -v r="$read_bytes" -v i="$image_bytes" 'BEGIN {printf "%.2f%%", 100 * r / i}')
  echo "| $df | $files | $read_bytes ($(awk -v r="$read_bytes" 'BEGIN {printf "%.1f MiB", r / 1048576}')) | $share | $seconds | $plain |"
done
