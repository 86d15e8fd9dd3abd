#!/usr/bin/env bash
# Issue 5: how `diskferry run` scales with the number of appliances, beside libguestfs.
# Two workloads on one ext4 image, each spread over 4 top-level directories:
#   small: 10 000 x 4 KiB files        big: 4 x 64 MiB files
# For each, in the same run:
#   diskferry run -j N      one extract job over the whole image (split into N parts), N = 1 2 4
#   libguestfs serial       guestfish copy-out of the 4 directories, one after another
#   (virt-copy-out needs an OS in the image; these have none)
#   guestfish x N           the 4 directories, N processes at a time, N = 2 4
# Every timing is a whole command (launch, transfer, shutdown), wall clock.
# Usage: benchmarks/scaling.sh [small|big|both] [SCALE]   (defaults: both 1)
# SCALE multiplies the files (small) or the file size (big). NO_LIBGUESTFS=1 skips
# libguestfs (at SCALE 4 its serial run alone takes minutes).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
df=${BUILD_DIR:-$top/build}/bin/diskferry
which=${1:-both}
scale=${2:-1}
work=$(mktemp -d /var/tmp/dfscale.XXXXXX)
trap 'rm -rf "$work"' EXIT
export LIBGUESTFS_BACKEND=direct
. "$top/benchmarks/common.sh"

make_image() {  # NAME: fills $work/NAME/d0..d3 and makes $work/NAME.img
  local name=$1
  for d in 0 1 2 3; do
    mkdir -p "$work/$name/d$d"
    if [ "$name" = small ]; then
      for i in $(seq 1 $((2500 * scale))); do head -c 4096 /dev/urandom >"$work/$name/d$d/f$i"; done
    else
      head -c $(((64 * scale) << 20)) /dev/urandom >"$work/$name/d$d/big.bin"
    fi
  done
  mke2fs -q -F -t ext4 -N $((12000 * scale)) -d "$work/$name" "$work/$name.img" $((512 + 400 * scale))M
}

run_df() {  # NAME N
  rm -rf "$work/out" "$work/r.jsonl"* && sync  # the last run's writeback must not land in this one
  cat >"$work/m.yaml" <<YAML
version: 1
jobs:
  - {name: all, kind: extract, source: $work/$1.img, format: raw, output: {dir: $work/out}}
YAML
  timeit "$df" run "$work/m.yaml" -j "$2" --report "$work/r.jsonl"
}

# One directory out with libguestfs: what virt-copy-out does, without its OS inspection
# (these images hold no OS). Fails the benchmark when libguestfs fails.
copy_out() {  # NAME DIR
  guestfish --ro -a "$work/$1.img" -m /dev/sda copy-out "/d$2" "$work/out" >/dev/null 2>&1 ||
    { echo "scaling.sh: guestfish copy-out /d$2 failed" >&2; return 1; }
}

lg_serial() {  # NAME
  rm -rf "$work/out" && mkdir -p "$work/out" && sync
  local t0; t0=$(now)
  for d in 0 1 2 3; do copy_out "$1" "$d"; done
  elapsed "$t0"
}

lg_parallel() {  # NAME N
  rm -rf "$work/out" && mkdir -p "$work/out" && sync
  local t0; t0=$(now)
  export -f copy_out; export work
  printf '%s\n' 0 1 2 3 | xargs -P "$2" -I{} bash -c 'copy_out "$0" {}' "$1"
  elapsed "$t0"
}

"$df" appliance build >/dev/null
[ "$("$df" appliance check | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')" = tcg ] &&
  export LIBGUESTFS_BACKEND_SETTINGS=force_tcg  # the same accelerator as diskferry
have_lg=0
[ "${NO_LIBGUESTFS:-0}" = 1 ] || { command -v virt-copy-out >/dev/null && have_lg=1; }
accel=$("$df" appliance check 2>/dev/null | awk -F': ' '/accelerator/ {print $2; exit}')
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), accelerator: ${accel:-?}"
for name in small big; do
  [ "$which" = both ] || [ "$which" = "$name" ] || continue
  make_image "$name"
  declare -A T=()
  for n in 1 2 4; do T[df$n]=$(run_df "$name" $n); done
  if [ $have_lg = 1 ]; then
    T[lg]=$(lg_serial "$name")
    for n in 2 4; do T[lgp$n]=$(lg_parallel "$name" $n); done
  fi
  echo
  echo "workload $name, scale $scale"
  printf '| %-24s | %7s | %-18s |\n' run "wall s" "vs libguestfs serial"
  for n in 1 2 4; do
    vs=-; [ $have_lg = 1 ] && vs=$(ratio "${T[lg]}" "${T[df$n]}")
    printf '| %-24s | %7s | %-18s |\n' "diskferry -j $n" "${T[df$n]}" "$vs (x$(awk -v a="${T[df1]}" -v b="${T[df$n]}" 'BEGIN {printf "%.2f", a / b}') vs -j 1)"
  done
  if [ $have_lg = 1 ]; then
    printf '| %-24s | %7s | %-18s |\n' "libguestfs serial (4 runs)" "${T[lg]}" "1.0x"
    for n in 2 4; do
      printf '| %-24s | %7s | %-18s |\n' "guestfish copy-out x $n" "${T[lgp$n]}" "$(ratio "${T[lg]}" "${T[lgp$n]}")"
    done
  fi
  rm -rf "$work/$name" "$work/$name.img" "$work/out"
done
