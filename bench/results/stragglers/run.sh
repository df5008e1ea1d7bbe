#!/bin/bash
# Stragglers sent again on a new connection (net/straggler_watch.hpp, stop 47): the tree at 80 ms
# (nginx over HTTPS through the wan80 proxy, single PUTs: its one 8 MiB body goes whole), per-
# request timelines at --concurrency 64, 256 and auto, three runs each, of
#   old-:   a release build of 73a16a3 (before)
#   new-:   the first rule (windows of at least 0.5 s; 31704a8)
#   new2-:  the rule as committed (windows of at least 0.25 s, or four round trips)
#   thr-*:  the same builds with --engine threaded (256 and auto)
# Summary (brief.txt): bench/timeline.py show --brief /tmp/tl/*.jsonl; the "re-sent" column is
# the report's connections.stragglers_resent ("-": a build without it). One run in full
# (timeline.txt): bench/timeline.py show /tmp/tl/new2-cauto-1.jsonl.
set -e
T=/work/main/bench/timeline.py
python3 $T run --s3up /tmp/s3up-new --label new- --concurrency 64,256,auto --reps 3 --out /tmp/tl
python3 $T run --s3up /tmp/s3up-old --label old- --concurrency 64,256,auto --reps 3 --out /tmp/tl
python3 $T run --s3up /tmp/s3up-new2 --label new2- --concurrency 64,256,auto --reps 3 --out /tmp/tl
python3 $T run --s3up /tmp/s3up-new2 --label thr-new2- --concurrency 256,auto --reps 3 \
  --out /tmp/tl -- --engine threaded
python3 $T run --s3up /tmp/s3up-old --label thr-old- --concurrency 256,auto --reps 3 \
  --out /tmp/tl -- --engine threaded
# Loopback (lan/brief.txt): nothing re-sent.
python3 $T run --s3up /tmp/s3up-new2 --label lan- --network lan --concurrency 64,auto,256 --reps 2 \
  --out /tmp/tll
# Through bench/run.sh, old and new alternated (ab/: nginx, single PUTs; ab-parts/: s3-testserver,
# parts; new-runs.txt: the last round's runs with the report's stragglers_resent):
cd /work/main
bench/ab.sh /tmp/ab 2 /tmp/s3up-old /tmp/s3up-new2 -- --network wan80 --datasets tree \
  --transports nginx-https --only s3up --concurrency 64 --reps 2
bench/ab.sh /tmp/ab3 1 /tmp/s3up-old /tmp/s3up-new2 -- --network wan80 --datasets wlarge,tree \
  --transports ts-https --only s3up --concurrency 64 --reps 2
python3 bench/results/auto-jump/medians.py /tmp/ab > bench/results/stragglers/ab/medians.txt
python3 bench/results/auto-jump/medians.py /tmp/ab3 > bench/results/stragglers/ab-parts/medians.txt
