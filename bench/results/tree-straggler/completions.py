#!/usr/bin/env python3
"""Per second of a run, the bytes and files s3-testserver stored (from its --log: one line per
request, time to the second, size last), and when the largest object was stored.
usage: completions.py LOG..."""
import collections
import sys
from datetime import datetime


def seconds(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


for path in sys.argv[1:]:
    rows = [line.split() for line in open(path) if line.strip()]
    start = min(seconds(r[0]) for r in rows)
    stored = collections.Counter()
    files = collections.Counter()
    large = collections.Counter()
    for r in rows:
        s = int(seconds(r[0]) - start)
        size = int(r[-1])
        stored[s] += size
        files[s] += 1
        large[s] += size >= 1 << 20
    print(f"{path}: {len(rows)} requests")
    print("| second | MB stored | requests | of 1 MiB or more |\n|---:|---:|---:|---:|")
    for s in sorted(stored):
        print(f"| {s} | {stored[s] / 1e6:.1f} | {files[s]} | {large[s]} |")
    biggest = max(rows, key=lambda r: int(r[-1]))
    print(f"largest request: {int(biggest[-1]):,} bytes, {biggest[2]}, stored at second "
          f"{int(seconds(biggest[0]) - start)}\n")
