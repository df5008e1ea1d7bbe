#!/usr/bin/env python3
"""Where the WAN proxy (s3up-wanproxy, bench/wanproxy/) runs out of CPU on this machine: the
same uploads to nginx (HTTP, one worker) directly and through the proxy with nothing added (0 ms,
no rate limit), with the proxy's CPU time and lateness for each.

  small        N x 4 KiB PUTs, kept-alive connections (curl -Z, and s3up when built)
  newconn      the same with 'Connection: close': one new connection per request
  bulk         2 x 256 MiB single PUTs (curl -Z)

Per workload: wall time direct and proxied, requests/s or MB/s, the proxy's CPU seconds and its
share of the wall time, its CPU cost per request (µs) or per MB, the ceiling that cost implies
on one core (1 / cost), and the release lateness p50/p99/max. Results go to stdout and, as JSON,
to --json FILE.
usage: bench/wanproxy_ceiling.py [--files 10000] [--reps 3] [--json FILE] [--s3up BIN]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import build as buildmod                                # noqa: E402
from benchlib import datasets, sinks                                   # noqa: E402
from benchlib.common import base_env, log, run_timed, work_dir         # noqa: E402
from benchlib.network import PROFILES, PROXY_TARGET, WanProxy          # noqa: E402


def curl_cfg(path: Path, ds, url: str, close: bool) -> Path:
    with open(path, "w") as f:
        f.write('header = "Expect:"\n')     # no 100-continue round trip (see clients.py)
        if close:       # a global option: one line for every transfer
            f.write('header = "Connection: close"\n')
        for rel in ds.files:
            f.write(f'upload-file = "{ds.path / rel}"\nurl = "{url}/bench/c/{rel}"\noutput = "/dev/null"\n')
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--s3up", default=str(HERE.parent / "build-release" / "s3up"))
    ap.add_argument("--only", default="", help="comma list of small,newconn,bulk")
    a = ap.parse_args()
    want = [x for x in a.only.split(",") if x] or ["small", "newconn", "bulk"]
    if not os.environ.get("WANPROXY_BIN"):
        for t, err in buildmod.build([PROXY_TARGET]).items():
            sys.exit(f"build of {t}: {err}")
    cert, key = sinks.make_cert()
    nginx = sinks.Nginx(cert, key)
    sink = sinks.NginxSink(nginx, False, cert)
    port = int(sink.url.rsplit(":", 1)[1])
    proxy = WanProxy(PROFILES["proxy0"], [port])
    purl = f"http://127.0.0.1:{proxy.port_of[port]}"
    wd = work_dir() / "ceiling"
    wd.mkdir(exist_ok=True)
    small = datasets.generate_flat(work_dir() / "data" / f"ceiling-{a.files}x4k", a.files, 4096)
    big = datasets.generate_flat(work_dir() / "data" / "ceiling-2x256m", 2, 256 << 20) if "bulk" in want else None
    for ds in [small] + ([big] if big else []):
        datasets._warm(ds)
    env = base_env()
    runs = []   # (name, ds, cmd builder(url) -> cmd, unit)
    if "small" in want:
        runs.append(("curl -Z 64, 4 KiB, keep-alive", small,
                     lambda u, tag: ["curl", "-s", "-S", "--fail", "-Z", "--parallel-max", "64", "-K",
                                     str(curl_cfg(wd / f"small-{tag}.cfg", small, u, False))], "req"))
        if Path(a.s3up).exists():
            for c in (64, 256):
                runs.append((f"s3up c{c}, 4 KiB", small,
                             lambda u, tag, c=c: [a.s3up, "--endpoint-url", u, "--quiet", "--concurrency",
                                                  str(c), str(small.path), "s3://bench/c/"], "req"))
    if "newconn" in want:
        runs.append(("curl -Z 64, 4 KiB, Connection: close", small,
                     lambda u, tag: ["curl", "-s", "-S", "--fail", "-Z", "--parallel-max", "64", "-K",
                                     str(curl_cfg(wd / f"close-{tag}.cfg", small, u, True))], "conn"))
    if big is not None:
        runs.append(("curl -Z, 2 x 256 MiB", big,
                     lambda u, tag: ["curl", "-s", "-S", "--fail", "-Z", "-K",
                                     str(curl_cfg(wd / f"bulk-{tag}.cfg", big, u, False))], "MB"))
    out = {"machine_load_start": os.getloadavg(), "proxy": proxy.control("stats")["profile"],
           "proxy_python": proxy.python, "proxy_priority": proxy.priority, "results": []}
    try:
        for name, ds, build, unit in runs:
            res = {"name": name, "files": ds.count, "bytes": ds.total_bytes, "direct": [], "proxied": []}
            for rep in range(a.reps):
                for mode, url in (("direct", sink.url), ("proxied", purl)):
                    sink.clear()
                    cmd = build(url, mode)
                    proxy.control("reset")
                    load = os.getloadavg()[0]
                    m = run_timed(cmd, env, wd / f"{mode}.log", 600)
                    st = proxy.control("reset")
                    ok, why = sink.verify("c/", ds.files)
                    res[mode].append({"wall": m.wall, "rc": m.rc, "ok": ok and m.rc == 0, "why": why,
                                      "client_cpu": m.user + m.sys, "load": load,
                                      "proxy_cpu": st["cpu_s"], "lateness": st["lateness"],
                                      "connections": st["connections"]})
                    log(f"{name} {mode} rep {rep + 1}: {m.wall:.2f}s ok={ok and m.rc == 0} ({why}) "
                        f"proxy cpu {st['cpu_s']:.2f}s conns {st['connections']} "
                        f"late p99 {st['lateness']['p99_ms']}ms load {load:.1f}")
            d = statistics.median(r["wall"] for r in res["direct"])
            p = statistics.median(r["wall"] for r in res["proxied"])
            pcpu = statistics.median(r["proxy_cpu"] for r in res["proxied"])
            per = ds.count if unit in ("req", "conn") else ds.total_bytes / 1e6
            res.update({"direct_wall": d, "proxied_wall": p, "proxy_cpu": pcpu,
                        "proxy_share": pcpu / p, "rate_direct": per / d, "rate_proxied": per / p,
                        "proxy_cost": pcpu / per, "ceiling_one_core": per / pcpu if pcpu else None,
                        "unit": {"req": "requests/s", "conn": "connections/s", "MB": "MB/s"}[unit],
                        "late_p99_max": max(r["lateness"]["p99_ms"] for r in res["proxied"]),
                        "late_max": max(r["lateness"]["max_ms"] for r in res["proxied"])})
            out["results"].append(res)
    finally:
        proxy.stop()
        nginx.stop()
    out["machine_load_end"] = os.getloadavg()
    print(f"\nproxy: {out['proxy_python']} ({out['proxy']['loop']}, {out['proxy_priority']}); "
          f"load at start {out['machine_load_start'][0]:.1f}, at end {out['machine_load_end'][0]:.1f}")
    print("| workload | direct | through the proxy | proxy CPU s (share of wall) | proxy cost | "
          "ceiling on one core | lateness p99 / max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in out["results"]:
        u = r["unit"]
        cost = (f"{r['proxy_cost'] * 1e6:.0f} µs/request" if u != "MB/s"
                else f"{r['proxy_cost'] * 1e3:.2f} ms/MB")
        print(f"| {r['name']} | {r['direct_wall']:.2f} s ({r['rate_direct']:,.0f} {u}) | "
              f"{r['proxied_wall']:.2f} s ({r['rate_proxied']:,.0f} {u}) | {r['proxy_cpu']:.2f} "
              f"({r['proxy_share'] * 100:.0f}%) | {cost} | {r['ceiling_one_core']:,.0f} {u} | "
              f"{r['late_p99_max']:.1f} / {r['late_max']:.0f} |")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
