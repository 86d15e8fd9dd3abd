#!/usr/bin/env bash
# Checks the folders' layering (docs/architecture.md, "Folders and what they may include"):
#   protocol <- daemon | (host <- appliance | jobs | sinks) <- runner <- cli
# Every `#include "FOLDER/..."` in a folder's sources, and every df_* library a folder's
# CMake files link, must belong to the folder itself or to one it may include. Prints one
# line per edge running the wrong way and exits 1; exit 0 when none does.
# Usage: check_layers.sh SOURCE_DIR
set -euo pipefail
top=${1:?usage: check_layers.sh SOURCE_DIR}
cd "$top"

# What each folder may include (itself always).
declare -A may=(
  [protocol]=""
  [host]="protocol"
  [daemon]="protocol"
  [appliance]="protocol host"
  [jobs]="protocol host"
  [sinks]="protocol host"
  [runner]="protocol host appliance jobs sinks"
  [cli]="protocol host appliance jobs sinks runner"
  [ewf]="protocol host sinks"
)
# Which folder defines each df_* library.
declare -A owner=()
for dir in "${!may[@]}"; do
  while read -r lib; do
    owner[$lib]=$dir
  done < <(grep -rhoE 'add_library\((df_[a-z_]+)' "$dir" --include=CMakeLists.txt \
             --include='*.cmake' | sed 's/add_library(//')
done

bad=0
allowed() {  # allowed FROM TO
  [[ $1 == "$2" ]] && return 0
  local d
  for d in ${may[$1]}; do [[ $d == "$2" ]] && return 0; done
  return 1
}
for dir in "${!may[@]}"; do
  while IFS=: read -r file line text; do
    to=$(sed -E 's/^#include "([a-z_-]+)\/.*/\1/' <<<"$text")
    [[ -n ${may[$to]+set} ]] || continue  # not one of the layered folders
    if ! allowed "$dir" "$to"; then
      echo "layering: $file:$line includes $to/ (${dir}/ may include: ${may[$dir]:-nothing else})"
      bad=1
    fi
  done < <(grep -rnE '^#include "[a-z_-]+/' "$dir" --include='*.h' --include='*.cc' || true)
  while IFS=: read -r file line text; do
    for lib in $(grep -oE '\bdf_[a-z_]+' <<<"$text"); do
      to=${owner[$lib]:-}
      [[ -n $to ]] || continue
      if ! allowed "$dir" "$to"; then
        echo "layering: $file:$line links $lib from $to/ (${dir}/ may use: ${may[$dir]:-nothing else})"
        bad=1
      fi
    done
  done < <(find "$dir" \( -name CMakeLists.txt -o -name '*.cmake' \) -print0 |
             xargs -0 -r awk '
               # One line per call, continuation lines joined: FILE:LINE:TEXT.
               /target_link_libraries\(/ { open = 1; start = FNR; text = "" }
               open { text = text " " $0 }
               open && /\)/ { print FILENAME ":" start ":" text; open = 0 }')
done
exit "$bad"
