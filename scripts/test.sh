#!/usr/bin/env bash
# Runs every test: sets up (idempotent), builds, then runs the unit and integration tests
# through CTest. Integration tests boot real QEMU appliances (TCG when there is no KVM).
# Then cross-builds the Windows host side and runs its unit tests under wine
# (docs/windows.md); without wine they are skipped, saying so.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
win_build=${WIN_BUILD_DIR:-$top/build-win}
"$top/scripts/setup.sh" "$build"

status=0
(cd "$build" && ctest --output-on-failure --timeout 1200 -j"${DISKFERRY_TEST_JOBS:-2}" "$@") ||
  status=$?

if command -v wine >/dev/null 2>&1; then
  "$top/scripts/build-windows.sh" "$win_build"
  export WINEDEBUG=${WINEDEBUG:--all} WINEPREFIX=${WINEPREFIX:-$win_build/wine}
  (cd "$win_build" && ctest --output-on-failure --timeout 600 -j"${DISKFERRY_TEST_JOBS:-2}" "$@") ||
    status=$?
else
  echo "test: SKIPPED the Windows unit tests: wine is not installed (apt-get install wine64 wine;"
  echo "      scripts/setup.sh installs it)"
fi
exit "$status"
