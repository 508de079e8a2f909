#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine (as root): install, build, run every tier
# (unit, host netns, schema, browser, lab guests) through ctest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/deps.sh" test
"$here/scripts/build.sh"
cd "${BUILD_DIR:-$here/build}"
ctest --output-on-failure -j"${CTEST_JOBS:-2}" "$@"
