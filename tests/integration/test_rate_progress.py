"""Bandwidth cap and progress output, against moto with SigV4 checking on: --limit-rate slows
the whole run down (a loose lower bound on the wall time, never an upper one) and every byte
arrives; --progress log prints periodic lines on a pipe; --progress bar draws a live line on a
terminal (a detached tmux pane); --quiet leaves errors and the summary only."""
import os
import re
import shlex
import shutil
import subprocess
import time
import unittest

from s3fixtures import MotoCase, engine_args, rmtree, run_s3up, S3UP, BUCKET
from feature_helpers import MiB, run_merged, write_files

LOG_LINE = re.compile(r"^\[\d+:\d\d\] \d+/\d+\+? files  .*in flight \d+")


def have_tmux():
    if shutil.which("tmux"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "tmux"], capture_output=True,
                       timeout=300, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return shutil.which("tmux") is not None


class RateAndProgress(MotoCase):
    src_prefix = "s3up-rate-"

    def args(self, *extra, prefix):
        return ["--endpoint-url", self.moto.url, *extra, self.src, f"s3://{BUCKET}/{prefix}"]

    def test_limit_rate_slows_the_run_and_every_byte_arrives(self):
        files = write_files(self.src, {f"r{i}.bin": os.urandom(256 * 1024) for i in range(8)})
        started = time.monotonic()
        proc = run_s3up(self.args("--limit-rate", "1MiB", prefix="rate"), self.moto.env(),
                        check_secret=self.moto.secret_key)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # 2 MiB at 1 MiB/s: 2 s; a loose lower bound.
        self.assertGreaterEqual(elapsed, 1.5, proc.stdout)
        self.assertEqual(self.moto.objects("rate/"), {"rate/" + k: v for k, v in files.items()})

    def test_limit_rate_holds_for_one_large_file(self):
        # A single 2 MiB body: the cap holds for the run, not only across requests.
        data = os.urandom(2 * MiB)
        write_files(self.src, {"one.bin": data})
        started = time.monotonic()
        proc = run_s3up(self.args("--limit-rate", "1MiB", prefix="rate1"), self.moto.env(),
                        check_secret=self.moto.secret_key)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertGreaterEqual(elapsed, 1.5, proc.stdout)
        self.assertEqual(self.moto.objects("rate1/"), {"rate1/one.bin": data})

    def test_log_progress_on_a_pipe_then_the_summary(self):
        # ~7 s at 1 MiB/s: at least one log line (every 5 s).
        files = write_files(self.src, {f"p{i}.bin": os.urandom(MiB) for i in range(7)})
        code, out = run_merged(self.args("--progress", "log", "--limit-rate", "1MiB",
                                         prefix="log"), self.moto.env(), self.moto.secret_key)
        self.assertEqual(code, 0, out)
        lines = out.splitlines()
        progress = [i for i, line in enumerate(lines) if LOG_LINE.match(line)]
        self.assertTrue(progress, out)
        summary = [i for i, line in enumerate(lines) if line.startswith("Uploaded 7 files")]
        self.assertEqual(len(summary), 1, out)
        self.assertLess(max(progress), summary[0], out)
        self.assertEqual(len(lines), len(progress) + 1, out)  # nothing else
        self.assertEqual(self.moto.objects("log/"), {"log/" + k: v for k, v in files.items()})

    def test_quiet_prints_errors_and_the_summary_only(self):
        write_files(self.src, {f"q{i}.txt": b"quiet %d" % i for i in range(3)})
        with open(os.path.join(os.fsencode(self.src), b"bad-\xff.txt"), "wb") as f:
            f.write(b"not utf-8")
        proc = run_s3up(self.args("--quiet", "--progress", "log", prefix="quiet"),
                        self.moto.env(), check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        err = proc.stderr.splitlines()
        self.assertEqual(len(err), 1, proc.stderr)
        self.assertTrue(err[0].startswith("failed: ") and "not valid UTF-8" in err[0], err[0])
        out = proc.stdout.splitlines()
        self.assertEqual(len(out), 1, proc.stdout)
        self.assertTrue(out[0].startswith("Uploaded 3 files"), out[0])
        self.assertEqual(len(self.moto.keys("quiet/")), 3)

    # On a terminal ---------------------------------------------------------------------------

    def run_in_tmux(self, extra, prefix, watch_seconds):
        """Runs s3up in a detached tmux pane (its own server and socket); returns (screens seen
        while it ran, final screen)."""
        if not have_tmux():
            self.skipTest("tmux is not installed and could not be installed with apt-get")
        sock = os.path.join(self.src + "-tmux", "sock")
        os.makedirs(os.path.dirname(sock))
        env = dict(self.moto.env(), TERM="xterm-256color")
        command = " ".join(shlex.quote(a) for a in [S3UP, *engine_args(), *self.args(*extra, prefix=prefix)])
        shell = f"{command}; echo \"s3up-exit=$?\"; sleep 300"
        tmux = ["tmux", "-S", sock, "-f", "/dev/null"]
        subprocess.run(tmux + ["new-session", "-d", "-s", "t", "-x", "200", "-y", "40", shell],
                       env=env, check=True, timeout=30)
        try:
            screens = []
            deadline = time.monotonic() + watch_seconds
            while time.monotonic() < deadline:
                screen = subprocess.run(tmux + ["capture-pane", "-p", "-J", "-t", "t"],
                                        capture_output=True, text=True, timeout=30).stdout
                screens.append(screen)
                if "s3up-exit=" in screen:
                    break
                time.sleep(0.2)
            final = subprocess.run(tmux + ["capture-pane", "-p", "-J", "-S", "-", "-t", "t"],
                                   capture_output=True, text=True, timeout=30).stdout
        finally:
            subprocess.run(tmux + ["kill-server"], capture_output=True, timeout=30)
            rmtree(os.path.dirname(sock))
        for screen in screens + [final]:
            self.assertNotIn(self.moto.secret_key, screen)
        self.assertIn("s3up-exit=", final, "s3up did not finish in time")
        return screens, final

    def test_live_bar_on_a_terminal(self):
        files = write_files(self.src, {f"b{i}.bin": os.urandom(MiB) for i in range(4)})
        screens, final = self.run_in_tmux(["--progress", "bar", "--limit-rate", "1MiB"], "bar", 60)
        live = [s for s in screens if "s3up-exit=" not in s and "Uploaded" not in s]
        bar = [line for s in live for line in s.splitlines()
               if re.search(r"\d+/\d+\+? files", line) and "in flight" in line]
        self.assertTrue(bar, "no live progress line seen:\n" + "\n---\n".join(screens[-3:]))
        self.assertIn("s3up-exit=0", final)
        self.assertRegex(final, r"(?m)^Uploaded 4 files \(4\.0 MiB\)")
        self.assertEqual(self.moto.objects("bar/"), {"bar/" + k: v for k, v in files.items()})

    def test_quiet_on_a_terminal_draws_no_bar(self):
        write_files(self.src, {f"b{i}.bin": os.urandom(MiB // 2) for i in range(4)})
        screens, final = self.run_in_tmux(["--quiet", "--limit-rate", "1MiB"], "quietbar", 60)
        for screen in screens + [final]:
            self.assertNotIn("in flight", screen)
        lines = [line for line in final.splitlines() if line.strip()]
        self.assertEqual(len(lines), 2, final)  # the summary, then the shell's exit line
        self.assertTrue(lines[0].startswith("Uploaded 4 files"), final)
        self.assertEqual(lines[1], "s3up-exit=0")
        self.assertEqual(len(self.moto.keys("quietbar/")), 4)


if __name__ == "__main__":
    unittest.main()
