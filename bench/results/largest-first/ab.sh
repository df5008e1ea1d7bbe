#!/bin/bash
# A/B of the largest-first start order: old (a release build of ae1e2e7) then new, twice; the
# binaries were copied to /tmp/s3up-old and /tmp/s3up-new. Medians: ../auto-jump/medians.py
# /tmp/lpt (medians.txt).
exec "$(dirname "$0")/../../ab.sh" /tmp/lpt 2 /tmp/s3up-old /tmp/s3up-new -- \
  --network wan20,wan80 --datasets tree --transports nginx-https --only s3up --concurrency 64 \
  --reps 2
