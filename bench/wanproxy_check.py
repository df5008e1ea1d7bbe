#!/usr/bin/env python3
"""Quick checks of wanproxy's timing model (not part of ctest; about 25 s).

Starts s3up-wanproxy (bench/wanproxy/; built into build-release/ when missing) in front of a small threaded server on 127.0.0.1 and measures, with
blocking sockets:
  rtt          connect + first 1-byte ping-pong = 2 RTT (handshake + round trip); later ones = RTT
  slowstart    1 MiB at 50 ms RTT, no rate limit: 7 windows of 10, 20, 40... segments + handshake
               + the reply = 8 RTT (a proxy without a window would take 2)
  rate         10 MiB at 100 Mbit/s, 2 ms RTT: 0.84 s (+ the slow-start ramp)
  shared       2 connections x 5 MiB at 100 Mbit/s together: 0.84 s (one link, shared)
  nohol        ping-pongs on one connection while another pushes 8 MiB: still 1 RTT each
  loss         3 MiB at 150 ms / 100 Mbit/s with 0.5% loss: about the Mathis rate of one TCP
               connection (MSS/RTT * 1.22/sqrt(p) = 166 KB/s), whatever the link rate
  lateness     the proxy's own report: p99 lateness under 2 ms in these light loads
Each line says PASS or FAIL with the figures; the exit status is 1 if any failed. The proxy and
this script run under SCHED_FIFO when root (WANPROXY_PRIORITY=default: not), so that other work
on the machine does not delay the measuring threads: on a loaded 2-core machine it otherwise
does, by tens of milliseconds.
usage: bench/wanproxy_check.py [--proxy BIN] [--only NAME,...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib.build import BUILD_DIR, build              # noqa: E402
from benchlib.common import terminate                    # noqa: E402
from benchlib.network import PROXY_TARGET                # noqa: E402

HERE = Path(__file__).resolve().parent
PRIORITY = os.environ.get("WANPROXY_PRIORITY", "fifo")
MiB = 1 << 20
PROXY_BIN = ""


class Server:
    """b'e': echo everything. b'c' + u64 n: read n bytes, answer b'k'."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    @staticmethod
    def serve(c: socket.socket):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            mode = c.recv(1)
            if mode == b"e":
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
            elif mode == b"c":
                hdr = b""
                while len(hdr) < 8:
                    hdr += c.recv(8 - len(hdr))
                (n,) = struct.unpack("!Q", hdr)
                while n > 0:
                    d = c.recv(min(n, 1 << 20))
                    if not d:
                        break
                    n -= len(d)
                c.sendall(b"k")
        except OSError:
            pass
        finally:
            c.close()


class Proxy:
    def __init__(self, target_port: int, args: list[str]):
        self.ready = Path(f"/tmp/wanproxy-check-{os.getpid()}.ready")
        self.ready.unlink(missing_ok=True)
        cmd = [PROXY_BIN, "--map", f"127.0.0.1:{target_port}", "--ready-file", str(self.ready),
               "--seed", "1", *args]
        if os.geteuid() == 0 and shutil.which("chrt") and PRIORITY == "fifo":
            cmd = ["chrt", "-f", "10", *cmd]      # as the bench runs it (benchlib/network.py)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while not self.ready.exists():
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError("wanproxy did not start: " + " ".join(cmd))
            time.sleep(0.02)
        lines = self.ready.read_text().splitlines()
        self.port = int(lines[0].split()[1].rsplit(":", 1)[1])
        self.cport = int(lines[1].split()[1].rsplit(":", 1)[1])

    def control(self, cmd: str) -> dict:
        with socket.create_connection(("127.0.0.1", self.cport)) as s:
            s.sendall(cmd.encode() + b"\n")
            f = s.makefile()
            return json.loads(f.readline())

    def stop(self):
        terminate(self.proc, 5)
        self.ready.unlink(missing_ok=True)


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s: socket.socket, n: int) -> bytes:
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise ConnectionError("closed")
        b += d
    return b


def push(port: int, n: int) -> float:
    """Seconds from connect to the server's answer after n bytes."""
    t0 = time.monotonic()
    s = connect(port)
    s.sendall(b"c" + struct.pack("!Q", n))
    chunk = os.urandom(1 << 20)
    left = n
    while left:
        k = min(left, len(chunk))
        s.sendall(chunk[:k])
        left -= k
    recv_exact(s, 1)
    dt = time.monotonic() - t0
    s.close()
    return dt


