#!/usr/bin/env python3
"""Loopback, plain HTTP to the bench nginx sink: each s3up binary given (BIN or BIN:EXTRA ARGS)
uploads LPDATA (default /dev/shm/lp: 2 x 256 MiB) 7 times, interleaved; prints the median wall
time and the median CPU nginx spent receiving. Run from anywhere; needs bench/deps.sh."""
import sys, os, time, subprocess, statistics
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from benchlib.sinks import Nginx, NginxSink, make_cert, process_cpu, children
cert, key = make_cert()
n = Nginx(cert, key)
s = NginxSink(n, False, cert)
env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench-secret", AWS_REGION="us-east-1")
bins = sys.argv[1:]
res = {b: [] for b in bins}
def ncpu():
    pids = [n.proc.pid] + children(n.proc.pid)
    return sum(process_cpu(p) for p in pids)
try:
    for rep in range(7):
        for b in bins:
            s.clear()
            c0 = ncpu(); t0 = time.perf_counter()
            r = subprocess.run([b.split(':')[0], "--endpoint-url", s.url, "--quiet", "--multipart-threshold", "300MiB"] + (b.split(':')[1].split() if ':' in b else []) + [os.environ.get("LPDATA", "/dev/shm/lp"), f"s3://bench/r{rep}/"], env=env, capture_output=True)
            w = time.perf_counter() - t0; c = ncpu() - c0
            res[b].append((w, c))
    for b, v in res.items():
        print(b, "wall %.3f nginx cpu %.3f" % (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)))
finally:
    s.stop(); n.stop()
