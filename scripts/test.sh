#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test passing: installs what is missing,
# builds, runs the fuzz targets briefly (scripts/fuzz.sh), runs the whole suite (unit and
# integration) through ctest; then builds the
# sanitizer variants and runs the tests under them (scripts/sanitize.sh --ci: the suite under
# ASan+UBSan, a subset under TSan). S3UP_SANITIZE_CI=0 skips the sanitizers (a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
status=0
# The fuzz targets (tests/fuzz, scripts/fuzz.sh): built with clang-14 into build-fuzz, each run
# over its seed corpus and then fuzzed for FUZZ_SECONDS seconds (10 by default; 0 skips them).
if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-10}" || status=1
fi
# A failed test is run once more before it counts (a known rare flake in the --sync tests under
# load is being tracked down; see the issue notes). Every assertion still has to hold.
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 1200 -j 2 --repeat until-pass:2 "$@") \
  || status=$?
if [ "${S3UP_SANITIZE_CI:-1}" != 0 ]; then
  scripts/sanitize.sh --ci all || status=1
fi
exit "$status"
