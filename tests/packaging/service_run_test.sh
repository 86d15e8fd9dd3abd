#!/usr/bin/env bash
# The installed diskferry-backup@.service's command, run as systemd would run it for
# instance web01: ExecStart, WorkingDirectory, StateDirectory and Environment read from
# the unit and their specifiers expanded (%i web01, %S and %C into a scratch directory and
# the test cache), an environment holding only systemd's PATH and the unit's variables,
# stdin /dev/null and stdout and stderr files, as the journal gets them. The manifest is
# examples/nightly-backup.yaml installed as /etc/diskferry/web01.yaml (in the scratch
# directory) with its image and archive defaults pointed at an image made by mke2fs and
# qemu-img. Boots appliances with the installed command.
# Usage: service_run_test.sh PREFIX EXAMPLES CACHE_HOME
set -euo pipefail
prefix=$1 examples=$2 cache_home=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
unit=$prefix/lib/systemd/system/diskferry-backup@.service
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() {  # the value of KEY= in the unit, with the specifiers of this instance expanded
  local value
  value=$(sed -n "s/^$1=//p" "$unit")
  [ -n "$value" ] || fail "$unit has no $1="
  value=${value//%i/web01}
  value=${value//%S/$work/var/lib}
  value=${value//%C/$cache_home}
  printf '%s\n' "${value//\/etc\/diskferry\//$work/etc/diskferry/}"
}
exec_start=$(key ExecStart)
working_dir=$(key WorkingDirectory)
state_dir=$(key StateDirectory)
environment=$(key Environment)
[ "$working_dir" = "$work/var/lib/$state_dir" ] ||
  fail "WorkingDirectory $working_dir is not the StateDirectory $state_dir"

mkdir -p "$work/etc/diskferry" "$work/tree/etc" "$work/tree/home/alice" "$work/tree/var/log" \
  "$working_dir" "$work/srv/backup"
echo web01 >"$work/tree/etc/hostname"
echo notes >"$work/tree/home/alice/notes.txt"
echo boot >"$work/tree/var/log/syslog"
mke2fs -q -F -t ext4 -d "$work/tree" "$work/web01.raw" 32M >/dev/null
qemu-img convert -f raw -O qcow2 "$work/web01.raw" "$work/web01.qcow2"
manifest=$work/etc/diskferry/web01.yaml
sed -e "s|default: /var/lib/libvirt/images/web01.qcow2}|default: $work/web01.qcow2}|" \
  -e "s|default: /srv/backup}|default: $work/srv/backup}|" \
  "$examples/nightly-backup.yaml" >"$manifest"
[ "$(grep -c "default: $work/" "$manifest")" -eq 2 ] ||
  fail "the image and archive defaults of nightly-backup.yaml were not found to point at the test"

set +e
# shellcheck disable=SC2086 # ExecStart is split into words, as systemd splits it
(cd "$working_dir" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  "$environment" $exec_start </dev/null >"$work/stdout" 2>"$work/stderr")
rc=$?
set -e
cat "$work/stdout" "$work/stderr"
[ "$rc" -eq 0 ] || fail "$exec_start exited $rc"

reports=("$working_dir"/diskferry-run-*.jsonl)
if [ ${#reports[@]} -ne 1 ] || [ ! -f "${reports[0]}" ]; then
  fail "not one report in $working_dir"
fi
grep -q "^report: $(basename "${reports[0]}")\$" "$work/stderr" || fail "stderr names no report"
grep -q '"record":"run","status":"complete"' "${reports[0]}" || fail "the run did not complete"
grep -q '"jobs":\[{"job":"config","status":"ok"},{"job":"homes","status":"ok"},{"job":"logs","status":"ok"}\]' \
  "${reports[0]}" || fail "not every job is ok"
for job in config homes logs; do
  ls "$work/srv/backup/web01/"*/"$job.tar.zst" >/dev/null || fail "no $job.tar.zst"
done
[ -f "$work/srv/backup/web01/last/config.json" ] || fail "no incremental baseline for config"
tar -tf "$work/srv/backup/web01/"*/config.tar.zst | grep -q 'etc/hostname' ||
  fail "config.tar.zst holds no etc/hostname"
echo "ok: $exec_start in $working_dir: exit 0, report ${reports[0]##*/}"
