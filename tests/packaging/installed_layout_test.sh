#!/usr/bin/env bash
# The installed command runs from its prefix alone: each piece is where
# packaging/install.cmake says, the units name the installed command, and --version and
# --help work with no build tree on PATH. Also installs with DESTDIR and --prefix /usr,
# as a package build does, and checks that the units then name /usr/bin/diskferry.
# Usage: installed_layout_test.sh BUILD PREFIX
set -euo pipefail
build=$1 prefix=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in bin/diskferry lib/diskferry/diskferry-daemon; do
  [ -x "$prefix/$f" ] || fail "$prefix/$f missing or not executable"
done
if [ -e "$build/bin/diskferry-ewf" ]; then  # built with libewf-dev and nbdkit-plugin-dev
  for f in lib/diskferry/diskferry-ewf lib/diskferry/nbdkit-diskferry-ewf-plugin.so; do
    [ -f "$prefix/$f" ] || fail "$prefix/$f missing (E01 support was built)"
  done
fi
for f in share/man/man1/diskferry.1 share/bash-completion/completions/diskferry \
  lib/systemd/system/diskferry-backup@.service lib/systemd/system/diskferry-backup@.timer \
  share/doc/diskferry/README.md share/doc/diskferry/jobs/README.md \
  share/doc/diskferry/docs/scheduling.md share/doc/diskferry/examples/nightly-backup.yaml \
  share/doc/diskferry/examples/systemd/diskferry-backup@.service \
  share/doc/diskferry/examples/cron/diskferry; do
  [ -f "$prefix/$f" ] || fail "$prefix/$f missing"
done
grep -qx "ExecStart=$prefix/bin/diskferry run /etc/diskferry/%i.yaml" \
  "$prefix/lib/systemd/system/diskferry-backup@.service" ||
  fail "the installed unit's ExecStart does not name $prefix/bin/diskferry"

version=$(env -i PATH=/usr/bin:/bin "$prefix/bin/diskferry" --version)
[ "$version" = "$("$build/bin/diskferry" --version)" ] || fail "installed --version is '$version'"
help=$(env -i PATH=/usr/bin:/bin "$prefix/bin/diskferry" --help)
for cmd in appliance ls copy-out copy-in cat validate plan run; do
  grep -q "^  $cmd " <<<"$help" || fail "--help lists no $cmd"
done

destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT
DESTDIR=$destdir cmake --install "$build" --prefix /usr >/dev/null
[ -x "$destdir/usr/bin/diskferry" ] || fail "DESTDIR install: no usr/bin/diskferry"
[ -x "$destdir/usr/lib/diskferry/diskferry-daemon" ] || fail "DESTDIR install: no daemon"
grep -qx 'ExecStart=/usr/bin/diskferry run /etc/diskferry/%i.yaml' \
  "$destdir/usr/lib/systemd/system/diskferry-backup@.service" ||
  fail "DESTDIR install: the unit does not name /usr/bin/diskferry"
echo "ok: $prefix and DESTDIR=$destdir --prefix /usr"
