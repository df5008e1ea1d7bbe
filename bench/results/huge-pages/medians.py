"""Medians (and ranges) of ab.sh's lines, by binary and protocol: wall, CPU (user + sys), peak
RSS, minor page faults.  usage: python3 medians.py FILE"""
import collections
import statistics as st
import sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) != 7:
        continue
    runs[(p[1], p[0])].append((float(p[2]), float(p[3]) + float(p[4]), int(p[5]) / 1024, int(p[6])))
for (proto, name), v in sorted(runs.items()):
    col = lambda i: [x[i] for x in v]
    print(f"{proto:5} {name:14} n={len(v)} wall {st.median(col(0)):.2f} s ({min(col(0)):.2f}-{max(col(0)):.2f})"
          f" cpu {st.median(col(1)):.2f} s ({min(col(1)):.2f}-{max(col(1)):.2f})"
          f" rss {st.median(col(2)):.0f} MiB faults {st.median(col(3)):.0f}")