RESULTS: list[tuple[str, bool, str]] = []


def report(name: str, ok: bool, text: str) -> None:
    RESULTS.append((name, ok, text))
    print(f"{'PASS' if ok else 'FAIL'} {name}: {text}", flush=True)


def within(x: float, want: float, tol: float) -> bool:
    return abs(x - want) <= tol


def check_rtt(a, srv):
    for rtt in (0.020, 0.080):
        px = Proxy(srv.port, ["--rtt", f"{rtt * 1e3:g}ms"])
        try:
            t0 = time.monotonic()
            s = connect(px.port)
            s.sendall(b"e" + b"x")
            recv_exact(s, 1)
            first = time.monotonic() - t0
            pings = []
            for _ in range(15):
                t = time.monotonic()
                s.sendall(b"y" * 64)
                recv_exact(s, 64)
                pings.append(time.monotonic() - t)
            s.close()
            med = statistics.median(pings)
            st = px.control("stats")
        finally:
            px.stop()
        ok = within(first, 2 * rtt, 0.004) and within(med, rtt, 0.003) and max(pings) < rtt + 0.006
        report(f"rtt {rtt * 1e3:.0f}ms", ok,
               f"connect+first ping {first * 1e3:.1f} ms (want {2 * rtt * 1e3:.0f}), ping median "
               f"{med * 1e3:.2f} ms max {max(pings) * 1e3:.2f} (want {rtt * 1e3:.0f}); proxy lateness "
               f"p99 {st['lateness']['p99_ms']} ms")


def check_slowstart(a, srv):
    rtt = 0.050
    px = Proxy(srv.port, ["--rtt", "50ms"])
    try:
        dt = push(px.port, MiB)
        st = px.control("stats")
    finally:
        px.stop()
    # windows of 14,480 x 1, 2, 4...: 7 of them for 1 MiB (+9 bytes of header)
    iw = 10 * 1448
    k, sent = 0, 0
    while sent < MiB + 9:
        sent += iw << k
        k += 1
    want = (1 + (k - 1) + 1) * rtt      # handshake, k-1 more windows, last byte's half + reply's half
    report("slowstart 1MiB @50ms", within(dt, want, 0.015),
           f"{dt * 1e3:.0f} ms, want {want * 1e3:.0f} ms ({k} windows); max cwnd {st['max_cwnd']}")


def check_rate(a, srv):
    px = Proxy(srv.port, ["--rtt", "2ms", "--rate", "100mbit"])
    try:
        dt = push(px.port, 10 * MiB)
        st = px.control("stats")
    finally:
        px.stop()
    want = 10 * MiB * 8 / 100e6
    report("rate 10MiB @100Mbit/s", want * 0.98 <= dt <= want * 1.08,
           f"{dt:.3f} s, want {want:.3f} s ({10 * MiB * 8 / dt / 1e6:.1f} Mbit/s); "
           f"queue max {st['max_queue_ms_up']} ms, losses {st['losses_queue']}")


def check_shared(a, srv):
    px = Proxy(srv.port, ["--rtt", "2ms", "--rate", "100mbit"])
    try:
        out = [0.0, 0.0]

        def one(i):
            out[i] = push(px.port, 5 * MiB)
        t0 = time.monotonic()
        ths = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        dt = time.monotonic() - t0
    finally:
        px.stop()
    want = 10 * MiB * 8 / 100e6
    report("shared 2x5MiB @100Mbit/s", want * 0.98 <= dt <= want * 1.10,
           f"{dt:.3f} s for both ({out[0]:.3f}, {out[1]:.3f}), want {want:.3f} s")


