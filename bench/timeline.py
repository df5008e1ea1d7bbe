#!/usr/bin/env python3
"""Per-request timelines of s3up runs through a network profile, from its own request log.

  bench/timeline.py run  --network wan80 --dataset tree --concurrency 64,256 --reps 2 --out DIR
                         [--s3up BIN] [--label L] [--without PATH] [--only PATH]
                         [-- extra s3up arguments]
  bench/timeline.py show DIR/<run>.jsonl... [--source DIR]

`run` starts nginx (HTTPS) behind the profile's proxy (benchlib, as bench/run.sh does), uploads
the dataset at each concurrency with `-vvv --log-format json` (one line per request: its key, its
completion time and its latency) and writes DIR/<label>-<rep>.jsonl, the report (.json) and the
proxy's counters for the run (.proxy.json). Bodies go in single PUTs (nginx takes no multipart),
as in bench/run.sh's nginx rows.

`show` prints, per second of each run: requests and bytes completed, the mean number in flight
(and of bodies of 256 KiB or more), the latency of small bodies (median, 90th percentile) and of
large ones; then the largest bodies and the last requests with their start and end (--brief: one
line per run and the medians of each setting, runs being named <setting>-<rep>). Body sizes
are read from the source folder (--source; `run` records it in DIR/timeline.json).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SMALL = 16 * 1024
LARGE = 256 * 1024


def run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(BENCH))
    from benchlib import build, clients, common, datasets, network, sinks

    binary = Path(args.s3up) if args.s3up else build.BUILD_DIR / "s3up"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cert, key = sinks.make_cert()
    nginx = sinks.Nginx(cert, key)
    sink = sinks.NginxSink(nginx, True, cert)
    profile = network.PROFILES[args.network]
    proxy = network.WanProxy(profile, [nginx.https_port]) if profile.proxied else None
    port = proxy.port_of[nginx.https_port] if proxy else nginx.https_port
    ds = datasets.prepare(args.dataset, False)
    expected = {k: v for k, v in ds.files.items()
                if k not in args.without and (not args.only or k in args.only)}
    filters = [a for key in args.without for a in ("--exclude", key)]
    if args.only:
        filters += ["--exclude", "**"] + [a for key in args.only for a in ("--include", key)]
    (out / "timeline.json").write_text(json.dumps({"source": str(ds.path), "network": args.network,
                                                   "dataset": args.dataset}) + "\n")
    env = common.base_env()
    sizes = clients.s3up_size_args(ds, sink, False)  # as run.sh's nginx rows: no file in parts
    status = 0
    try:
        for rep in range(args.reps):
            for conc in args.concurrency.split(","):
                label = f"{args.label}c{conc}" if args.label else f"c{conc}"
                sink.clear()
                base = out / f"{label}-{rep}"
                cmd = [str(binary), "--endpoint-url", f"https://127.0.0.1:{port}", "--quiet",
                       "--ca-bundle", str(cert), "--json", f"{base}.json", "--concurrency", conc,
                       *sizes, "-vvv", "--log-format", "json", *filters, *args.extra, str(ds.path),
                       f"s3://bench/{label}-{rep}/"]
                if proxy:
                    proxy.control("reset")  # the proxy's counters from zero, as runner.py does
                t0 = time.monotonic()
                with open(f"{base}.jsonl", "w") as log:
                    rc = subprocess.run(cmd, env=env, stderr=log, stdout=subprocess.DEVNULL).returncode
                wall = time.monotonic() - t0
                stats = proxy.control("reset") if proxy else {}  # this run's counters
                counters = {k: stats[k] for k in
                            ("connections", "losses_queue", "congestion_events", "bytes_up")
                            if k in stats}
                Path(f"{base}.proxy.json").write_text(json.dumps(counters) + "\n")
                ok, why = sink.verify(f"{label}-{rep}/", expected) if rc in (0, 1) else (False, "")
                print(f"{label} rep {rep}: {wall:.2f} s exit {rc} {'verified' if ok else why} "
                      f"{json.dumps(counters)}", flush=True)
                if rc != 0 or not ok:
                    status = 1
    finally:
        if proxy:
            proxy.stop()
        nginx.stop()
    return status


def load(path: Path, source: Path | None) -> list[tuple[float, float, int, str]]:
    """(start, end, body bytes, key) of every request, seconds from the first request's start."""
    if source is None and (path.parent / "timeline.json").exists():
        source = Path(json.loads((path.parent / "timeline.json").read_text())["source"])
    requests = []
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if event.get("event") != "request":
            continue
        end = datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
        latency = event["latency_ms"] / 1000
        key = event.get("key", "")
        relative = key.split("/", 1)[1] if "/" in key else key
        size = 0
        if source is not None and event.get("operation") == "PutObject":
            try:
                size = os.path.getsize(source / relative)
            except OSError:
                pass
        requests.append((end - latency, end, size, relative))
    if not requests:
        return []
    t0 = min(r[0] for r in requests)
    return [(s - t0, e - t0, size, k) for s, e, size, k in requests]


