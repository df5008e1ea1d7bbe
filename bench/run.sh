#!/usr/bin/env bash
# bench/run.sh [--quick] [--reps N] [--datasets a,b] [--only s3up|peers] [...]: builds s3up in
# Release, prepares the datasets and sinks, runs the matrix and writes bench/results/.
# Installs the tools it needs with apt-get (as root). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/deps.sh
bench_deps
exec python3 bench/bench.py "$@"
