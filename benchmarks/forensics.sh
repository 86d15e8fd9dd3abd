#!/usr/bin/env bash
# Forensics benchmark: an examiner's inventory of one image, in the same run:
#   diskferry            a list job with sha256 and md5 of every file, a DFXML file and a
#                        body file, with and without `evidence: true` (the image hashed
#                        before and after the job)
#   libguestfs           `virt-ls -lR --extra-stats --checksum=sha256` (the same names,
#                        metadata and one hash), then sha256sum and md5sum of the image
#                        twice, the evidence check done by hand
#   fiwalk               `fiwalk -X` on the raw image: The Sleuth Kit reads the filesystem
#                        itself, on the host, no VM
# Tree: 40 directories x 100 files of 4 KiB, and 16 files of 8 MiB (about 144 MiB), in an
# ext4 image made by mke2fs -d. libguestfs runs under force_tcg when diskferry's appliance
# runs under TCG. Every timing is the wall clock of the whole command.
# Usage: benchmarks/forensics.sh [DISKFERRY]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
df=${1:-${BUILD_DIR:-$top/build}/bin/diskferry}
work=$(mktemp -d /var/tmp/dfforensics.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$top/benchmarks/common.sh"

python3 - "$work/tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(40):
    os.makedirs(f"{root}/d{d:02d}")
    for f in range(100):
        with open(f"{root}/d{d:02d}/f{f:03d}", "wb") as out:
            out.write(os.urandom(4096))
os.makedirs(f"{root}/big")
for f in range(16):
    with open(f"{root}/big/b{f:02d}", "wb") as out:
        out.write(os.urandom(8 << 20))
PY
mke2fs -q -F -t ext4 -d "$work/tree" "$work/src.img" 400M
files=$(find "$work/tree" -type f | wc -l)

manifest() {  # manifest EVIDENCE
  cat <<YAML
version: 1
case: {id: BENCH-1, examiner: benchmark}
jobs:
  - name: inventory
    kind: list
    source: $work/src.img
    format: raw
    evidence: $1
    hashes: [sha256, md5]
    output: {dfxml: $work/out/inventory.xml, bodyfile: $work/out/inventory.body}
YAML
}
manifest false >"$work/plain.yaml"
manifest true >"$work/evidence.yaml"

"$df" appliance check >/dev/null  # appliance and template cached, as libguestfs's are
accel=$("$df" appliance check | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')
if [ "$accel" = tcg ]; then
  export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
else
  export LIBGUESTFS_BACKEND=direct
fi

run_df() {  # run_df MANIFEST
  rm -rf "$work/out"
  local t0
  t0=$(now)
  "$df" run -j 1 --report "$work/run.jsonl" "$1" >"$work/df.log" 2>&1 || { cat "$work/df.log" >&2; exit 1; }
  elapsed "$t0"
}
df_plain=$(run_df "$work/plain.yaml")
objects=$(grep -c '<fileobject' "$work/out/inventory.xml")
df_evidence=$(run_df "$work/evidence.yaml")

t0=$(now)
sha256sum "$work/src.img" >/dev/null
md5sum "$work/src.img" >/dev/null
virt-ls --format=raw -a "$work/src.img" -m /dev/sda -lR --extra-stats --checksum=sha256 / \
  >"$work/virt-ls.txt"
sha256sum "$work/src.img" >/dev/null
md5sum "$work/src.img" >/dev/null
gf_evidence=$(elapsed "$t0")
t0=$(now)
virt-ls --format=raw -a "$work/src.img" -m /dev/sda -lR --extra-stats --checksum=sha256 / \
  >"$work/virt-ls.txt"
gf_plain=$(elapsed "$t0")
t0=$(now)
fiwalk -X "$work/fiwalk.xml" "$work/src.img" >/dev/null 2>&1
fw=$(elapsed "$t0")

echo "$(date -u +%F), $(nproc) cores, accelerator $accel, $files files ($objects DFXML file objects)"
echo
echo "| what | seconds | diskferry's speed-up |"
echo "|---|---|---|"
echo "| diskferry list: sha256+md5, DFXML, body file | $df_plain | |"
echo "| libguestfs virt-ls -lR --extra-stats --checksum=sha256 | $gf_plain | $(ratio "$gf_plain" "$df_plain") |"
echo "| diskferry, with evidence: image sha256+md5 before and after | $df_evidence | |"
echo "| libguestfs virt-ls, with sha256sum+md5sum of the image before and after | $gf_evidence | $(ratio "$gf_evidence" "$df_evidence") |"
echo "| fiwalk -X (on the host, no VM; md5+sha1) | $fw | $(ratio "$fw" "$df_plain") |"
