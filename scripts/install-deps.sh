#!/usr/bin/env bash
# Installs what s3up needs to build, test and benchmark on Debian 12 (run as root, or with sudo
# available). Python's boto3 and moto come with the machine image; they are checked, not
# installed (no PyPI here).
set -euo pipefail
PACKAGES=(build-essential cmake ninja-build ccache pkg-config
          libboost1.81-all-dev libssl-dev libcxxopts-dev libpugixml-dev libisal-dev
          openssl curl nginx-light)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
if ! python3 -c 'import boto3, botocore, moto.server' 2>/dev/null; then
  echo "python3 lacks boto3/moto; trying pip (pip install 'moto[server]' boto3)" >&2
  python3 -m pip install -q 'moto[server]' boto3 || {
    echo "error: the integration tests need python3 with boto3 and moto[server]" >&2; exit 1; }
fi