def in_flight(requests, t: float, min_bytes: int = 0) -> int:
    return sum(1 for s, e, size, _ in requests if s <= t < e and size >= min_bytes)


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def brief(names: list[str], source: Path | None) -> None:
    """One line per run, then the medians of each setting (runs named <setting>-<rep>)."""
    print("run                       last answer  largest body: start -> end   last alone  "
          "small bodies done  queue drops  re-sent")
    settings: dict[str, list[tuple[float, float, float, float]]] = {}
    for name in names:
        requests = load(Path(name), source)
        if not requests:
            continue
        ends = sorted(r[1] for r in requests)
        s, e, size, key = max(requests, key=lambda r: r[2])
        alone = ends[-1] - ends[-2] if len(ends) > 1 else 0.0
        small_done = max((r[1] for r in requests if r[2] < LARGE), default=0.0)
        counters_file = Path(name).with_suffix(".proxy.json")
        drops = json.loads(counters_file.read_text()).get("losses_queue", -1) \
            if counters_file.exists() else -1
        # Stragglers sent again on a new connection (net/straggler_watch.hpp); "-" for a binary
        # without them.
        report_file = Path(name).with_suffix(".json")
        resent = json.loads(report_file.read_text()).get("connections", {}).get(
            "stragglers_resent", "-") if report_file.exists() else "-"
        run_name = Path(name).stem
        print(f"{run_name:25s} {ends[-1]:9.2f} s  {size / 1e6:5.2f} MB {s:5.2f} -> {e:5.2f} s "
              f"{alone:9.2f} s {small_done:14.2f} s {drops:12d} {resent:>8}")
        settings.setdefault(run_name.rsplit("-", 1)[0], []).append((ends[-1], s, e, alone))
    print("setting (medians)         last answer  largest body: start -> end   last alone")
    for name, runs in settings.items():
        m = [statistics.median(x[i] for x in runs) for i in range(4)]
        print(f"{name:25s} {m[0]:9.2f} s  {'':8s} {m[1]:5.2f} -> {m[2]:5.2f} s {m[3]:9.2f} s"
              f"   (n={len(runs)}, {min(x[0] for x in runs):.2f}-{max(x[0] for x in runs):.2f} s)")


def show(args: argparse.Namespace) -> int:
    source = Path(args.source) if args.source else None
    if args.brief:
        brief(args.logs, source)
        return 0
    for name in args.logs:
        requests = load(Path(name), source)
        if not requests:
            print(f"== {name}: no request lines (was it run with -vvv --log-format json?)")
            continue
        end = max(r[1] for r in requests)
        print(f"== {name}: {len(requests)} requests, {sum(r[2] for r in requests) / 1e6:.1f} MB, "
              f"last answer at {end:.2f} s")
        print("   s  answers     MB  in flight (>=256K)  small: p50   p90 ms  large: n  p50 s")
        for second in range(int(end) + 1):
            done = [r for r in requests if second <= r[1] < second + 1]
            samples = [second + i / 10 for i in range(10)]
            mean_all = statistics.mean(in_flight(requests, t) for t in samples)
            mean_large = statistics.mean(in_flight(requests, t, LARGE) for t in samples)
            small = [(e - s) * 1000 for s, e, size, _ in done if size < SMALL]
            large = [e - s for s, e, size, _ in done if size >= LARGE]
            print(f"{second:4d} {len(done):8d} {sum(r[2] for r in done) / 1e6:6.1f} "
                  f"{mean_all:10.1f} {mean_large:9.1f} {percentile(small, .5):11.0f} "
                  f"{percentile(small, .9):5.0f} {len(large):9d} "
                  f"{statistics.median(large) if large else 0:6.2f}")
        print("   the largest bodies:")
        for s, e, size, key in sorted(requests, key=lambda r: -r[2])[:args.top]:
            print(f"     {size / 1e6:6.2f} MB  {s:6.2f} -> {e:6.2f} s ({e - s:5.2f} s)  {key}")
        print("   the last answers:")
        for s, e, size, key in sorted(requests, key=lambda r: -r[1])[:args.top]:
            print(f"     {size / 1e6:6.2f} MB  {s:6.2f} -> {e:6.2f} s ({e - s:5.2f} s)  {key}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="upload with request logs through a profile")
    r.add_argument("--network", default="wan80")
    r.add_argument("--dataset", default="tree")
    r.add_argument("--concurrency", default="64,256")
    r.add_argument("--reps", type=int, default=1)
    r.add_argument("--out", required=True)
    r.add_argument("--label", default="", help="prefix of each run's name (e.g. a variant)")
    r.add_argument("--s3up", help="the binary (default: build-release/s3up)")
    r.add_argument("--without", action="append", default=[],
                   help="a file (path in the dataset) left out with --exclude (repeatable)")
    r.add_argument("--only", action="append", default=[],
                   help="upload only this file of the dataset (repeatable): --exclude '**' "
                        "--include PATH")
    r.add_argument("extra", nargs="*", help="after --: more s3up arguments")
    s = sub.add_parser("show", help="print the timelines of request logs")
    s.add_argument("logs", nargs="+")
    s.add_argument("--source", help="the uploaded folder (default: the report's)")
    s.add_argument("--top", type=int, default=5)
    s.add_argument("--brief", action="store_true",
                   help="one line per run (when the largest body started and ended, how long "
                        "the last request was alone) and each setting's medians")
    args = parser.parse_args()
    return run(args) if args.command == "run" else show(args)


if __name__ == "__main__":
    sys.exit(main())
