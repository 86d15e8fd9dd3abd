#!/usr/bin/env bash
# Runs every test: sets up (idempotent), builds, then runs the unit and integration tests
# through CTest. Integration tests boot real QEMU appliances (TCG when there is no KVM).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/setup.sh" "$build"
cd "$build"
ctest --output-on-failure --timeout 1200 -j"${DISKFERRY_TEST_JOBS:-2}" "$@"
