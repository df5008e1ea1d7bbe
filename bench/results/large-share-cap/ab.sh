#!/bin/bash
# A/B of variant.diff, capping large bodies' share of the places in flight at 16 (a quarter
# of the limit before): old (a release build of 9cc01d7) then new, three times; the binaries were copied to
# /tmp/s3up-old and /tmp/s3up-new. c64's share is 16 either way (a control); auto's differs once
# its limit passes 64. Medians: ../auto-jump/medians.py /tmp/lsc (medians.txt).
exec "$(dirname "$0")/../../ab.sh" /tmp/lsc 3 /tmp/s3up-old /tmp/s3up-new -- \
  --network wan20,wan80 --datasets tree --transports nginx-https --only s3up --concurrency 64 \
  --reps 2
