"""Runs the matrix: for every repetition, every configuration on a cleared sink, then verifies."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import time
from pathlib import Path

from .clients import Config
from .common import Measured, log, run_timed, tail, work_dir
from .datasets import Dataset


@dataclasses.dataclass
class Rep:
    ok: bool
    wall: float
    user: float
    sys: float
    rss_kib: int
    why: str
    info: str = ""      # what the verification found, when it passed
    net: dict | None = None     # the proxy's report for this run (network profiles)
    load: float = 0.0           # 1-minute load average when the run started
    s3up: dict | None = None    # s3up's --json report: concurrency (its peak, its history), retries
    sink_cpu: float | None = None   # CPU seconds the sink's processes used during the run


@dataclasses.dataclass
class Result:
    cfg: Config
    command: list[str]
    reps: list[Rep] = dataclasses.field(default_factory=list)
    skipped: str = ""           # not run at all, and why

    @property
    def ok_reps(self) -> list[Rep]:
        return [r for r in self.reps if r.ok]

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIPPED"
        if not self.reps:
            return "NOT RUN"
        bad = len(self.reps) - len(self.ok_reps)
        return "OK" if bad == 0 else f"FAILED {bad}/{len(self.reps)}"

    @property
    def info(self) -> str:
        """Remarks of the verification shared by the repetitions (e.g. aws-chunked bodies)."""
        notes = {r.info.split("; ", 1)[1] for r in self.ok_reps if "; " in r.info}
        return "; ".join(sorted(notes))

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    @property
    def failure(self) -> str:
        for r in self.reps:
            if not r.ok:
                return r.why
        return ""

    def med(self, attr: str) -> float | None:
        vals = [getattr(r, attr) for r in self.ok_reps]
        return statistics.median(vals) if vals else None

    @property
    def wall(self) -> float | None:
        return self.med("wall") if self.ok else None

    @property
    def cpu(self) -> float | None:
        vals = [r.user + r.sys for r in self.ok_reps]
        return statistics.median(vals) if self.ok and vals else None

    @property
    def rss_mib(self) -> float | None:
        vals = [r.rss_kib / 1024 for r in self.ok_reps]
        return max(vals) if self.ok and vals else None


def check_report(path: Path, ds: Dataset, why: str, auto: bool) -> tuple[bool, str]:
    """s3up's own --json report must agree: every file uploaded, none failed."""
    try:
        rep = json.loads(path.read_text())
        t = rep.get("totals", {})
    except (OSError, ValueError) as e:
        return False, f"no readable --json report: {e}"
    if t.get("failed") or t.get("files") != ds.count or rep.get("exit_code", 0) != 0:
        return False, (f"report says files={t.get('files')} failed={t.get('failed')} "
                       f"exit_code={rep.get('exit_code')} (want {ds.count} files)")
    if auto and "concurrency" in rep:
        why += f"; auto: report's concurrency {rep['concurrency']}"
    return True, why


class Runner:
    def __init__(self, reps: int, quick: bool, s3up, peers, timeouts: dict[str, float]):
        self.reps, self.quick, self.s3up, self.peers, self.timeouts = reps, quick, s3up, peers, timeouts
        self.runs_dir = work_dir() / "runs"
        shutil.rmtree(self.runs_dir, ignore_errors=True)
        self.runs_dir.mkdir(parents=True)
        self.journal = open(work_dir() / "runs.jsonl", "w")

    def run_all(self, jobs: list[tuple[Config, Dataset, object]]) -> list[Result]:
        """jobs: (config, dataset, sink). Repetitions are the outer loop, so that noise from
        the rest of the machine spreads over every configuration instead of hitting one."""
        results = [Result(cfg, []) for cfg, _, _ in jobs]
        total = len(jobs) * self.reps
        n = 0
        for rep in range(self.reps):
            for (cfg, ds, sink), res in zip(jobs, results):
                n += 1
                r = self.run_one(cfg, ds, sink, rep, res)
                res.reps.append(r)
                state = "ok" if r.ok else f"FAILED: {r.why}"
                extra = ""
                if r.net:
                    lat = r.net.get("lateness", {})
                    extra = (f" proxy cpu {r.net.get('cpu_s', 0):.2f}s late p99 "
                             f"{lat.get('p99_ms', 0):.1f}ms max {lat.get('max_ms', 0):.0f}ms")
                if r.s3up and cfg.concurrency == "auto":
                    extra += f" auto end {r.s3up.get('concurrency')} peak {r.s3up.get('concurrency_peak')}"
                log(f"[{n}/{total}] {cfg.key} rep {rep + 1}: {r.wall:.2f}s "
                    f"cpu {r.user + r.sys:.2f}s rss {r.rss_kib / 1024:.0f}MiB{extra} {state}")
        return results

    def run_one(self, cfg: Config, ds: Dataset, sink, rep: int, res: Result) -> Rep:
        prefix = f"{ds.name}/"
        run_dir = self.runs_dir / cfg.key
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            sink.clear()
        except Exception as e:
            return Rep(False, 0, 0, 0, 0, f"cannot clear the sink: {e}")
        client = self.s3up if cfg.tool == "s3up" else self.peers
        cmd, env = client.command(cfg, ds, sink, prefix, run_dir, self.quick)
        res.command = cmd
        timeout = self.timeouts.get(cfg.tool, self.timeouts["default"])
        proxy = getattr(sink, "proxy", None)
        if proxy is not None:
            proxy.control("reset")
        load = os.getloadavg()[0]
        cpu0 = sink.cpu_seconds()
        m: Measured = run_timed(cmd, env, run_dir / f"rep{rep + 1}.log", timeout)
        net = proxy.control("reset timeline") if proxy is not None else None
        cpu1 = sink.cpu_seconds() if cpu0 is not None else None
        sink_cpu = cpu1 - cpu0 if cpu1 is not None and cpu1 >= cpu0 else None
        if m.timed_out:
            why = f"timed out after {timeout:.0f}s (cap)"
            ok = False
        elif m.rc != 0:
            why = f"exit {m.rc}: {tail(m.log)}"
            ok = False
        else:
            ok, why = sink.verify(prefix, ds.files)
            if not ok:
                why = "verification: " + why
            elif cfg.tool == "s3up":
                ok, why = check_report(run_dir / "report.json", ds, why, cfg.concurrency == "auto")
        s3rep = None
        if cfg.tool == "s3up":
            try:
                r = json.loads((run_dir / "report.json").read_text())
                s3rep = {k: r.get(k) for k in ("concurrency", "concurrency_peak", "threads", "engine",
                                                 "concurrency_history")}
                s3rep.update({k: r.get("totals", {}).get(k) for k in ("retries", "throttled",
                                                                      "multipart_uploads")})
                s3rep["stragglers_resent"] = r.get("connections", {}).get("stragglers_resent")
            except (OSError, ValueError):
                pass
        self.journal.write(json.dumps({"key": cfg.key, "rep": rep + 1, "ok": ok, "why": why,
                                       "wall": m.wall, "user": m.user, "sys": m.sys,
                                       "rss_kib": m.rss_kib, "cmd": cmd, "load": load,
                                       "net": net, "s3up": s3rep, "sink_cpu": sink_cpu,
                                       "time": time.strftime("%H:%M:%S")}) + "\n")
        self.journal.flush()
        if sink.kind == "nginx":
            sink.clear()   # frees the tmpfs now (the test server is restarted before each run)
        return Rep(ok, m.wall, m.user, m.sys, m.rss_kib, "" if ok else why, why if ok else "",
                   net=net, load=load, s3up=s3rep, sink_cpu=sink_cpu)
