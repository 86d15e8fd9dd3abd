#!/usr/bin/env bash
# Launch time of two builds in one run, interleaved (A B A B ...), so that load on a shared
# machine hits both alike: `diskferry appliance check --image IMG` of each build, N times.
#
# Usage: benchmarks/launch_ab.sh BUILD_A BUILD_B [N]   (default N=10)
#   BUILD_X is a build tree (with bin/diskferry and bin/diskferry-daemon).
# Each build gets its own appliance cache, warmed before timing. Prints a markdown table:
# medians of launch-to-ready and of the whole command, the initramfs size, and the load
# average (1 min) before and after.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_A BUILD_B [N]" >&2; exit 2; }
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); n=${3:-10}
source "$(dirname "$0")/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tree/etc" && echo bench > "$work/tree/etc/hostname"
mke2fs -q -F -t ext4 -d "$work/tree" "$work/bench.img" 64M

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
check() { # check BUILD CACHE: one `appliance check`; appends ready and wall times
  local t0 out
  t0=$(now)
  out=$("$1/bin/diskferry" appliance check --cache-dir "$2" --image "$work/bench.img")
  elapsed "$t0" >>"$2.wall"; echo >>"$2.wall"
  echo "$out" | awk -F': *' '/^launch-to-ready/ {sub(/ s$/, "", $2); print $2}' >>"$2.ready"
  echo "$out" | sed -n 's/^initrd: //p' | tail -n 1 >"$2.initrd"
}
for x in A B; do : >"$work/$x.wall"; : >"$work/$x.ready"; done
"$a/bin/diskferry" appliance build --cache-dir "$work/A" >/dev/null
"$b/bin/diskferry" appliance build --cache-dir "$work/B" >/dev/null
load_before=$(cut -d' ' -f1 /proc/loadavg)
for _ in $(seq "$n"); do
  check "$a" "$work/A"
  check "$b" "$work/B"
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

size_mib() { awk -v s="$(stat -c %s "$1")" 'BEGIN {printf "%.1f", s / 1048576}'; }
ra=$(median <"$work/A.ready"); rb=$(median <"$work/B.ready")
wa=$(sed '/^$/d' "$work/A.wall" | median); wb=$(sed '/^$/d' "$work/B.wall" | median)
echo "| what | A: $(basename "$(dirname "$a")")/$(basename "$a") | B: $(basename "$(dirname "$b")")/$(basename "$b") | B / A |"
echo "|---|---|---|---|"
echo "| launch-to-ready, median of $n (s) | $ra | $rb | $(awk -v a="$ra" -v b="$rb" 'BEGIN {printf "%.3f", b / a}') |"
echo "| \`appliance check\`, whole command, median of $n (s) | $wa | $wb | $(awk -v a="$wa" -v b="$wb" 'BEGIN {printf "%.3f", b / a}') |"
echo "| initramfs (MiB) | $(size_mib "$(cat "$work/A.initrd")") | $(size_mib "$(cat "$work/B.initrd")") | |"
echo "| load average (1 min), before / after | $load_before / $load_after | | |"
echo
echo "A ready: $(tr '\n' ' ' <"$work/A.ready")"
echo "B ready: $(tr '\n' ' ' <"$work/B.ready")"
