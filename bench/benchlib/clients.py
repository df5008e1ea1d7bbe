"""The clients under test: s3up (both engines) and the peers, as commands for one run."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

from .common import ACCESS_KEY, BUCKET, SECRET_KEY, SEED_THREADS, base_env, which
from .datasets import BIG, Dataset

PEERS = ["seed_threads", "aws-cli", "rclone", "curl"]
# Each peer's own default, shown as "default (N)".
PEER_DEFAULT = {"seed_threads": 100, "aws-cli": 10, "rclone": 4, "curl": 50}
# Settings tried besides the default; the best one is the peer's "best".
PEER_SETTINGS_FULL = {"seed_threads": [32, 64], "aws-cli": [32, 64], "rclone": [64, 128],
                      "curl": [64, 128]}
PEER_SETTINGS_QUICK = {p: [64] for p in PEERS}
# Network profiles: the same requests in flight as s3up's default for every peer (their own
# defaults, rclone's 4 transfers above all, would only measure the RTT), curl at 256 as well.
PEER_SETTINGS_WAN = {"seed_threads": [64], "aws-cli": [64], "rclone": [64], "curl": [64, 256]}
SEED_DATASETS = {"small", "medium"}        # seed_threads is slow: only there
S3UP_CONCURRENCY = [1, 8, 32, 64, 128, 256]
S3UP_CONCURRENCY_WAN = [64, 128, 256]
S3UP_CONCURRENCY_WAN_BIG = [64]      # 2 files of 7 parts: more in flight changes nothing
S3UP_THREADS = [1, 2]


@dataclasses.dataclass
class Config:
    dataset: str
    transport: str
    tool: str                    # "s3up" or a peer name
    engine: str = ""             # s3up: async | threaded | default (no --engine flag)
    threads: int | None = None   # s3up --threads
    concurrency: str = ""        # "64", "auto"; peers: "" for their default
    note: str = ""
    network: str = "lan"         # network profile (benchlib/network.py)

    @property
    def is_default(self) -> bool:
        return self.tool != "s3up" and self.concurrency == ""

    @property
    def conc_label(self) -> str:
        if self.tool != "s3up" and not self.concurrency:
            return f"default ({PEER_DEFAULT[self.tool]})"
        return self.concurrency

    @property
    def conc_num(self) -> int | None:
        """Concurrency as a number for plots and sorting (None for auto)."""
        if self.concurrency.isdigit():
            return int(self.concurrency)
        if self.tool != "s3up" and not self.concurrency:
            return PEER_DEFAULT[self.tool]
        return None

    @property
    def key(self) -> str:
        parts = [self.dataset, self.transport, self.tool]
        if self.network != "lan":
            parts.insert(0, self.network)
        if self.tool == "s3up":
            parts += [self.engine, f"t{self.threads or 'def'}", f"c{self.concurrency}"]
        else:
            parts.append(f"c{self.concurrency or 'default'}")
        return "-".join(parts)


class S3up:
    def __init__(self, binary: Path):
        self.binary = binary
        self.available = False
        self.why = ""
        self.help = ""
        self.version = ""
        self.has_engine = False
        self.has_auto = False
        if not binary.exists():
            self.why = f"{binary} not built"
            return
        try:
            r = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError) as e:
            self.why = f"{binary} --help failed: {e}"
            return
        self.help = r.stdout + r.stderr
        if r.returncode != 0 or "--concurrency" not in self.help:
            self.why = f"{binary} --help printed no usage (exit {r.returncode}): the program is not there yet"
            return
        self.available = True
        self.has_engine = bool(re.search(r"--engine\b", self.help))
        self.has_auto = "auto" in option_help(self.help, "--concurrency")
        v = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20)
        self.version = (v.stdout or v.stderr).strip().splitlines()[0] if (v.stdout or v.stderr).strip() else "?"

        self.engine_why: dict[str, str] = {}
        if self.has_engine:
            for e in ("async", "threaded"):
                why = self._probe_engine(e)
                if why:
                    self.engine_why[e] = why

    def _probe_engine(self, engine: str) -> str:
        """'' if `--engine ENGINE` is accepted: a run over an empty folder against a closed port
        tells a usage error ("not available in this build") from anything else."""
        import tempfile
        with tempfile.TemporaryDirectory() as empty:
            try:
                r = subprocess.run([str(self.binary), "--engine", engine, "--quiet",
                                    "--endpoint-url", "http://127.0.0.1:9", "--connect-timeout", "1",
                                    "--retries", "0", empty, "s3://probe/p/"],
                                   capture_output=True, text=True, timeout=30, env=base_env())
            except subprocess.TimeoutExpired:
                return ""
        msg = (r.stderr + r.stdout).strip()
        if r.returncode == 2 and "engine" in msg.lower():
            return msg.splitlines()[-1] if msg else f"exit {r.returncode}"
        return ""

    def engines(self) -> list[str]:
        if not self.has_engine:
            return ["default"]
        return [e for e in ("async", "threaded") if e not in self.engine_why]

    def concurrencies(self, only: list[int] | None = None) -> list[str]:
        c = [str(x) for x in (only or S3UP_CONCURRENCY)]
        return c + (["auto"] if self.has_auto else [])

    def command(self, cfg: Config, ds: Dataset, sink, prefix: str, run_dir: Path, quick: bool):
        cmd = [str(self.binary), "--endpoint-url", sink.url, "--quiet",
               "--json", str(run_dir / "report.json"), "--concurrency", cfg.concurrency]
        if cfg.threads:     # None: s3up's default (one per core)
            cmd += ["--threads", str(cfg.threads)]
        if self.has_engine:
            cmd += ["--engine", cfg.engine]
        if sink.tls:
            cmd += ["--ca-bundle", str(sink.ca)]
        cmd += s3up_size_args(ds, sink, quick)
        cmd += [str(ds.path), f"s3://{BUCKET}/{prefix}"]
        env = base_env()
        return cmd, env


def option_help(help_text: str, option: str) -> str:
    """The help lines of one option: its line and the continuation lines under it."""
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        if re.search(rf"(^|[\s,]){re.escape(option)}\b", line):
            block = [line]
            for nxt in lines[i + 1:]:
                if not nxt.strip() or nxt.strip().startswith("-"):
                    break
                block.append(nxt)
            return "\n".join(block)
    return ""


def s3up_size_args(ds: Dataset, sink, quick: bool) -> list[str]:
    if not sink.multipart:
        # nginx takes single PUTs only: raise the threshold to the largest file when the
        # default (8MiB) would split it.
        largest = max(ds.files.values(), default=0)
        if largest <= 8 * 1024 * 1024:
            return []
        return ["--multipart-threshold", str(largest)] + (
            ["--max-memory", str(largest)] if largest > 512 * 1024 * 1024 else [])
    if quick and ds.name in BIG:
        return ["--multipart-threshold", "8MiB", "--part-size", "8MiB"]
    return []


def multipart_layout(ds: Dataset, quick: bool) -> tuple[int, int] | None:
    """(threshold, part size) that every client uses on the test server for this dataset, or
    None for each client's own defaults (the loopback 'large' set). wlarge, whuge: 16 MiB parts,
    as s3up's defaults cut files of these sizes (the threshold is below them either way)."""
    if ds.name in ("wlarge", "whuge"):
        return (8 * 1024 * 1024, 8 * 1024 * 1024) if quick else (64 * 1024 * 1024, 16 * 1024 * 1024)
    return None


