#!/usr/bin/env bash
# Launch-to-ready benchmark (issue 2): median of N launches of a diskferry appliance beside
# `guestfish --ro -a IMG run` (libguestfs, direct backend) in the same run.
#
# Usage: benchmarks/launch.sh [N]   (default 5; needs a built tree: scripts/setup.sh)
# Prints a markdown table; the ratio is libguestfs wall time / diskferry wall time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$top/build}/bin
n=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tree/etc" && echo bench > "$work/tree/etc/hostname"
mke2fs -q -F -t ext4 -d "$work/tree" "$work/bench.img" 64M

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", a - b}'; }

"$bin/diskferry" appliance build >/dev/null  # warm the appliance cache, as libguestfs's is
: >"$work/df_ready"; : >"$work/df_wall"; : >"$work/gf_wall"
for _ in $(seq "$n"); do
  t0=$(now)
  out=$("$bin/diskferry" appliance check --image "$work/bench.img")
  t1=$(now)
  sub "$t1" "$t0" >>"$work/df_wall"
  echo "$out" | awk -F': *' '/^launch-to-ready/ {sub(/ s$/, "", $2); print $2}' >>"$work/df_ready"
done

have_gf=0
if command -v guestfish >/dev/null; then
  have_gf=1
  export LIBGUESTFS_BACKEND=direct
  guestfish --ro -a "$work/bench.img" run >/dev/null 2>&1 || have_gf=0  # warm supermin cache
fi
if [ "$have_gf" = 1 ]; then
  for _ in $(seq "$n"); do
    t0=$(now); guestfish --ro -a "$work/bench.img" run; t1=$(now)
    sub "$t1" "$t0" >>"$work/gf_wall"
  done
fi

accel=$("$bin/diskferry" appliance check --image "$work/bench.img" | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')
df_ready=$(median <"$work/df_ready"); df_wall=$(median <"$work/df_wall")
echo "| what | median of $n (s) |"
echo "|---|---|"
echo "| diskferry launch-to-ready ($accel) | $df_ready |"
echo "| diskferry \`appliance check\`, whole command | $df_wall |"
if [ "$have_gf" = 1 ]; then
  gf_wall=$(median <"$work/gf_wall")
  echo "| libguestfs \`guestfish --ro -a IMG run\`, whole command | $gf_wall |"
  echo "| speed-up (libguestfs / diskferry, whole commands) | $(awk -v a="$gf_wall" -v b="$df_wall" 'BEGIN {printf "%.1fx", a / b}') |"
else
  echo "| libguestfs | not installed (apt-get install libguestfs-tools) |"
fi
