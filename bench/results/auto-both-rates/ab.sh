#!/bin/bash
# A/B of variant.diff (a growth kept only when neither bytes/s nor requests/s fell by more than
# 5%; a drain undone only when both fell): old (a release build of 9cc01d7) then new (9cc01d7
# with variant.diff applied), three times; binaries copied to /tmp/s3up-old and /tmp/s3up-new.
# c64 is a control (unchanged). Medians: ../auto-jump/medians.py /tmp/lsc2 (medians.txt).
exec "$(dirname "$0")/../../ab.sh" /tmp/lsc2 3 /tmp/s3up-old /tmp/s3up-new -- \
  --network wan20,wan80 --datasets tree --transports nginx-https --only s3up --concurrency 64 \
  --reps 2
