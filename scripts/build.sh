#!/usr/bin/env bash
# Configures and builds s3up into build/ (BUILD_DIR and BUILD_TYPE may override).
# S3UP_WERROR=1 makes compiler warnings errors (-DS3UP_WERROR=ON, as CI does), S3UP_WERROR=0
# turns that off again; unset, the build folder keeps what it was configured with.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f "$BUILD_DIR/CMakeCache.txt" ] && generator=()
werror=()
case "${S3UP_WERROR:-}" in
  1) werror=(-DS3UP_WERROR=ON) ;;
  0) werror=(-DS3UP_WERROR=OFF) ;;
esac
cmake -S . -B "$BUILD_DIR" "${generator[@]}" "${werror[@]}" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
