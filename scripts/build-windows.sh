#!/usr/bin/env bash
# Cross-builds the Windows host side (diskferry.exe and its unit tests) with Debian's
# mingw-w64 toolchain (docs/windows.md). Dependencies Debian ships no mingw build of are
# built first from Debian's own source packages (qemu-win/deps/build_deps.sh).
# Usage: scripts/build-windows.sh [BUILD_DIR]   (default: build-win; deps in BUILD_DIR/deps)
# Expects scripts/setup.sh to have installed the toolchain. Idempotent and incremental.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-win}
deps=$build/deps

# libarchive's configure and ctest run Windows programs under wine; keep its chatter out
# and its prefix inside the build tree, so a clean clone starts from a clean wine.
export WINEDEBUG=${WINEDEBUG:--all}
export WINEPREFIX=${WINEPREFIX:-$build/wine}

"$top/qemu-win/deps/build_deps.sh" "$deps"
# Release: no debug info, which keeps the static executables small and the
# cross build faster.
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$top/qemu-win/toolchain-mingw64.cmake" \
  -DDF_WIN_DEPS_PREFIX="$deps/prefix" >/dev/null
cmake --build "$build" -- -j"$(nproc)"
echo "build-windows: built $build/bin/diskferry.exe and the Windows unit tests"
