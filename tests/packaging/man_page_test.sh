#!/usr/bin/env bash
# diskferry(1) covers the program as built: every command and subcommand found by walking
# `diskferry --help` has a section (.SS "diskferry CMD ..."), every flag, long and short, of
# every command's --help appears in the page, the version matches --version, and groff
# formats the page without a warning. Flags are read from the binary, so a flag added to
# a command fails this test until the page documents it.
# Usage: man_page_test.sh DISKFERRY PAGE
set -euo pipefail
prog=$1 page=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

# man(7) source writes a hyphen as \- : compare against the page with that undone.
text=$(sed 's/\\-/-/g' "$page")
missing=()
checked=0

walk() {  # walk CMD...: check CMD's flags, then each of its subcommands
  local help sub flag
  help=$("$prog" "$@" --help)
  if [ $# -gt 0 ] && ! grep -q "^\.SS \"diskferry $* " <<<"$text"; then
    missing+=("section for '$*'")
  fi
  while read -r flag; do
    checked=$((checked + 1))
    grep -qE -- "(^|[^A-Za-z0-9-])${flag}([^A-Za-z0-9-]|$)" <<<"$text" ||
      missing+=("${*:-diskferry} $flag")
  done < <(sed -n '/^Options:/,/^[^ ]/{s/^  \(-[^ ]*\).*/\1/p}' <<<"$help" | tr ',' '\n' |
    sed -n 's/^\(--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*\).*/\1/p')
  while read -r sub; do
    walk "$@" "$sub"
  done < <(sed -n '/^Subcommands:/,/^$/{s/^  \([a-z][a-z-]*\) .*/\1/p}' <<<"$help")
}
walk

[ "$checked" -ge 40 ] || fail "only $checked flags found in the --help texts; is the parsing broken?"
if [ ${#missing[@]} -gt 0 ]; then
  printf "not in $page: %s\n" "${missing[@]}" >&2
  fail "${#missing[@]} missing"
fi

version=$("$prog" --version)
grep -q "^\.TH DISKFERRY 1 [^ ]* \"$version\"" "$page" || fail ".TH does not say \"$version\""

warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
[ -z "$warnings" ] || fail "groff: $warnings"
echo "ok: $checked flags in the --help of each command, all in $page"
