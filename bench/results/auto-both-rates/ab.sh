#!/bin/bash
# A/B of variant.diff (a growth kept only when neither bytes/s nor requests/s fell by more than
# 5%; a drain undone only when both fell): old (a release build of 9cc01d7) then new (9cc01d7
# with variant.diff applied), three times; binaries copied to /tmp/s3up-old and /tmp/s3up-new.
# c64 is a control (unchanged). Medians: ../auto-jump/medians.py over the logs (medians.txt).
cd /work/main
for round in 1 2 3; do
  for v in old new; do
    S3UP_BIN=/tmp/s3up-$v bench/run.sh --no-build --network wan20,wan80 --datasets tree \
      --transports nginx-https --only s3up --concurrency 64 --reps 2 \
      --out /tmp/lsc2/$v-$round > /tmp/lsc2/$v-$round.log 2>&1
  done
done
echo done > /tmp/lsc2/finished