class Peers:
    """Finds the peer programs; a missing one is reported, not fatal."""

    def __init__(self):
        self.paths: dict[str, str | None] = {
            "aws-cli": which("aws"), "rclone": which("rclone"), "curl": which("curl"),
            "seed_threads": str(SEED_THREADS) if SEED_THREADS.exists() else None}
        self.why: dict[str, str] = {}
        if self.paths["seed_threads"]:
            r = subprocess.run([sys.executable, "-c", "import boto3"], capture_output=True)
            if r.returncode != 0:
                self.paths["seed_threads"] = None
                self.why["seed_threads"] = f"{sys.executable} has no boto3"
        else:
            self.why["seed_threads"] = f"{SEED_THREADS} not found"
        for p in ("aws-cli", "rclone", "curl"):
            if not self.paths[p]:
                self.why[p] = "not installed"
        self.versions = {p: self._version(p) for p in PEERS if self.paths[p]}

    def _version(self, p: str) -> str:
        try:
            if p == "seed_threads":
                r = subprocess.run([sys.executable, "-c", "import boto3; print('boto3', boto3.__version__)"],
                                   capture_output=True, text=True, timeout=30)
            else:
                r = subprocess.run([self.paths[p], "--version"], capture_output=True, text=True, timeout=30)
            out = (r.stdout + r.stderr).strip().splitlines()
            return " ".join(out[0].split()[:3]) if out else "?"
        except (OSError, subprocess.SubprocessError):
            return "?"

    def applies(self, peer: str, dataset: str, sink) -> str | None:
        """None if the peer runs on this dataset/sink, else why not."""
        if not self.paths.get(peer):
            return f"{peer} missing: {self.why.get(peer, '')}"
        if peer == "seed_threads" and dataset not in SEED_DATASETS:
            return "seed_threads runs on small/medium only (slow)"
        if peer == "curl" and sink.kind != "nginx":
            return "curl: single PUTs to nginx only"
        return None

    def command(self, cfg: Config, ds: Dataset, sink, prefix: str, run_dir: Path, quick: bool):
        n = int(cfg.concurrency) if cfg.concurrency else None
        env = base_env()
        if cfg.tool == "seed_threads":
            cmd = [sys.executable, str(SEED_THREADS), str(ds.path), BUCKET, prefix, sink.url]
            if n:
                cmd.append(str(n))
            if sink.tls:
                env["AWS_CA_BUNDLE"] = str(sink.ca)
            return cmd, env
        if cfg.tool == "aws-cli":
            conf = run_dir / "aws-config"
            lines = ["[default]", "region = us-east-1", "s3 =", "  addressing_style = path"]
            if n:
                lines.append(f"  max_concurrent_requests = {n}")
            if not sink.multipart:
                lines.append("  multipart_threshold = 5GB")
            elif multipart_layout(ds, quick):
                th, ps = multipart_layout(ds, quick)
                lines += [f"  multipart_threshold = {th // 1048576}MB",
                          f"  multipart_chunksize = {ps // 1048576}MB"]
            conf.write_text("\n".join(lines) + "\n")
            env["AWS_CONFIG_FILE"] = str(conf)
            if sink.tls:
                env["AWS_CA_BUNDLE"] = str(sink.ca)
            cmd = [self.paths["aws-cli"], "--endpoint-url", sink.url, "s3", "cp", "--recursive",
                   "--only-show-errors", "--no-progress", str(ds.path), f"s3://{BUCKET}/{prefix}"]
            return cmd, env
        if cfg.tool == "rclone":
            conf = run_dir / "rclone.conf"
            conf.write_text("[bench]\ntype = s3\nprovider = Other\nenv_auth = false\n"
                            f"access_key_id = {ACCESS_KEY}\nsecret_access_key = {SECRET_KEY}\n"
                            f"endpoint = {sink.url}\nregion = us-east-1\nforce_path_style = true\n")
            env.pop("AWS_CA_BUNDLE", None)      # rclone 1.60 fails on it
            cmd = [self.paths["rclone"], "--config", str(conf), "copy", str(ds.path),
                   f"bench:{BUCKET}/{prefix.rstrip('/')}", "-q", "--no-check-dest",
                   "--s3-no-check-bucket"]
            if n:
                cmd += ["--transfers", str(n), "--checkers", str(n)]
                if sink.multipart:
                    # per-file part concurrency so that about n parts are in flight
                    cmd += ["--s3-upload-concurrency", str(max(4, n // max(1, min(n, ds.count))))]
            if not sink.multipart:
                cmd += ["--ignore-checksum", "--s3-upload-cutoff", "5G"]
            elif multipart_layout(ds, quick):
                th, ps = multipart_layout(ds, quick)
                cmd += ["--s3-upload-cutoff", f"{th // 1048576}Mi", "--s3-chunk-size", f"{ps // 1048576}Mi"]
            elif quick and ds.name == "large":
                cmd += ["--s3-upload-cutoff", "8Mi", "--s3-chunk-size", "8Mi"]
            if sink.tls:
                cmd += ["--ca-cert", str(sink.ca)]
            return cmd, env
        if cfg.tool == "curl":
            cfgfile = run_dir / "curl.cfg"
            with open(cfgfile, "w") as f:
                # curl 7.x sends 'Expect: 100-continue' with every upload and waits for the
                # 100 reply: one more round trip per request, which a transport ceiling must not
                # pay (nothing on loopback, 2x the time of small files at 80 ms). Off for all.
                f.write('header = "Expect:"\n')
                for rel in ds.files:
                    path = str(ds.path / rel).replace("\\", "\\\\").replace('"', '\\"')
                    url = f"{sink.url}/{BUCKET}/{urllib.parse.quote(prefix + rel, safe='/~')}"
                    f.write(f'upload-file = "{path}"\nurl = "{url}"\noutput = "/dev/null"\n')
            cmd = [self.paths["curl"], "-s", "-S", "--fail", "-Z"]
            if n:
                cmd += ["--parallel-max", str(n)]
            if sink.tls:
                cmd += ["--cacert", str(sink.ca)]
            cmd += ["-K", str(cfgfile)]
            return cmd, env
        raise ValueError(cfg.tool)
