#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to an upload you can see: installs, builds, starts
# moto (an S3 implementation, checking SigV4 signatures) on 127.0.0.1, uploads a sample tree
# (or the directory given as $1) and lists what arrived.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec python3 scripts/demo.py "$@"
