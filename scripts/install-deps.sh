#!/usr/bin/env bash
# Installs what s3up needs to build, test and benchmark on Debian 12 (run as root, or with sudo
# available). Python's boto3 and moto come with the machine image; they are checked, not
# installed (no PyPI here).
#   scripts/install-deps.sh            # everything: build, package, tests, benchmarks
#   scripts/install-deps.sh --package  # only what scripts/package.sh needs (the Dockerfile's)
set -euo pipefail
# The build, and the Debian package: dpkg-dev and file for CPack's dependency computation
# (dpkg-shlibdeps), git for the version and commit --version prints.
BUILD_PACKAGES=(build-essential cmake ninja-build ccache pkg-config
                libboost1.81-all-dev libssl-dev libcxxopts-dev libpugixml-dev libisal-dev
                dpkg-dev file git)
if [ "${1:-}" = "--package" ]; then
  mapfile -t missing < <(for p in "${BUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done)
  [ "${#missing[@]}" -eq 0 ] && exit 0
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  exit 0
fi
# The tests: TLS certificates, the nginx PUT sink, man-db (man -w on the installed page), the
# shells whose completions tests/package/test_docs.py runs.
# The fuzz targets (scripts/fuzz.sh, tests/fuzz): clang 14 with libFuzzer and the sanitizer
# runtimes (libclang-rt-14-dev), llvm-14 for llvm-symbolizer (readable stack traces).
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)
PACKAGES=("${BUILD_PACKAGES[@]}" openssl curl nginx-light man-db zsh fish bash-completion
          "${FUZZ_PACKAGES[@]}")
# Ceph RGW 16.2 for tests/integration/test_rgw.py (a single-node cluster the tests start on
# 127.0.0.1), without its recommends: they would add ~115 packages, among them ceph-mgr, exim4
# and chrony.
CEPH_PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
missing_from() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(missing_from "${PACKAGES[@]}")
mapfile -t missing_ceph < <(missing_from "${CEPH_PACKAGES[@]}")
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "$((${#missing[@]} + ${#missing_ceph[@]}))" -gt 0 ]; then
  echo "installing: ${missing[*]}${missing[*]:+ }${missing_ceph[*]}"
  $SUDO apt-get update -q
fi
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
if [ "${#missing_ceph[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    "${missing_ceph[@]}"
fi
if ! python3 -c 'import boto3, botocore, moto.server' 2>/dev/null; then
  echo "python3 lacks boto3/moto; trying pip (pip install 'moto[server]' boto3)" >&2
  python3 -m pip install -q 'moto[server]' boto3 || {
    echo "error: the integration tests need python3 with boto3 and moto[server]" >&2; exit 1; }
fi
