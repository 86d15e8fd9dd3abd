#!/usr/bin/env bash
# The bash completion, sourced into this shell and called as readline would call it
# (COMP_WORDS split at COMP_WORDBREAKS, COMP_CWORD, COMP_LINE, COMP_POINT): commands,
# subcommands, flags read from the program's --help, flag values, and host files for
# manifests and the IMAGE part of IMAGE:PATH, never past the colon.
# Usage: bash_completion_test.sh DISKFERRY COMPLETION
set -euo pipefail
prog=$1
# shellcheck source=/dev/null
source "$2"
failures=0

# expect "WORD WORD ... " "EXPECTED": the words of the line, the current one last ("" when
# the cursor follows a space), and COMPREPLY sorted and joined by spaces.
expect() {
  local -a words
  read -ra words <<<"$1"
  [[ $1 == *" " ]] && words+=("")
  COMP_WORDS=("$prog" "${words[@]:1}")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=${1//' : '/:}
  COMP_LINE=${COMP_LINE//' = '/=}
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _diskferry
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' ')
  if [ "$got" != "$2" ]; then
    echo "FAIL: [$COMP_LINE] gave [$got], expected [$2]" >&2
    failures=$((failures + 1))
  fi
}

[ "$(complete -p diskferry)" = "complete -F _diskferry diskferry" ] ||
  { echo "FAIL: no completion registered for diskferry" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir images
touch disk.img disk.qcow2 nightly.yaml notes.txt images/web01.qcow2
# A host path that text after a colon would match, were it completed as a host file.
mkdir disk.img: && touch disk.img:/etc

expect "diskferry " "appliance cat copy-in copy-out image ls plan report run validate"
expect "diskferry co" "copy-in copy-out"
expect "diskferry appliance " "build check export"
expect "diskferry appliance check --sh" "--show-command"
expect "diskferry image " "verify"
expect "diskferry report " "merge"
expect "diskferry report merge -" "--help --output -h -o"
expect "diskferry run m.yaml --shard a" "auto"
expect "diskferry image verify --format e" "ewf"
expect "diskferry image verify --format ewf images/" "images/web01.qcow2"
expect "diskferry copy-out --preserve-" "--preserve-devices --preserve-setuid"
expect "diskferry run --re" "--report --resume"
expect "diskferry ls --format q" "qcow2 qed"
expect "diskferry ls --format = q" "qcow2 qed"
expect "diskferry cat --accel " "auto kvm tcg whpx"
expect "diskferry copy-out --xattrs = a" "all"
expect "diskferry ls -l disk" "disk.img disk.img: disk.qcow2"
expect "diskferry ls --format qcow2 images/" "images/web01.qcow2"
expect "diskferry ls disk.img : /e" ""
expect "diskferry copy-out disk.img : /etc out" ""
expect "diskferry run " "disk.img: images nightly.yaml"
expect "diskferry run nightly.yaml --report n" "nightly.yaml notes.txt"

# Every flag of copy-out's --help is offered after "--", whatever the build adds.
flags=$("$prog" copy-out --help | sed -n '/^Options:/,/^[^ ]/{s/^  \(-[^ ]*\).*/\1/p}' |
  tr ',' '\n' | sed -n 's/^\(--[A-Za-z0-9][A-Za-z0-9-]*\).*/\1/p' | sort | paste -sd ' ')
[ "$(wc -w <<<"$flags")" -ge 20 ] || { echo "FAIL: copy-out --help parsed to [$flags]" >&2; exit 1; }
expect "diskferry copy-out --" "$flags"

[ "$failures" -eq 0 ] || exit 1
echo "ok: every completion as expected"
