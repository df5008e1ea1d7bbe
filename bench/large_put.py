#!/usr/bin/env python3
"""Loopback single PUTs of large files over HTTPS to nginx: s3up against curl -Z, side by side.

    bench/large_put.py [--files 2] [--size 256MiB] [--reps 5] [--s3up build-release/s3up]
                       [--sink nginx|ts-https] [--plain] [--parts] [--data DIR] [--compare S3UP]

Makes FILES random files of SIZE in /dev/shm, starts the bench's nginx sink (bench/benchlib),
and runs, interleaved REPS times: curl -Z (no signature, no checksum: the transport's ceiling),
s3up at its defaults on both engines (the CRC32C of the first bodies, sent before s3up learns
from nginx's first reply, 201 without an ETag, that it verifies nothing) and s3up --checksum
none on both engines. Prints the median wall time, CPU time (user+sys of the child) and CPU per
GiB of each, and s3up's ratios to curl. Every run is verified (the sink's file sizes). Run
through bench/run.sh's dependencies (nginx-light, curl): bench/deps.sh.

With --sink ts-https the files go to s3-testserver --discard over HTTPS (beside s3up in its build
folder), which answers as AWS does: it verifies the CRC32C sent and echoes it. There s3up's
large bodies send their checksum in an aws-chunked trailer once the store echoed one (or from
the first body with --trailing-checksum on, as on AWS's endpoints) and are read once; the runs
compare the defaults, --trailing-checksum on and off, and --checksum none. The sink's own CPU
(it verifies the checksum and computes the MD5 of its ETags) is not counted.

With --parts (ts-https only: nginx takes no multipart uploads) s3up runs at its multipart
defaults (16 MiB parts above 8 MiB) instead of single PUTs; curl -Z still sends each file in one
PUT, the transport's ceiling. --compare S3UP runs another s3up binary beside, at the same
settings on both engines (an A/B); --data puts the files on another file system than /dev/shm.

With --plain the sink listens on plain HTTP (nginx, or s3-testserver for --sink ts-https):
there s3up signs each body's SHA-256 (as aws-cli does over HTTP), computed in its first pass.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib.common import BUCKET  # noqa: E402
from benchlib.sinks import Nginx, NginxSink, TestServerSink, make_cert  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def parse_size(text: str) -> int:
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(text[: -len(unit)]) * factor
    return int(text)


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Runs cmd; returns wall seconds, CPU seconds and peak RSS (KiB) of that child alone. The
    CPU time from os.wait4 (the child's and what it waited for), the peak RSS as /usr/bin/time
    reports it: a child forked from this Python would carry the Python's resident size into its
    peak (the kernel keeps the high-water mark across exec), one forked from time carries time's
    (about 2 MiB)."""
    with tempfile.NamedTemporaryFile(mode="w+") as peak, tempfile.TemporaryFile(mode="w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", peak.name, *cmd],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.read()[-1000:]}")
        rss = int(peak.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--size", default="256MiB")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--s3up", default=str(ROOT / "build-release" / "s3up"))
    ap.add_argument("--sink", choices=["nginx", "ts-https"], default="nginx")
    ap.add_argument("--data", default="/dev/shm/s3up-large-put",
                    help="folder for the files (made and removed; default on tmpfs)")
    ap.add_argument("--plain", action="store_true",
                    help="the sink over plain HTTP instead of HTTPS")
    ap.add_argument("--parts", action="store_true",
                    help="s3up at its multipart defaults instead of single PUTs (ts-https)")
    ap.add_argument("--compare", metavar="S3UP",
                    help="another s3up binary run beside, at its defaults on both engines "
                         "(and with --trailing-checksum on against ts-https): an A/B")
    a = ap.parse_args()
    if a.parts and a.sink != "ts-https":
        ap.error("--parts needs --sink ts-https (nginx takes no multipart uploads)")
    size = parse_size(a.size)
    data = Path(a.data)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    for i in range(a.files):
        with open(data / f"big{i}", "wb") as f:
            for _ in range(size // (1 << 20)):
                f.write(os.urandom(1 << 20))
    cert, key = make_cert()
    nginx = Nginx(cert, key) if a.sink == "nginx" else None
    tls = not a.plain
    sink = (NginxSink(nginx, tls, cert) if nginx
            else TestServerSink(Path(a.s3up).parent / "s3-testserver", tls, cert, key))
    gib = a.files * size / (1 << 30)

    cut = [] if a.parts else ["--multipart-threshold", str(size + 1)]

    def s3up(prefix: str, *extra: str, binary: str = a.s3up) -> list[str]:
        """s3up uploading the files under `prefix` (single PUTs, or in parts with --parts), with
        `extra` options."""
        return [binary, "--endpoint-url", sink.url, "--ca-bundle", str(cert), "--quiet", *extra,
                *cut, str(data), f"s3://{BUCKET}/{prefix}"]

    clients = {
        "curl -Z": lambda p: ["curl", "-s", "-S", "--fail", "-Z", "--cacert", str(cert), "-H", "Expect:"]
        + sum([["-T", str(data / f"big{i}"), f"{sink.url}/{BUCKET}/{p}big{i}"] for i in range(a.files)], []),
        "s3up": lambda p: s3up(p),
        "s3up --engine threaded": lambda p: s3up(p, "--engine", "threaded"),
        "s3up --checksum none": lambda p: s3up(p, "--checksum", "none"),
        "s3up --checksum none --engine threaded":
            lambda p: s3up(p, "--checksum", "none", "--engine", "threaded"),
    }
    if a.parts:
        clients = {
            "curl -Z": clients["curl -Z"],
            "s3up": clients["s3up"],
            "s3up --engine threaded": clients["s3up --engine threaded"],
            "s3up --trailing-checksum on": lambda p: s3up(p, "--trailing-checksum", "on"),
            "s3up --trailing-checksum off": lambda p: s3up(p, "--trailing-checksum", "off"),
            "s3up --checksum none": clients["s3up --checksum none"],
        }
    elif not nginx:
        clients = {
            "curl -Z": clients["curl -Z"],
            "s3up": clients["s3up"],
            "s3up --trailing-checksum on": lambda p: s3up(p, "--trailing-checksum", "on"),
            "s3up --trailing-checksum on --engine threaded":
                lambda p: s3up(p, "--trailing-checksum", "on", "--engine", "threaded"),
            "s3up --trailing-checksum off": lambda p: s3up(p, "--trailing-checksum", "off"),
            "s3up --checksum none": clients["s3up --checksum none"],
        }
    if a.compare:
        clients["compared s3up"] = lambda p: s3up(p, binary=a.compare)
        clients["compared s3up --engine threaded"] = \
            lambda p: s3up(p, "--engine", "threaded", binary=a.compare)
        if not nginx:  # the trailer from the first body, as on AWS's endpoints
            clients["compared s3up --trailing-checksum on"] = \
                lambda p: s3up(p, "--trailing-checksum", "on", binary=a.compare)
    env_keys = {"AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench-secret",
                "AWS_REGION": "us-east-1"}
    os.environ.update(env_keys)
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in clients}
    try:
        for rep in range(a.reps):
            for name, make in clients.items():
                sink.clear()
                prefix = f"r{rep}/"
                r = run(make(prefix))
                if nginx:
                    for i in range(a.files):
                        got = nginx.root / BUCKET / f"{prefix}big{i}"
                        if not got.exists() or got.stat().st_size < size:
                            raise SystemExit(f"{name}: {got} missing or short")
                else:
                    ok, msg = sink.verify(prefix, {f"big{i}": size for i in range(a.files)})
                    if not ok:
                        raise SystemExit(f"{name}: {msg}")
                results[name].append(r)
                print(f"rep {rep + 1} {name:38} {r[0]:.3f} s wall, {r[1]:.3f} s CPU", flush=True)
    finally:
        sink.stop()
        if nginx:
            nginx.stop()
        shutil.rmtree(data, ignore_errors=True)
    how = "s3up in parts (its defaults)" if a.parts else "single PUTs"
    scheme = "HTTP" if a.plain else "HTTPS"
    print(f"\n{a.files} x {a.size} over {scheme} to {a.sink} on loopback, {how}, medians of {a.reps}:")
    print("| client | wall s | CPU s | CPU s per GiB | × curl (wall) | CPU / curl's | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    curl_wall = statistics.median(r[0] for r in results["curl -Z"])
    curl_cpu = statistics.median(r[1] for r in results["curl -Z"])
    for name, rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        rss = statistics.median(r[2] for r in rs) / 1024
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {cpu / gib:.3f} | {curl_wall / wall:.2f} | "
              f"{cpu / curl_cpu:.2f} | {rss:.1f} |")
    print(f"(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
