#!/usr/bin/env python3
"""s3up's peak memory: many small files to nginx, one big file through multipart to the test
server with --max-memory. Prints a one-line verdict per case and appends them to
bench/results/memory.md. Run through bench/memory.sh."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import build as buildmod                       # noqa: E402
from benchlib import report, sinks                           # noqa: E402
from benchlib.clients import S3up                            # noqa: E402
from benchlib.common import (BENCH_DIR, BUCKET, base_env, human_bytes, log, run_timed,  # noqa: E402
                             tail, work_dir)
from benchlib.datasets import generate_flat                  # noqa: E402

MiB = 1024 * 1024


def parse_size(text: str) -> int:
    units = {"": 1, "B": 1, "KIB": 1024, "MIB": MiB, "GIB": 1024 * MiB, "KB": 10**3, "MB": 10**6,
             "GB": 10**9}
    t = text.strip().upper()
    num = t.rstrip("KMGIB")
    return int(float(num) * units[t[len(num):]])


def upload(s3up: S3up, sink, src: Path, prefix: str, extra: list[str], files: dict[str, int],
           name: str) -> tuple[bool, str, float, float]:
    sink.clear()            # before the command: the test server comes back on a new port
    cmd = [str(s3up.binary), "--endpoint-url", sink.url, "--quiet", *extra, str(src),
           f"s3://{BUCKET}/{prefix}"]
    m = run_timed(cmd, base_env(), work_dir() / "memory" / f"{name}.log", timeout=3600)
    if m.timed_out:
        return False, "timed out", 0, m.wall
    if m.rc != 0:
        return False, f"exit {m.rc}: {tail(m.log)}", m.rss_kib / 1024, m.wall
    ok, why = sink.verify(prefix, files)
    return ok, why, m.rss_kib / 1024, m.wall


def main(argv) -> int:
    ap = argparse.ArgumentParser(prog="bench/memory.sh", description=__doc__)
    ap.add_argument("--files", type=int, default=100_000, help="small files (default 100000)")
    ap.add_argument("--file-size", default="1KiB", help="size of each small file (default 1KiB)")
    ap.add_argument("--small-target", default="64MiB", help="peak RSS target for the small files")
    ap.add_argument("--big", default="4GiB", help="size of the big file (default 4GiB)")
    ap.add_argument("--max-memory", default="256MiB", help="s3up --max-memory for the big file")
    ap.add_argument("--slack", default="32MiB",
                    help="allowed above --max-memory for the program itself (default 32MiB)")
    ap.add_argument("--only", choices=["small", "big"], help="run one case only")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args(argv)

    s3up_bin = Path(os.environ.get("S3UP_BIN", buildmod.BUILD_DIR / "s3up"))
    ts_bin = Path(os.environ.get("TESTSERVER_BIN", buildmod.BUILD_DIR / "s3-testserver"))
    if not a.no_build:
        for t, err in buildmod.build(["s3up"] + ([] if a.only == "small" else ["s3-testserver"])).items():
            log(f"build: {t}: {err}")
    s3up = S3up(s3up_bin)
    cert, key = sinks.make_cert()
    verdicts: list[str] = []
    data = work_dir() / "data" / "memory"
    data.mkdir(parents=True, exist_ok=True)

    if a.only in (None, "small"):
        size = parse_size(a.file_size)
        target = parse_size(a.small_target) / MiB
        label = f"{a.files:,} files x {human_bytes(size)} -> nginx (HTTP)"
        if not s3up.available:
            verdicts.append(f"memory: {label}: NOT AVAILABLE ({s3up.why})")
        else:
            ds = generate_flat(data / f"files-{a.files}x{size}", a.files, size)
            nginx = sinks.Nginx(cert, key)
            try:
                sink = sinks.NginxSink(nginx, False, cert)
                ok, why, rss, wall = upload(s3up, sink, ds.path, "mem/", [], ds.files, "small")
            finally:
                nginx.stop()
            if not ok:
                verdicts.append(f"memory: {label}: FAILED ({why})")
            else:
                v = "PASS" if rss < target else "FAIL"
                verdicts.append(f"memory: {label}: peak RSS {rss:.1f} MiB (target < {target:.0f} MiB) "
                                f"in {wall:.1f} s: {v}")

    if a.only in (None, "big"):
        size = parse_size(a.big)
        maxmem = parse_size(a.max_memory) / MiB
        limit = maxmem + parse_size(a.slack) / MiB
        label = f"1 file x {human_bytes(size)} multipart -> s3-testserver --discard, --max-memory {a.max_memory}"
        if not s3up.available:
            verdicts.append(f"memory: {label}: NOT AVAILABLE ({s3up.why})")
        elif not ts_bin.exists():
            verdicts.append(f"memory: {label}: NOT AVAILABLE ({ts_bin} not built)")
        else:
            ds = generate_flat(data / f"big-{size}", 1, size)
            sink = sinks.TestServerSink(ts_bin, False, cert, key, threads=1)
            try:
                ok, why, rss, wall = upload(s3up, sink, ds.path, "mem/",
                                            ["--max-memory", a.max_memory], ds.files, "big")
            finally:
                sink.stop()
            if not ok:
                verdicts.append(f"memory: {label}: FAILED ({why})")
            else:
                v = "PASS" if rss < limit else "FAIL"
                verdicts.append(f"memory: {label}: peak RSS {rss:.1f} MiB (target < {limit:.0f} MiB = "
                                f"max-memory + {a.slack}) in {wall:.1f} s: {v}")

    for v in verdicts:
        print(v)
    m = report.machine()
    out = BENCH_DIR / "results" / "memory.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    with open(out, "a") as f:
        if new:
            f.write("# s3up peak memory (bench/memory.sh)\n\nPeak RSS from GNU `/usr/bin/time -v` "
                    "of the s3up process. Newest runs last.\n")
        f.write(f"\n## {m['date']}\n\n- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, "
                f"{m['kernel']}; load {m['load']}\n- s3up: {s3up.version or s3up.why} at "
                f"{buildmod.git_describe()}\n- Command: `bench/memory.sh "
                f"{' '.join(shlex.quote(x) for x in argv)}`\n")
        for v in verdicts:
            f.write(f"- {v}\n")
    return 0 if all(v.endswith("PASS") for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
