#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test passing: installs what is missing,
# builds, and runs the whole suite (unit and integration) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
# The fuzz targets (tests/fuzz, scripts/fuzz.sh): built with clang-14 into build-fuzz, each run
# over its seed corpus and then fuzzed for FUZZ_SECONDS seconds (10 by default; 0 skips them).
if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi
cd "${BUILD_DIR:-build}"
# A failed test is run once more before it counts (a known rare flake in the --sync tests under
# load is being tracked down; see the issue notes). Every assertion still has to hold.
ctest --output-on-failure --timeout 1200 -j 2 --repeat until-pass:2 "$@"
