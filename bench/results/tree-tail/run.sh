#!/bin/bash
# The tree at 80 ms (nginx over HTTPS through the wan80 proxy), per-request timelines of s3up at
# --concurrency 64, 256 and auto, three runs each, and of three variants (stop 46):
#   base:     a release build of 85b775d
#   without-: the same, the tree without its one 8 MiB file (nodejs/api/all.html)
#   lpt-:     largest-jumps-share.diff: a large body at least twice the largest started so far
#             starts past the large bodies' share (S3UP_EXP_LPT=1)
#   threaded-: the base build, --engine threaded
#   alone-:   the base build, only nodejs/api/all.html (--only): the 8 MiB body alone on a fresh
#             connection (alone.txt: timeline.py show --brief /tmp/tlx/alone-*.jsonl)
#   hold16-:  large-held-at-16.diff: large bodies' share at most 16, and held there even when
#             only large files are left (S3UP_EXP_HOLD=16; async engine only)
# Summary: bench/timeline.py show --brief /tmp/tlx/*.jsonl (brief.txt); one run in full:
# bench/timeline.py show /tmp/tlx/<run>.jsonl (timelines.txt).
set -e
T=/work/main/bench/timeline.py
python3 $T run --s3up /tmp/s3up-base --concurrency 64,256,auto --reps 3 --out /tmp/tlx
python3 $T run --s3up /tmp/s3up-base --label without- --without nodejs/api/all.html \
  --concurrency 64,256 --reps 3 --out /tmp/tlx
python3 $T run --s3up /tmp/s3up-base --label without- --without nodejs/api/all.html \
  --concurrency auto,128,512 --reps 3 --out /tmp/tlx
S3UP_EXP_LPT=1 python3 $T run --s3up /tmp/s3up-lpt --label lpt- --concurrency 256,auto --reps 3 \
  --out /tmp/tlx
S3UP_EXP_HOLD=16 python3 $T run --s3up /tmp/s3up-hold --label hold16- --concurrency 64,256,auto \
  --reps 3 --out /tmp/tlx
python3 $T run --s3up /tmp/s3up-base --label threaded- --concurrency 64,256,auto --reps 3 \
  --out /tmp/tlx -- --engine threaded
python3 $T run --s3up /tmp/s3up-base --label alone- --only nodejs/api/all.html --concurrency 64 \
  --reps 5 --out /tmp/tlx
