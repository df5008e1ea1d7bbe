#!/usr/bin/env python3
"""Medians per setting of a bench/ab.sh folder (OUT/<old|new>-<round>/results.json): wall time,
s3up's CPU time, the connections the proxy saw ("-" on loopback, without a proxy), s3up's peak
RSS and auto's peak limits, old against new.
  bench/ab_summary.py OUT"""
import collections
import glob
import json
import statistics
import sys

rows = collections.defaultdict(list)
for f in glob.glob(f"{sys.argv[1]}/*-[0-9]*/results.json"):
    version = f.split("/")[-2].split("-")[0]
    for r in json.load(open(f))["results"]:
        for rep in r["reps"]:
            if not rep.get("ok"):
                continue
            s3up = rep.get("s3up") or {}
            seen = (rep.get("net") or {}).get("connections")  # None: no proxy counted them
            rows[(r["network"], r["engine"], r["concurrency"], version)].append(
                (rep["wall"], rep["user"] + rep["sys"], seen, rep["rss_kib"] / 1024,
                 s3up.get("concurrency_peak")))
print("network engine conc version  runs  wall s   CPU s  connections  RSS MiB  peak limits")
for key in sorted(rows):
    xs = rows[key]
    wall, cpu, rss = (statistics.median(x[i] for x in xs) for i in (0, 1, 3))
    seen = [x[2] for x in xs if x[2] is not None]
    connections = f"{statistics.median(seen):12.0f}" if seen else f"{'-':>12}"
    peaks = sorted(x[4] for x in xs) if key[2] == "auto" else ""
    print(f"{key[0]:7} {key[1]:8} {key[2]:4} {key[3]:4} {len(xs):5} {wall:7.2f} {cpu:7.2f} "
          f"{connections} {rss:8.0f}  {peaks}")
