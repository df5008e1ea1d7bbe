#!/bin/bash
# The real tree at 80 ms with and without its one 8 MiB file split into parts, by hand.
# usage: run.sh TREE [REPS]   (TREE: a copy of the benchmark's tree, /usr/share/doc)
# Needs build-release (s3up, s3-testserver, s3up-wanproxy) and the benchmark's TLS files
# (/tmp/s3up-bench/tls, written by bench/run.sh). Prints one line per run; keeps each run's
# request log (s3-testserver --log) in $OUT (default /tmp/tree-straggler) for completions.py.
set -euo pipefail
TREE=$1; REPS=${2:-2}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd); B=$ROOT/build-release
TLS=/tmp/s3up-bench/tls; OUT=${OUT:-/tmp/tree-straggler}; mkdir -p "$OUT"
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_REGION=us-east-1
SPLIT="--multipart-threshold 5MiB --part-size 5MiB"
one() {  # NAME CONCURRENCY ENGINE [EXTRA...]
  local name=$1 conc=$2 engine=$3; shift 3
  rm -f "$OUT/$name.log" "$OUT/ready"
  "$B/s3-testserver" --port 0 --discard --bucket hbk --log "$OUT/$name.log" \
    --tls-cert $TLS/cert.pem --tls-key $TLS/key.pem > "$OUT/ts.out" 2>&1 &
  local ts=$!; sleep 0.5
  local tsport; tsport=$(grep -o '127.0.0.1:[0-9]*' "$OUT/ts.out" | head -1 | cut -d: -f2)
  chrt -f 10 "$B/s3up-wanproxy" --profile wan80 --map 127.0.0.1:$tsport \
    --ready-file "$OUT/ready" --stats-file /dev/null > "$OUT/proxy.out" 2>&1 &
  local px=$!
  for _ in $(seq 50); do [ -s "$OUT/ready" ] && break; sleep 0.1; done
  local port; port=$(grep -o 'listen 127.0.0.1:[0-9]*' "$OUT/ready" | head -1 | cut -d: -f2)
  echo "$name: $("$B/s3up" --endpoint-url https://127.0.0.1:$port --quiet --concurrency "$conc" \
    --engine "$engine" --ca-bundle $TLS/cert.pem "$@" "$TREE" s3://hbk/t/ 2>&1 | tail -1)"
  kill $px $ts; wait $px $ts 2>/dev/null || true
}
for rep in $(seq "$REPS"); do
  for v in "c64 64 async" "c256 256 async" "auto auto async" "auto-threaded auto threaded"; do
    set -- $v
    one "$1-$rep" "$2" "$3"
    # shellcheck disable=SC2086
    one "$1-split-$rep" "$2" "$3" $SPLIT
  done
done
