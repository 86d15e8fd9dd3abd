#!/usr/bin/env bash
# Installs the build into PREFIX (`cmake --install BUILD --prefix PREFIX`), afresh: the
# fixture of the other packaging tests. Usage: install_prefix.sh BUILD PREFIX
set -euo pipefail
build=$1 prefix=$2
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
