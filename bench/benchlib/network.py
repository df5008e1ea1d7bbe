"""Network profiles: the sinks reached directly (lan) or through s3up-wanproxy (bench/wanproxy/,
C++), a userspace delaying proxy (RTT, TCP window with slow start, shared rate limit, loss). See
bench/README.md."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from .build import BUILD_DIR
from .common import BENCH_DIR, log, terminate, work_dir


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    rtt: float          # seconds added to every round trip
    rate_bits: float    # shared link rate each way, bits/s (0: unlimited)
    loss: float         # loss probability per segment
    what: str
    rwnd: int = 0       # receive window, the cwnd cap, bytes (0: the proxy's default, 4 MiB)

    @property
    def proxied(self) -> bool:
        return self.name != "lan"

    def describe(self) -> str:
        if not self.proxied:
            return "loopback, no proxy"
        parts = [f"{self.rtt * 1e3:g} ms RTT"]
        parts.append(f"{self.rate_bits / 1e6:g} Mbit/s" if self.rate_bits else "no rate limit")
        if self.loss:
            parts.append(f"{self.loss * 100:g}% loss")
        if self.rwnd:
            parts.append(f"{self.rwnd // 1024} KiB window")
        return ", ".join(parts)


PROFILES = {p.name: p for p in [
    Profile("lan", 0.0, 0, 0.0, "loopback, no proxy"),
    Profile("proxy0", 0.0, 0, 0.0, "through the proxy with nothing added: the proxy's own cost"),
    Profile("wan20", 0.020, 1e9, 0.0, "a nearby region"),
    Profile("wan80", 0.080, 200e6, 0.0, "another continent"),
    Profile("wan150", 0.150, 100e6, 0.005, "far away and lossy"),
    Profile("wan80w", 0.080, 200e6, 0.0, "another continent, each connection capped (a 128 KiB "
            "window: 1.6 MB/s a connection, 16 of them fill the link)", rwnd=128 << 10),
]}
ORDER = list(PROFILES)


PROXY_TARGET = "s3up-wanproxy"     # the CMake target, built into build-release/ by the bench


def proxy_program() -> list[str]:
    """The proxy's command: WANPROXY_BIN, else build-release/s3up-wanproxy."""
    return [os.environ.get("WANPROXY_BIN") or str(BUILD_DIR / PROXY_TARGET)]


class WanProxy:
    """One proxy process for a profile, listening in front of each target port."""

    def __init__(self, profile: Profile, targets: list[int]):
        self.profile = profile
        program = proxy_program()
        self.python = " ".join(program)      # what ran (the reports' key is older than the C++)
        self.dir = work_dir() / "wanproxy"
        self.dir.mkdir(exist_ok=True)
        ready = self.dir / f"{profile.name}.ready"
        ready.unlink(missing_ok=True)
        self.stats_file = self.dir / f"{profile.name}.stats.json"
        cmd = [*program, "--rtt", f"{profile.rtt * 1e3:g}ms",
               "--rate", f"{profile.rate_bits:.0f}", "--loss", str(profile.loss),
               "--ready-file", str(ready), "--stats-file", str(self.stats_file)]
        if profile.rwnd:
            cmd += ["--rwnd", str(profile.rwnd)]
        for t in targets:
            cmd += ["--map", f"127.0.0.1:{t}"]
        self.cmd = cmd
        # The proxy stands in for the network, which does not wait for a CPU: it runs at
        # real-time priority (SCHED_FIFO 10; as root) so that its timers are served on time when
        # the clients, the sinks or other work keep both cores busy. Under the default policy a
        # loaded 2-core machine wakes it up to 100+ ms late; under SCHED_FIFO p99 stays ~2 ms.
        # Its CPU time is taken from the clients either way; its lateness is measured per run.
        prio = os.environ.get("WANPROXY_PRIORITY", "fifo")
        if os.geteuid() == 0 and prio == "fifo" and shutil.which("chrt"):
            cmd = ["chrt", "-f", "10", *cmd]
        self.priority = cmd[0] == "chrt" and "SCHED_FIFO 10" or "default"
        self.proc = subprocess.Popen(cmd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / f"{profile.name}.log", "ab"))
        end = time.monotonic() + 15
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"wanproxy did not start: {' '.join(cmd)} "
                                   f"(see {self.dir / (profile.name + '.log')})")
            time.sleep(0.02)
        self.port_of: dict[int, int] = {}
        self.control_port = 0
        for line in ready.read_text().splitlines():
            w = line.split()
            if w[0] == "listen":
                self.port_of[int(w[3].rsplit(":", 1)[1])] = int(w[1].rsplit(":", 1)[1])
            elif w[0] == "control":
                self.control_port = int(w[1].rsplit(":", 1)[1])
        self.loop = self.control("stats").get("profile", {}).get("loop", "?")
        log(f"wanproxy {profile.name} ({profile.describe()}; {self.loop}, {self.python}, "
            f"{self.priority}): "
            + ", ".join(f"{v}->{k}" for k, v in self.port_of.items()))

    def control(self, cmd: str) -> dict:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=30) as s:
            s.sendall(cmd.encode() + b"\n")
            with s.makefile() as f:
                return json.loads(f.readline())

    def retarget(self, old_target: int, new_target: int) -> None:
        lport = self.port_of.pop(old_target)
        r = self.control(f"target {lport} 127.0.0.1:{new_target}")
        if not r.get("ok"):
            raise RuntimeError(f"wanproxy retarget failed: {r}")
        self.port_of[new_target] = lport

    def stop(self) -> dict:
        terminate(self.proc)
        try:
            return json.loads(self.stats_file.read_text())
        except (OSError, ValueError):
            return {}


class ProxiedSink:
    """A sink as seen through a profile's proxy: clients get the proxy's URL; clearing and
    verification go to the sink directly (they are not part of the measurement)."""

    def __init__(self, sink, proxy: WanProxy | None, profile: Profile):
        self.sink, self.proxy, self.profile = sink, proxy, profile
        self.kind, self.tls, self.ca, self.multipart = sink.kind, sink.tls, sink.ca, sink.multipart
        self.name = sink.name

    def _port(self) -> int:
        return int(self.sink.url.rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        if self.proxy is None:
            return self.sink.url
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.proxy.port_of[self._port()]}"

    def cpu_seconds(self):
        return self.sink.cpu_seconds()

    def clear(self) -> None:
        before = self._port()
        self.sink.clear()            # the test server restarts here, on a new port
        after = self._port()
        if after != before:          # every profile's proxy in front of this sink follows it
            for p in all_proxies(self):
                if before in p.port_of:
                    p.retarget(before, after)

    def verify(self, prefix, files):
        return self.sink.verify(prefix, files)

    def stop(self) -> None:
        pass


_registry: dict[int, list[WanProxy]] = {}


def register(sink, proxies: list[WanProxy]) -> None:
    _registry[id(sink)] = proxies


def all_proxies(ps: ProxiedSink) -> list[WanProxy]:
    return _registry.get(id(ps.sink), [])
