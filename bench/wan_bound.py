#!/usr/bin/env python3
"""The bound for large files on a WAN profile: raw TCP through the same proxy.

A large upload cannot beat TCP itself: through s3up-wanproxy every connection opens (one round
trip) and grows its window in slow start before it fills its share of the link, and the last
byte needs half a round trip more, the reply the other half. This script sends what a large-file
run sends, as plain bytes on plain TCP connections (no TLS, no HTTP, no signing, no checksum;
the peer answers one byte when it has them all), all connections at once, and reports the wall
time and the fraction of the link rate reached: the ceiling any client reaches on that profile
with that many connections.

  bench/wan_bound.py --profiles wan80,wan80w --cases 2x100MiB,14x15MiB --reps 3

2x100MiB is the wlarge dataset sent as two single PUTs; 14x15MiB the same bytes as the 14
parts of its multipart uploads (16 MiB parts, the last of each file 4 MiB: here evened out),
all in flight at once as at --concurrency 64.

For many small files, `--exchanges` does the same with request/reply exchanges
(bench/exchanges.py): `10000x4700@512` sends 10,000 requests of 4,700 bytes (a 4 KiB PUT as
s3up's HTTPS runs put it on the wire: file, request line, headers, TLS framing; the proxy counts
them) over 512 connections opened at once, each sending its next request once the previous
one's reply (`--reply`, 228 bytes: nginx's 201 as counted the same way) came back. Plain TCP has
no TLS handshake: any HTTPS client pays one round trip more than this.

  bench/wan_bound.py --profiles wan80 --cases '' --exchanges 10000x4700@512,10000x4700@1024
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib.build import build                          # noqa: E402
from benchlib.network import PROFILES, PROXY_TARGET, WanProxy  # noqa: E402
from exchanges import ExchangeServer, run_exchanges      # noqa: E402
from wanproxy_check import Server, push                   # noqa: E402

MiB = 1 << 20


def parse_case(text: str) -> tuple[int, int]:
    count, _, size = text.partition("x")
    if not size.endswith("MiB"):
        raise argparse.ArgumentTypeError(f"{text}: want <count>x<n>MiB")
    return int(count), int(size[:-3]) * MiB


def parse_exchanges(text: str) -> tuple[int, int, int]:
    try:
        count, rest = text.split("x", 1)
        size, conns = rest.split("@", 1)
        return int(count), int(size), int(conns)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: want <count>x<bytes>@<connections>") from None


def run_case(port: int, count: int, size: int) -> tuple[float, float]:
    """Seconds from the first connect until every connection's answer came back, and until the
    first one's did (how evenly the connections shared the link)."""
    errors: list[BaseException] = []
    done: list[float] = []

    def one():
        try:
            push(port, size)
            done.append(time.monotonic())
        except BaseException as e:   # noqa: BLE001 (reported below)
            errors.append(e)
    threads = [threading.Thread(target=one) for _ in range(count)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        raise RuntimeError(f"a connection failed: {errors[0]}")
    return dt, min(done) - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default="wan80,wan80w")
    ap.add_argument("--cases", default="2x100MiB,14x15MiB")
    ap.add_argument("--exchanges", default="",
                    help="small requests: <count>x<bytes>@<connections>, comma separated")
    ap.add_argument("--reply", type=int, default=228, help="bytes of each exchange's reply")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    for t, err in build([PROXY_TARGET]).items():
        sys.exit(f"build of {t}: {err}")
    cases = [parse_case(c) for c in a.cases.split(",") if c]
    exchanges = [parse_exchanges(c) for c in a.exchanges.split(",") if c]
    srv = Server()
    xsrv = ExchangeServer() if exchanges else None
    print("| profile | connections x size | wall s (median) | every rep | % of link "
          "| first connection done (median) |")
    print("|---|---|---:|---|---:|---:|")
    for name in a.profiles.split(","):
        profile = PROFILES[name]
        if not profile.rate_bits:
            sys.exit(f"{name}: no rate limit, no link rate to compare with")
        proxy = WanProxy(profile, [srv.port] + ([xsrv.port] if xsrv else []))
        try:
            port = proxy.port_of[srv.port]
            for count, size in cases:
                runs = [run_case(port, count, size) for _ in range(a.reps)]
                walls = [r[0] for r in runs]
                wall = statistics.median(walls)
                first = statistics.median(r[1] for r in runs)
                link = count * size * 8 / profile.rate_bits
                print(f"| {name} | {count} x {size // MiB} MiB | {wall:.2f} | "
                      f"{', '.join(f'{w:.2f}' for w in walls)} | {100 * link / wall:.0f}% | "
                      f"{first:.2f} |", flush=True)
            for count, size, conns in exchanges:
                walls = [run_exchanges(proxy.port_of[xsrv.port], count, conns, size, a.reply)
                         for _ in range(a.reps)]
                wall = statistics.median(walls)
                link = count * size * 8 / profile.rate_bits
                print(f"| {name} | {count} exchanges of {size} B over {conns} | {wall:.2f} | "
                      f"{', '.join(f'{w:.2f}' for w in walls)} | {100 * link / wall:.0f}% | |",
                      flush=True)
        finally:
            proxy.stop()
    if xsrv:
        xsrv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
