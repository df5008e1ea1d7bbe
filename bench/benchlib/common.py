"""Paths, logging, processes and timing shared by the bench modules."""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH_DIR = REPO / "bench"
SEED_THREADS = Path(os.environ.get("SEED_THREADS", REPO.parent / "shared" / "peers" / "seed_threads.py"))
if not SEED_THREADS.exists():
    SEED_THREADS = Path("/work/shared/peers/seed_threads.py")
GNU_TIME = "/usr/bin/time"

ACCESS_KEY = "BENCHACCESSKEY"
SECRET_KEY = "bench-secret-key-not-a-real-one"
BUCKET = "bench"

_t0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _t0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def work_dir() -> Path:
    d = Path(os.environ.get("BENCH_WORK", "/tmp/s3up-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def sink_base() -> Path:
    """Where sinks keep uploaded files: tmpfs when there is one, so the disk is not measured."""
    if "BENCH_SINK" in os.environ:
        d = Path(os.environ["BENCH_SINK"])
    elif Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
        d = Path("/dev/shm") / f"s3up-bench-sink-{os.getpid()}"
    else:
        d = work_dir() / "sink"
    d.mkdir(parents=True, exist_ok=True)
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def which(name: str) -> str | None:
    """Like shutil.which, but sees through pyenv shims (a bash wrapper would be timed too)."""
    p = shutil.which(name)
    if p and "/.pyenv/shims/" in p:
        try:
            real = subprocess.run(["pyenv", "which", name], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
            if real and os.access(real, os.X_OK):
                return real
        except (OSError, subprocess.SubprocessError):
            pass
    return p


def base_env() -> dict[str, str]:
    """The environment every client gets: fixed credentials, no stray AWS settings."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("AWS_") or k.startswith("RCLONE_"))}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true",
               AWS_SHARED_CREDENTIALS_FILE=str(work_dir() / "aws-credentials-none"),
               AWS_CONFIG_FILE=str(work_dir() / "aws-config-none"))
    return env


@dataclasses.dataclass
class Measured:
    rc: int
    wall: float          # seconds, monotonic clock around the client process
    user: float          # CPU seconds (GNU time %U)
    sys: float           # CPU seconds (GNU time %S)
    rss_kib: int         # peak RSS (GNU time %M)
    timed_out: bool
    log: Path


def run_timed(cmd: list[str], env: dict[str, str], log_path: Path, timeout: float) -> Measured:
    """Runs cmd under GNU time -v, output to log_path; kills its process group on timeout."""
    time_out = log_path.with_suffix(".time")
    full = [GNU_TIME, "-v", "-o", str(time_out), "--"] + cmd
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        t0 = time.monotonic()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
        # A blocking wait with a timer for the cap: Popen.wait(timeout=) polls with sleeps of up
        # to 50 ms, which would round every wall time up to the next poll.
        killed = threading.Event()

        def cap() -> None:
            killed.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, cap)
        timer.start()
        rc = p.wait()
        wall = time.monotonic() - t0
        timer.cancel()
        timed_out = killed.is_set()
    user = sys_ = 0.0
    rss = 0
    try:
        for line in time_out.read_text().splitlines():
            k, _, v = line.strip().rpartition(": ")
            if k == "User time (seconds)":
                user = float(v)
            elif k == "System time (seconds)":
                sys_ = float(v)
            elif k == "Maximum resident set size (kbytes)":
                rss = int(v)
    except (OSError, ValueError):
        pass
    return Measured(rc, wall, user, sys_, rss, timed_out, log_path)


def terminate(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Stops a child: SIGTERM, then SIGKILL after `timeout` seconds; reaped either way."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path: Path, n: int = 3, width: int = 200) -> str:
    try:
        lines = [l.strip() for l in path.read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return ""
    lines = [l for l in lines if not l.startswith("$ ") and not l.startswith("Command ")]
    return " | ".join(lines[-n:])[:width]


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
