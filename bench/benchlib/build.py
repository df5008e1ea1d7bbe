"""Release build of s3up (and s3-testserver when the tree has it) into build-release/."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .common import REPO, log, work_dir

BUILD_DIR = REPO / "build-release"
# s3-testserver (tests/server) is a test tool, configured only with the tests; only the targets
# asked for are built, so the tests themselves cost nothing here.
TESTING = ["-DBUILD_TESTING=ON"]


def build(targets: list[str]) -> dict[str, str]:
    """Builds what it can; returns target -> error for the ones that failed (empty if none)."""
    errors: dict[str, str] = {}
    logf = work_dir() / "build.log"
    nice = ["nice", "-n", "10"]
    with open(logf, "w") as out:
        if not (BUILD_DIR / "CMakeCache.txt").exists():
            gen = ["-G", "Ninja"] if subprocess.run(["sh", "-c", "command -v ninja"],
                                                     capture_output=True).returncode == 0 else []
            log(f"configuring {BUILD_DIR} (Release)")
            r = subprocess.run(nice + ["cmake", "-S", str(REPO), "-B", str(BUILD_DIR), *gen,
                                       "-DCMAKE_BUILD_TYPE=Release", *TESTING],
                               stdout=out, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                return {t: f"cmake configure failed (see {logf})" for t in targets}
        else:   # re-run configure so new source folders are picked up (and BUILD_TESTING set)
            subprocess.run(nice + ["cmake", *TESTING, str(BUILD_DIR)], stdout=out,
                           stderr=subprocess.STDOUT)
        jobs = os.environ.get("BENCH_BUILD_JOBS", str(os.cpu_count() or 2))
        for t in targets:
            log(f"building {t} (Release, nice -n 10, -j{jobs})")
            r = subprocess.run(nice + ["cmake", "--build", str(BUILD_DIR), "--target", t, "-j", jobs],
                               capture_output=True, text=True)
            out.write(r.stdout + r.stderr)
            out.flush()
            if r.returncode != 0:
                text = r.stdout + r.stderr
                if re.search(r"unknown target|No rule to make target", text):
                    errors[t] = "no such target in this tree yet"
                else:
                    errors[t] = f"build failed (see {logf})"
    return errors


def git_describe() -> str:
    r = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s"],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"
