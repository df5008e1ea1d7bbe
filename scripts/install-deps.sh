#!/usr/bin/env bash
# Installs what s3up needs to build, test and benchmark on Debian 12 (run as root, or with sudo
# available). Python's boto3 and moto come with the machine image; they are checked, not
# installed (no PyPI here).
set -euo pipefail
PACKAGES=(build-essential cmake ninja-build ccache pkg-config
          libboost1.81-all-dev libssl-dev libcxxopts-dev libpugixml-dev libisal-dev
          openssl curl nginx-light)
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
