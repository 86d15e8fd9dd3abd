#!/usr/bin/env bash
# Builds the Debian package of diskferry with CPack's DEB generator (packaging/cpack.cmake):
# no packaging tool beyond the build's own (cmake, and dpkg-shlibdeps from dpkg-dev for the
# shared-library dependencies). Configures BUILD_DIR (default build-deb, without tests)
# when it holds no build yet, builds it, and writes diskferry_VERSION_amd64.deb into
# OUT_DIR (default BUILD_DIR). Prints the package's path.
# Usage: scripts/package.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$top/build-deb}")
out=$(realpath -m "${2:-$build}")

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDISKFERRY_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target diskferry diskferry-daemon >/dev/null
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 ||
  { cat "$out/cpack.log" >&2; exit 1; }
sed -n 's/^CPack: - package: \(.*\.deb\) generated\.$/\1/p' "$out/cpack.log"
