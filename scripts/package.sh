#!/usr/bin/env bash
# Builds the Debian package: a Release build of s3up (without the tests) in build-package/, then
# CPack's DEB generator, into dist/ (s3up_VERSION-1_ARCH.deb). Its Depends are computed from the
# binary by dpkg-shlibdeps (dpkg-dev, from scripts/install-deps.sh).
#   scripts/package.sh                       # dist/s3up_0.1.0-1_amd64.deb
#   BUILD_DIR=build DIST_DIR=/tmp scripts/package.sh   # package an existing build folder
#   S3UP_GIT_COMMIT=abc123... scripts/package.sh  # the commit --version names, built without .git
# Install it with: sudo apt install ./dist/s3up_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-package}
DIST_DIR=${DIST_DIR:-dist}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f "$BUILD_DIR/CMakeCache.txt" ] && generator=()
settings=()
case "${S3UP_WERROR:-}" in
  1) settings=(-DS3UP_WERROR=ON) ;;
  0) settings=(-DS3UP_WERROR=OFF) ;;
esac
[ -n "${S3UP_GIT_COMMIT:-}" ] && settings+=(-DS3UP_GIT_COMMIT="$S3UP_GIT_COMMIT")
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${generator[@]}" "${settings[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_TESTING=OFF >/dev/null
else
  cmake "${settings[@]}" "$BUILD_DIR" >/dev/null  # picks up a new commit's version
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" --target s3up s3up_docs
mkdir -p "$DIST_DIR"
dist=$(cd "$DIST_DIR" && pwd)
rm -rf "$dist/_cpack"
(cd "$BUILD_DIR" && cpack -G DEB -B "$dist/_cpack" >/dev/null)
for deb in "$dist"/_cpack/s3up_*.deb; do
  mv "$deb" "$dist"/
  echo "$dist/$(basename "$deb")"
done
rm -rf "$dist/_cpack"
