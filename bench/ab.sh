#!/bin/bash
# A/B of two s3up binaries through bench/run.sh, ROUNDS rounds in the order OLD NEW, NEW OLD,
# OLD NEW, ... so that the machine's drift during the sitting, and whatever a run leaves behind
# for the next (the sink's files, the page cache), fall on both sides alike. Round r of each
# binary writes OUT/<old|new>-<r>/ (run.sh's results) and OUT/<old|new>-<r>.log; OUT/finished
# when all are done.
# usage: bench/ab.sh OUT ROUNDS OLD_BIN NEW_BIN -- <bench/run.sh arguments>
# medians per setting (wall, CPU, connections, RSS, auto's peaks): bench/ab_summary.py OUT
# medians of wall time (and auto's end limits) per setting: results/auto-jump/medians.py OUT
set -uo pipefail
if [ $# -lt 5 ] || [ "$5" != "--" ]; then
  sed -n '7p' "$0" >&2
  exit 2
fi
OUT=$1; ROUNDS=$2; OLD=$3; NEW=$4; shift 5
RUN=$(cd "$(dirname "$0")" && pwd)/run.sh
mkdir -p "$OUT"
rm -f "$OUT/finished"
status=0
for round in $(seq "$ROUNDS"); do
  order="old new"
  [ $((round % 2)) -eq 0 ] && order="new old"
  for v in $order; do
    if [ "$v" = old ]; then bin=$OLD; else bin=$NEW; fi
    S3UP_BIN=$bin "$RUN" --no-build "$@" --out "$OUT/$v-$round" > "$OUT/$v-$round.log" 2>&1 \
      || { echo "ab.sh: $v round $round failed (see $OUT/$v-$round.log)" >&2; status=1; }
  done
done
echo done > "$OUT/finished"
exit $status
