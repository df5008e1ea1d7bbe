#!/bin/bash
# Loopback: SRC to s3-testserver --discard over HTTPS, OLD then NEW binary, REPS rounds;
# wall time, CPU (user+sys) and peak RSS of s3up at its defaults.
# usage: lan.sh OLD NEW SRC [REPS]   (SRC here: 40 files of 20 MiB + i x 4097 bytes, from
#   for i in $(seq 1 40); do head -c $((20*1024*1024 + i*4097)) /dev/urandom > f$(printf %02d $i).bin; done)
set -euo pipefail
OLD=$1; NEW=$2; SRC=$3; N=${4:-3}
B=$(cd "$(dirname "$0")/../../.." && pwd)/build-release; TLS=/tmp/s3up-bench/tls
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_REGION=us-east-1
OUT=$(mktemp -d)
"$B/s3-testserver" --port 0 --discard --bucket hbk --tls-cert $TLS/cert.pem --tls-key $TLS/key.pem > "$OUT/ts.out" 2>&1 &
TS=$!; sleep 0.5; PORT=$(grep -o '127.0.0.1:[0-9]*' "$OUT/ts.out" | head -1 | cut -d: -f2)
for r in $(seq "$N"); do for v in old new; do
  bin=$OLD; [ $v = new ] && bin=$NEW
  /usr/bin/time -f "$v %e s wall %U+%S s cpu %M KiB rss" "$bin" --endpoint-url https://127.0.0.1:$PORT \
    --quiet --ca-bundle $TLS/cert.pem "$SRC" s3://hbk/l$r$v/ 2>&1 | tail -1
done; done
kill $TS; rm -rf "$OUT"
