"""The datasets: random bytes (not zeros), generated once and cached under the work dir."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from .common import log, work_dir, human_bytes

KiB, MiB = 1024, 1024 * 1024

# name -> (files, bytes per file) for generated sets; "tree" copies a real directory.
FULL = {"small": (10_000, 4 * KiB), "medium": (1_000, 256 * KiB), "large": (4, 256 * MiB),
        "tree": "/usr/share/doc", "wlarge": (2, 100 * MiB), "whuge": (2, 512 * MiB),
        "wsmall": (60_000, 4 * KiB)}
QUICK = {"small": (1_000, 4 * KiB), "medium": (100, 256 * KiB), "large": (2, 24 * MiB),
         "tree": "/usr/include/linux", "wlarge": (2, 24 * MiB), "whuge": (2, 48 * MiB),
         "wsmall": (3_000, 4 * KiB)}
# wsmall: small files over a WAN for long enough (7-12 s at 20-80 ms) that --concurrency auto's
# start is a small part of the run and its base latency outlives base_latency_life.
ORDER = ["small", "medium", "large", "tree", "wlarge", "whuge", "wsmall"]
# Throughput metric for plots: files/s where per-request cost dominates, MB/s for big files.
METRIC = {"small": "files_per_s", "medium": "files_per_s", "tree": "files_per_s", "wsmall": "files_per_s",
          "large": "mb_per_s", "wlarge": "mb_per_s", "whuge": "mb_per_s"}
# Datasets of big files: single PUTs to nginx and multipart to the test server.
BIG = {"large", "wlarge", "whuge"}


@dataclasses.dataclass
class Dataset:
    name: str
    path: Path
    files: dict[str, int]    # relative key -> size
    description: str

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())


def _write_random(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 * MiB)
            f.write(os.urandom(n))
            left -= n


def _manifest(root: Path) -> dict[str, int]:
    files = {}
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            if p.is_symlink() or not p.is_file():
                continue
            files[p.relative_to(root).as_posix()] = p.stat().st_size
    return files


def _generate(name: str, spec, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if isinstance(spec, str):
        # A real tree: regular files only (symlinks are handled differently by each client).
        src = Path(spec)
        for dirpath, _dirs, names in os.walk(src):
            for n in names:
                p = Path(dirpath) / n
                if p.is_symlink() or not p.is_file():
                    continue
                rel = p.relative_to(src)
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, tmp / rel)
    else:
        count, size = spec
        per_dir = 1000
        for i in range(count):
            d = tmp / f"d{i // per_dir:03d}" if count > per_dir else tmp
            d.mkdir(exist_ok=True)
            _write_random(d / f"f{i:06d}.bin", size)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def prepare(name: str, quick: bool) -> Dataset:
    specs = QUICK if quick else FULL
    spec = specs[name]
    sub = "quick" if quick else "full"
    dest = work_dir() / "data" / sub / name
    stamp = dest.with_name(name + ".json")
    want = spec if isinstance(spec, str) else list(spec)
    cached = None
    if stamp.exists() and dest.is_dir():
        try:
            cached = json.loads(stamp.read_text())
        except ValueError:
            cached = None
    if not cached or cached.get("spec") != want:
        log(f"dataset {name}: generating in {dest}")
        _generate(name, spec, dest)
        files = _manifest(dest)
        stamp.write_text(json.dumps({"spec": want, "files": files}))
    else:
        files = cached["files"]
    if isinstance(spec, str):
        desc = f"copy of {spec} (regular files, symlinks left out)"
    else:
        desc = f"{spec[0]:,} x {human_bytes(spec[1])} random"
    ds = Dataset(name, dest, files, desc)
    log(f"dataset {name}: {ds.count:,} files, {human_bytes(ds.total_bytes)} ({desc})")
    _warm(ds)
    return ds


def _warm(ds: Dataset) -> None:
    """Reads every file once so the first measured run does not pay for the disk."""
    for rel in ds.files:
        with open(ds.path / rel, "rb") as f:
            while f.read(8 * MiB):
                pass


def generate_flat(dest: Path, count: int, size: int) -> Dataset:
    """For memory.sh: count files of size bytes, cached like the others."""
    stamp = dest.with_name(dest.name + ".json")
    want = [count, size]
    if stamp.exists() and dest.exists():
        try:
            cached = json.loads(stamp.read_text())
            if cached.get("spec") == want:
                return Dataset(dest.name, dest, cached["files"], f"{count:,} x {human_bytes(size)}")
        except ValueError:
            pass
    log(f"generating {count:,} x {human_bytes(size)} in {dest}")
    _generate(dest.name, (count, size), dest)
    files = _manifest(dest)
    stamp.write_text(json.dumps({"spec": want, "files": files}))
    return Dataset(dest.name, dest, files, f"{count:,} x {human_bytes(size)}")
