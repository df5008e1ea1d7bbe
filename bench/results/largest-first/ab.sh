#!/bin/bash
# A/B of the largest-first start order: old (a release build of ae1e2e7) then new, twice; the
# binaries were copied to /tmp/s3up-old and /tmp/s3up-new. Medians: ../auto-jump/medians.py over
# the logs (medians.txt).
cd /work/main
for round in 1 2; do
  for v in old new; do
    S3UP_BIN=/tmp/s3up-$v bench/run.sh --no-build --network wan20,wan80 --datasets tree \
      --transports nginx-https --only s3up --concurrency 64 --reps 2 \
      --out /tmp/lpt/$v-$round > /tmp/lpt/$v-$round.log 2>&1
  done
done
echo done > /tmp/lpt/finished
