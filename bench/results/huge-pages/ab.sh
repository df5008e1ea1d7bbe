#!/bin/bash
# Loopback A/B: SRC to s3-testserver --discard over HTTPS and HTTP, each binary in turn, REPS
# rounds, every binary at its defaults plus EXTRA; one line per run:
#   <binary> <http|https> <wall s> <user s> <sys s> <peak RSS KiB> <minor faults>
# usage: ab.sh SRC REPS "EXTRA" BIN...      (summary: python3 medians.py OUTPUT)
# SRC here: 40 x 20 MiB (for i in $(seq 40); do head -c 20971520 /dev/urandom > f$i; done)
#   and 4 x 256 MiB (head -c 268435456 ...), in /dev/shm.
set -euo pipefail
SRC=$1; N=$2; EXTRA=$3; shift 3
B=$(cd "$(dirname "$0")/../../.." && pwd)/build-release
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_REGION=us-east-1
OUT=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
"$B/s3-testserver" --port 0 --discard --bucket hbk --tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem" > "$OUT/tls.out" 2>&1 &
TLS=$!
"$B/s3-testserver" --port 0 --discard --bucket hbk > "$OUT/plain.out" 2>&1 &
PLAIN=$!
trap 'kill $TLS $PLAIN; rm -rf "$OUT"' EXIT
sleep 0.5
port() { grep -o '127.0.0.1:[0-9]*' "$1" | head -1 | cut -d: -f2; }
TP=$(port "$OUT/tls.out"); PP=$(port "$OUT/plain.out")
for r in $(seq "$N"); do for bin in "$@"; do
  name=$(basename "$bin")
  /usr/bin/time -f "$name https %e %U %S %M %R" "$bin" --quiet --endpoint-url https://127.0.0.1:$TP \
    --ca-bundle "$OUT/cert.pem" $EXTRA "$SRC" s3://hbk/r$r/ 2>&1 | tail -1
  /usr/bin/time -f "$name http %e %U %S %M %R" "$bin" --quiet --endpoint-url http://127.0.0.1:$PP \
    $EXTRA "$SRC" s3://hbk/r$r/ 2>&1 | tail -1
done; done
