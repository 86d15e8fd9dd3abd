#!/usr/bin/env bash
# systemd-analyze verify on the installed units, as an instance (web01) of each template:
# no error and no warning (a misspelt or unknown option is only a warning), the command
# in ExecStart exists and is executable, and man:diskferry(1) resolves in the installed
# man pages. Usage: systemd_units_test.sh PREFIX
set -euo pipefail
prefix=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for kind in service timer; do
  cp "$prefix/lib/systemd/system/diskferry-backup@.$kind" "$dir/diskferry-backup@web01.$kind"
done
cd "$dir"
if ! MANPATH=$prefix/share/man systemd-analyze verify \
  ./diskferry-backup@web01.timer ./diskferry-backup@web01.service 2>"$dir/err"; then
  cat "$dir/err" >&2
  fail "systemd-analyze verify failed"
fi
[ ! -s "$dir/err" ] || { cat "$dir/err" >&2; fail "systemd-analyze verify warned"; }
grep -qx 'Persistent=true' diskferry-backup@web01.timer || fail "the timer is not Persistent"
echo "ok: systemd-analyze verify, no warning"