def check_nohol(a, srv):
    rtt = 0.040
    # the bulk connection is held to 256 KiB per RTT (6.5 MB/s) by its receive window, so that
    # CPU (proxy and this script) is not what is measured
    px = Proxy(srv.port, ["--rtt", "40ms", "--rwnd", "256KiB"])
    try:
        bulk = threading.Thread(target=push, args=(px.port, 8 * MiB))
        s = connect(px.port)
        s.sendall(b"e")
        bulk.start()
        time.sleep(0.3)               # the bulk connection is well into its transfer
        pings = []
        while bulk.is_alive() and len(pings) < 20:
            t = time.monotonic()
            s.sendall(b"z" * 100)
            recv_exact(s, 100)
            pings.append(time.monotonic() - t)
        s.close()
        bulk.join()
        st = px.control("stats")
    finally:
        px.stop()
    med = statistics.median(pings) if pings else 0
    ok = len(pings) >= 5 and within(med, rtt, 0.003) and max(pings) < rtt + 0.010
    report("nohol pings beside 8MiB @40ms", ok,
           f"{len(pings)} pings, median {med * 1e3:.2f} ms max {max(pings, default=0) * 1e3:.2f} ms "
           f"(want {rtt * 1e3:.0f}); lateness p99 {st['lateness']['p99_ms']} ms "
           f"max {st['lateness']['max_ms']} ms")


def check_loss(a, srv):
    """One connection on a lossy path is held to about the Mathis et al. rate,
    MSS / RTT * 1.22 / sqrt(p) (166 KB/s at 150 ms and 0.5%), whatever the link rate."""
    res = {}
    size = 3 * MiB
    for loss in ("0", "0.005"):
        px = Proxy(srv.port, ["--rtt", "150ms", "--rate", "100mbit", "--loss", loss])
        try:
            res[loss] = (push(px.port, size), px.control("stats"))
        finally:
            px.stop()
    (t0, s0), (t1, s1) = res["0"], res["0.005"]
    mathis = 1448 / 0.150 * 1.22 / 0.005 ** 0.5
    rate = size / t1
    ok = t1 > t0 and s1["losses_random"] > 0 and s0["losses_random"] == 0 and \
        0.6 * mathis <= rate <= 2.0 * mathis
    report("loss 3MiB @150ms/100Mbit/0.5%", ok,
           f"lossless {t0:.2f} s, 0.5% loss {t1:.2f} s = {rate / 1e3:.0f} KB/s (Mathis bound "
           f"{mathis / 1e3:.0f} KB/s; want 0.6-2x); {s1['losses_random']} lost chunks, "
           f"{s1['congestion_events']} congestion events")


def check_lateness(a, srv):
    px = Proxy(srv.port, ["--rtt", "10ms"])
    try:
        px.control("reset")
        socks = [connect(px.port) for _ in range(20)]
        for s in socks:
            s.sendall(b"e")
        for _ in range(10):
            for s in socks:
                s.sendall(b"q" * 4096)
            for s in socks:
                recv_exact(s, 4096)
        for s in socks:
            s.close()
        st = px.control("reset")
        st2 = px.control("stats")
    finally:
        px.stop()
    lat = st["lateness"]
    ok = lat["chunks"] >= 400 and lat["p99_ms"] < 2.0 and st["connections"] == 20 \
        and st2["connections"] == 0
    report("lateness report", ok,
           f"{lat['chunks']} chunks, p50 {lat['p50_ms']} p99 {lat['p99_ms']} max {lat['max_ms']} ms; "
           f"{st['connections']} connections; cpu {st['cpu_s']} s; reset -> {st2['connections']}")


CHECKS = {"rtt": check_rtt, "slowstart": check_slowstart, "rate": check_rate,
          "shared": check_shared, "nohol": check_nohol, "loss": check_loss,
          "lateness": check_lateness}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma list of " + ",".join(CHECKS))
    ap.add_argument("--proxy", help="the s3up-wanproxy binary (default: build-release's, built "
                                    "when missing)")
    a = ap.parse_args()
    global PROXY_BIN
    PROXY_BIN = a.proxy or str(BUILD_DIR / PROXY_TARGET)
    if not a.proxy:
        for t, err in build([PROXY_TARGET]).items():
            sys.exit(f"build of {t}: {err}")
    if os.geteuid() == 0 and PRIORITY == "fifo":
        try:    # the threads started below inherit it
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(5))
        except OSError as e:
            print(f"note: SCHED_FIFO refused ({e}); timings may suffer from the load")
    srv = Server()
    names = [n for n in a.only.split(",") if n] or list(CHECKS)
    t0 = time.monotonic()
    for n in names:
        CHECKS[n](a, srv)
    failed = [r for r in RESULTS if not r[1]]
    print(f"{len(RESULTS) - len(failed)} passed, {len(failed)} failed "
          f"({time.monotonic() - t0:.1f} s, load {os.getloadavg()[0]:.2f})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
