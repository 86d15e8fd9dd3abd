#!/usr/bin/env bash
# The seed thesis workload (issue 3) on one ext4 image, diskferry beside libguestfs in the
# same run:
#   read  1 file of SIZE MiB     diskferry copy-out (shm lane, socket lane) | guestfish download
#   read  10 000 x 4 KiB files   diskferry copy-out (shm, socket)           | guestfish tar-out
#   write 1 file of SIZE MiB     diskferry copy-in  (shm, socket)           | guestfish upload
#   write 10 000 x 4 KiB files   diskferry copy-in  (shm, socket)           | guestfish tar-in
# Each diskferry workload also runs as a Windows host runs it (docs/windows.md): control
# channel over loopback TCP (DISKFERRY_CONTROL=tcp) and the socket lane ("tcp" column).
# Usage: benchmarks/transfer.sh [SIZE_MIB]   (default 256; the thesis used 1536)
# Every timing is a whole command (launch, transfer, shutdown). "transfer" subtracts each
# tool's own median launch+shutdown time (diskferry `appliance check`, `guestfish run`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
df=${BUILD_DIR:-$top/build}/bin/diskferry
size=${1:-256}
files=10000
work=$(mktemp -d /var/tmp/dfbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export LIBGUESTFS_BACKEND=direct

. "$top/benchmarks/common.sh"

mkdir -p "$work/src/big" "$work/src/small" "$work/out"
head -c $((size << 20)) /dev/urandom >"$work/src/big/big.bin"
for i in $(seq 1 $files); do head -c 4096 /dev/urandom >"$work/src/small/f$i"; done
img_mib=$((size * 3 + 512))
mke2fs -q -F -t ext4 -d "$work/src" "$work/read.img" "${img_mib}M"
mke2fs -q -F -t ext4 "$work/empty.img" "${img_mib}M"
"$df" appliance build >/dev/null
accel=$("$df" appliance check | sed -n 's/^accelerator: \([a-z]*\).*/\1/p')
# Both tools on the same accelerator: where KVM answers but cannot boot a guest, diskferry
# falls back to TCG (hypervisor_verdict.h) while libguestfs would hang in KVM.
[ "$accel" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

have_gf=0
command -v guestfish >/dev/null && guestfish --ro -a "$work/read.img" run >/dev/null 2>&1 && have_gf=1

base_df=$(timeit "$df" appliance check --image "$work/read.img")
base_gf=0; [ $have_gf = 1 ] && base_gf=$(timeit guestfish --ro -a "$work/read.img" run)

fresh() { rm -rf "$work/out" && mkdir -p "$work/out"; }
declare -A T
for config in shm socket tcp; do
  lane=$config control=unix
  [ "$config" = tcp ] && lane=socket control=tcp
  d=(env DISKFERRY_CONTROL=$control "$df")
  fresh; T[read_big_$config]=$(timeit "${d[@]}" copy-out --lane $lane "$work/read.img:/big/big.bin" "$work/out")
  fresh; T[read_small_$config]=$(timeit "${d[@]}" copy-out --lane $lane "$work/read.img:/small" "$work/out")
  rm -f "$work/w.qcow2"
  T[write_big_$config]=$(timeit "${d[@]}" copy-in --lane $lane "$work/src/big/big.bin" "$work/empty.img:/" --output "$work/w.qcow2")
  rm -f "$work/w.qcow2"
  T[write_small_$config]=$(timeit "${d[@]}" copy-in --lane $lane "$work/src/small" "$work/empty.img:/" --output "$work/w.qcow2")
done
if [ $have_gf = 1 ]; then
  fresh; T[read_big_gf]=$(timeit guestfish --ro -a "$work/read.img" -m /dev/sda download /big/big.bin "$work/out/big.bin")
  fresh; T[read_small_gf]=$(timeit guestfish --ro -a "$work/read.img" -m /dev/sda tar-out /small "$work/out/small.tar")
  tar -C "$work/src" -cf "$work/small.tar" small
  cp --sparse=always "$work/empty.img" "$work/gf.img"
  T[write_big_gf]=$(timeit guestfish -a "$work/gf.img" -m /dev/sda upload "$work/src/big/big.bin" /big.bin)
  cp --sparse=always "$work/empty.img" "$work/gf.img"
  T[write_small_gf]=$(timeit guestfish -a "$work/gf.img" -m /dev/sda tar-in "$work/small.tar" /)
fi

net() { awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0.01) d = 0.01; printf "%.2f", d}'; }
mbps() { awk -v s="$size" -v t="$1" 'BEGIN {printf "%.0f", s * 1.048576 / t}'; }

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), accel $accel; big file ${size} MiB; ${files} x 4 KiB"
echo "Launch+shutdown: diskferry ${base_df} s, libguestfs ${base_gf} s"
echo
echo "| workload | diskferry shm (s) | diskferry socket (s) | diskferry tcp+socket (s) | libguestfs (s) | shm vs libguestfs, whole | shm vs libguestfs, transfer only | shm vs socket, transfer only | tcp+socket vs libguestfs, whole |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in read_big read_small write_big write_small; do
  s=${T[${w}_shm]}; k=${T[${w}_socket]}; c=${T[${w}_tcp]}; g=${T[${w}_gf]:-}
  ns=$(net "$s" "$base_df"); nk=$(net "$k" "$base_df")
  if [ -n "$g" ]; then
    ng=$(net "$g" "$base_gf"); whole=$(ratio "$g" "$s"); tr=$(ratio "$ng" "$ns"); tcp_whole=$(ratio "$g" "$c")
  else
    g=-; whole=-; tr=-; tcp_whole=-
  fi
  echo "| $w | $s | $k | $c | $g | $whole | $tr | $(ratio "$nk" "$ns") | $tcp_whole |"
done
echo
echo "Big-file transfer rate, shm lane: read $(mbps "$(net "${T[read_big_shm]}" "$base_df")") MB/s, write $(mbps "$(net "${T[write_big_shm]}" "$base_df")") MB/s"
