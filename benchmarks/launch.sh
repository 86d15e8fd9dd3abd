#!/usr/bin/env bash
# Launch benchmark: medians of N launches of a diskferry appliance, cold-booted
# (DISKFERRY_TEMPLATE=off) and restored from its appliance template, beside
# `guestfish --ro -a IMG run` (libguestfs, direct backend, force_tcg when diskferry runs
# under TCG) in the same run. Then each appliance's host memory: QEMU's RSS and private
# pages (/proc/PID/smaps_rollup) after launch and after reading 256 MiB through it.
#
# Usage: benchmarks/launch.sh [N]   (default 5; needs a built tree: scripts/setup.sh)
# Prints markdown tables; ratios are libguestfs wall time / diskferry wall time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$top/build}/bin
n=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$top/benchmarks/common.sh"

mkdir -p "$work/tree/etc" && echo bench > "$work/tree/etc/hostname"
head -c $((257 << 20)) /dev/urandom > "$work/tree/big.bin"
mke2fs -q -F -t ext4 -d "$work/tree" "$work/bench.img" 400M

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", a - b}'; }

# Warm the appliance cache, as libguestfs's is, and the template.
"$bin/diskferry" appliance check --image "$work/bench.img" >/dev/null
accel=$("$bin/diskferry" appliance check --image "$work/bench.img" | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')

# check MODE: N whole `appliance check` commands; appends to $work/MODE_{wall,ready}.
check() {
  local mode=$1 env=()
  [ "$mode" = cold ] && env=(DISKFERRY_TEMPLATE=off)
  : >"$work/${mode}_wall"; : >"$work/${mode}_ready"
  for _ in $(seq "$n"); do
    local t0 t1 out
    t0=$(now)
    out=$(env "${env[@]}" "$bin/diskferry" appliance check --image "$work/bench.img")
    t1=$(now)
    sub "$t1" "$t0" >>"$work/${mode}_wall"
    echo "$out" | awk -F': *' '/^launch-to-ready/ {sub(/ s$/, "", $2); print $2}' >>"$work/${mode}_ready"
    case "$mode:$out" in
      templated:*"launch: templated"*|cold:*"launch: cold boot"*) ;;
      *) echo "launch.sh: a $mode launch was not $mode:"; echo "$out" | grep '^launch:'; exit 1 ;;
    esac
  done
}
check cold
check templated

have_gf=0
if command -v guestfish >/dev/null; then
  have_gf=1
  export LIBGUESTFS_BACKEND=direct
  [ "$accel" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
  guestfish --ro -a "$work/bench.img" run >/dev/null 2>&1 || have_gf=0  # warm supermin cache
fi
: >"$work/gf_wall"
if [ "$have_gf" = 1 ]; then
  for _ in $(seq "$n"); do
    t0=$(now); guestfish --ro -a "$work/bench.img" run; t1=$(now)
    sub "$t1" "$t0" >>"$work/gf_wall"
  done
fi

cold_wall=$(median <"$work/cold_wall"); warm_wall=$(median <"$work/templated_wall")
echo "| what | median of $n (s) |"
echo "|---|---|"
echo "| diskferry launch-to-ready, cold boot ($accel) | $(median <"$work/cold_ready") |"
echo "| diskferry launch-to-ready, templated ($accel) | $(median <"$work/templated_ready") |"
echo "| diskferry \`appliance check\`, whole command, cold boot | $cold_wall |"
echo "| diskferry \`appliance check\`, whole command, templated | $warm_wall |"
if [ "$have_gf" = 1 ]; then
  gf_wall=$(median <"$work/gf_wall")
  echo "| libguestfs \`guestfish --ro -a IMG run\`, whole command | $gf_wall |"
  echo "| speed-up, cold boot (libguestfs / diskferry, whole commands) | $(ratio "$gf_wall" "$cold_wall") |"
  echo "| speed-up, templated (libguestfs / diskferry, whole commands) | $(ratio "$gf_wall" "$warm_wall") |"
else
  echo "| libguestfs | not installed (apt-get install libguestfs-tools) |"
fi

# Memory: `diskferry cat` of a 257 MiB file into a reader that measures QEMU once the
# first bytes arrive (just launched) and again after 256 MiB, while diskferry waits to
# write the rest, so the appliance is still up.
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
rollup() {  # PID -> "RSS PRIVATE_DIRTY" in KiB
  awk '/^Rss:/ {r=$2} /^Private_Dirty:/ {p=$2} END {print r, p}' "/proc/$1/smaps_rollup"
}
memory() {
  local mode=$1 env=()
  [ "$mode" = cold ] && env=(DISKFERRY_TEMPLATE=off)
  env "${env[@]}" "$bin/diskferry" cat "$work/bench.img:/big.bin" | {
    head -c 1 >/dev/null
    qemu=$(pgrep -n -f "qemu-system.*$work/bench.img")
    read -r rss0 priv0 < <(rollup "$qemu")
    head -c $((256 << 20)) >/dev/null
    read -r rss1 priv1 < <(rollup "$qemu")
    cat >/dev/null
    echo "| $mode | $(mib "$rss0") | $(mib "$priv0") | $(mib "$rss1") | $(mib "$priv1") |"
  }
}
echo
echo "| appliance | RSS after launch (MiB) | private dirty after launch (MiB) | RSS after 256 MiB read (MiB) | private dirty after 256 MiB read (MiB) |"
echo "|---|---|---|---|---|"
memory cold
memory templated
