"""s3up-wanproxy (bench/wanproxy, built with the project) in front of a test server: a link
with round trips and, if asked, a rate, for the tests that need one."""
import os
import shutil
import subprocess
import tempfile
import time

from s3fixtures import BUILD


class WanProxy:
    """s3up-wanproxy (bench/wanproxy, built with the project) relaying to `port` with `rtt`
    of round trip added and, with `rate` (e.g. "40mbit"), a link of that rate."""

    def __init__(self, port, rtt, rate="0"):
        self.dir = tempfile.mkdtemp(prefix="s3up-wanproxy-")
        ready = os.path.join(self.dir, "ready")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "s3up-wanproxy"), "--map", f"127.0.0.1:{port}", "--rtt", rtt,
             "--rate", rate, "--ready-file", ready, "--stats-file", os.path.join(self.dir, "stats")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while not os.path.exists(ready):
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError("s3up-wanproxy did not start")
            time.sleep(0.02)
        with open(ready) as f:
            self.port = int(f.readline().split()[1].rsplit(":", 1)[1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
