#!/usr/bin/env bash
# examples/cron/diskferry's command, run by sh as cron runs it, with its paths moved into a
# scratch directory: it runs diskferry (a missing manifest: the error lands in the log),
# and while another run holds the lock it exits at once without running diskferry (the log
# stays empty). No appliance boots. DOC (docs/scheduling.md) must quote the line as it is.
# Usage: cron_line_test.sh CRON_FILE BINDIR DOC
set -euo pipefail
cron=$1 bindir=$2 doc=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

line=$(grep -E '^[0-9*]' "$cron")
[ "$(wc -l <<<"$line")" -eq 1 ] || fail "expected one schedule line in $cron"
grep -qxF -- "$line" "$doc" || fail "$doc does not quote the line of $cron"
# Fields: minute hour day month weekday user command.
command=$(sed -E 's/^([^ ]+ +){6}//' <<<"$line")
for path in /var/lib/diskferry /var/log/diskferry /var/cache /run/lock /etc/diskferry; do
  mkdir -p "$work$path"
  command=${command//$path/$work$path}
done
[[ $command != *" /var/"* && $command != *" /run/"* ]] || fail "a path was left: $command"
mkdir -p "$work/etc/diskferry"
log=$work/var/log/diskferry/web01.log

# While another run holds the lock: flock -n gives up, diskferry does not run.
set +e
flock "$work/run/lock/diskferry-web01.lock" env PATH="$bindir:$PATH" sh -c "$command"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "the line succeeded while the lock was held"
[ ! -s "$log" ] || fail "diskferry ran while the lock was held: $(cat "$log")"

# Unlocked: diskferry runs, and the missing manifest's error is in the log.
set +e
env PATH="$bindir:$PATH" sh -c "$command"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a run of a missing manifest succeeded"
grep -q "^diskferry: .*/etc/diskferry/web01.yaml: No such file" "$log" || fail "the log does not name the manifest: $(cat "$log")"
echo "ok: skipped while locked; ran and logged to $log otherwise"
