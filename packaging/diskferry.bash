# bash completion for diskferry(1): commands, flags, flag values, and host files for
# manifests and for the IMAGE part of IMAGE:PATH arguments (the PATH part is inside the
# image, which completion does not boot an appliance to list). The flags of each command
# are read from its --help, so they follow the program they complete.

# The long and short flags of one command ("ls", "appliance check"), from `diskferry CMD --help`.
_diskferry_flags() {
  local prog=$1
  shift
  "$prog" "$@" --help 2>/dev/null |
    sed -n '/^Options:/,/^[^ ]/{s/^  \(-[^ ]*\).*/\1/p}' |
    tr ',' '\n' | sed -n 's/^\(--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*\).*/\1/p'
}

# The subcommands listed by `diskferry [CMD] --help`.
_diskferry_subcommands() {
  local prog=$1
  shift
  "$prog" "$@" --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/{s/^  \([a-z][a-z-]*\) .*/\1/p}'
}

_diskferry() {
  local prog=${COMP_WORDS[0]}
  # The word being completed, whole: COMP_WORDBREAKS splits "disk.img:/etc" and
  # "--format=qcow2" into several words, the text before the cursor does not.
  local line=${COMP_LINE:0:COMP_POINT}
  local cur=${line##*[[:space:]]}
  local i word prev=""
  local -a cmd=()
  # The command path (run, appliance check) and the word before the current one, skipping
  # the ":" and "=" words that COMP_WORDBREAKS made.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == -* || $word == = || $word == : ]]; then
      prev=$word
      continue
    fi
    if [[ ${#cmd[@]} -eq 0 || (${cmd[0]} == @(appliance|image|report) && ${#cmd[@]} -eq 1) ]] &&
      [[ $prev != --* || $prev == *=* ]]; then
      cmd+=("$word")
    fi
    prev=$word
  done
  [[ ${COMP_WORDS[COMP_CWORD - 1]} == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}=
  COMPREPLY=()

  if [[ $cur == -* ]]; then
    local name=${cur%%=*}
    if [[ $cur == *=* ]]; then
      _diskferry_values "$name" "${cur#*=}"
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_diskferry_flags "$prog" "${cmd[@]}")" -- "$cur")
    fi
    return 0
  fi
  if [[ $prev == -* && $prev != *=* ]] && _diskferry_takes_value "$prog" "$prev" "${cmd[@]}"; then
    _diskferry_values "$prev" "$cur"
    return 0
  fi
  if [[ ${#cmd[@]} -eq 0 || (${cmd[0]} == @(appliance|image|report) && ${#cmd[@]} -eq 1) ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_diskferry_subcommands "$prog" "${cmd[@]}")" -- "$cur")
    return 0
  fi
  case ${cmd[0]} in
    ls | cat | copy-out | copy-in)
      # IMAGE:PATH: the image is a host file; after the colon is a path inside it.
      [[ $cur == *:* ]] && return 0
      _diskferry_files "$cur"
      ;;
    validate | plan | run) _diskferry_files "$cur" '*.@(yaml|yml)' ;;
    appliance) [[ ${cmd[1]} == export ]] && _diskferry_dirs "$cur" ;;
    image) [[ ${cmd[1]} == verify ]] && _diskferry_files "$cur" ;;
    report) [[ ${cmd[1]} == merge ]] && _diskferry_files "$cur" '*.jsonl' ;;
  esac
  return 0
}

# Whether FLAG of the command takes a value: its --help line shows a type after it.
_diskferry_takes_value() {
  local prog=$1 flag=$2
  shift 2
  "$prog" "$@" --help 2>/dev/null |
    grep -qE "^  (-[A-Za-z],)?${flag}(,--[A-Za-z0-9-]+)?(\{[a-z]*\})? +[A-Z]"
}

_diskferry_values() {
  local flag=$1 cur=$2
  case $flag in
    --format) mapfile -t COMPREPLY < <(compgen -W "raw qcow2 qed vmdk vdi vhdx vpc ewf" -- "$cur") ;;
    --accel) mapfile -t COMPREPLY < <(compgen -W "auto kvm whpx tcg" -- "$cur") ;;
    --lane) mapfile -t COMPREPLY < <(compgen -W "shm socket" -- "$cur") ;;
    --xattrs) mapfile -t COMPREPLY < <(compgen -W "user all" -- "$cur") ;;
    --shard) mapfile -t COMPREPLY < <(compgen -W "auto" -- "$cur") ;;
    --compress) mapfile -t COMPREPLY < <(compgen -W "none gzip zstd" -- "$cur") ;;
    --kernel) mapfile -t COMPREPLY < <(compgen -f -X '!*vmlinuz*' -- "${cur:-/boot/}") ;;
    --appliance | --cache-dir) _diskferry_dirs "$cur" ;;
    --add | --backing | --key-file | --image | --output | --report | --resume | --tar)
      _diskferry_files "$cur" ;;
  esac
}

_diskferry_files() {
  local cur=$1 pattern=${2:-}
  compopt -o filenames 2>/dev/null || true
  if [[ -n $pattern ]]; then
    local saved
    saved=$(shopt -p extglob || true)
    shopt -s extglob
    mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X "!$pattern" -- "$cur")
    eval "$saved"
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}

_diskferry_dirs() {
  compopt -o filenames 2>/dev/null || true
  mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

complete -F _diskferry diskferry
