#!/usr/bin/env bash
# bench/memory.sh [--files N] [--big SIZE] [--max-memory SIZE] [--only small|big]: s3up's peak
# RSS for 100,000 x 1 KiB files (nginx sink, target < 64 MiB) and for one 4 GiB file through
# multipart to s3-testserver with --max-memory 256MiB (target: under it plus 32 MiB).
# Appends the verdicts to bench/results/memory.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/deps.sh
bench_deps
exec python3 bench/memory.py "$@"
