"""Crash consistency of --journal: s3up is killed with SIGKILL at random moments (seeded, the
delays printed) while it uploads 600 small files and two multipart files to s3-testserver with
signature checking and 5% injected faults (500, 503, resets mid-body), then rerun until it exits
0. Afterwards every object is byte-identical (read back with boto3), no multipart upload is left
open, no run sent again what the journal (as the killed run left it on disk) recorded as
finished, and the bytes the server received over all runs stay within the bound stated in
`bound()`."""
import json
import os
import random
import signal
import subprocess
import time
import unittest
import urllib.parse

from feature_helpers import assert_stored
from s3fixtures import ENGINE, engine_args, fresh_dir, rmtree, run_s3up, S3UP
from testserver import TestServer

MiB = 1024 * 1024
KILLS = 20
SMALL_FILES = 600
BIG_FILES = 2
BIG_SIZE = 30 * MiB
PART_SIZE = 5 * MiB          # s3up's smallest part size: the largest body in flight
CONCURRENCY = 4
RATE = 3 * MiB               # --limit-rate: bytes per second
BATCH_DELAY = 0.2            # Journal::kBatchDelay: the longest a record waits to be synced
KILL_DELAYS = (0.3, 1.5)     # seconds after a start at which it is killed (uniform)


def parse_log_line(line):
    """s3-testserver --log: TIME METHOD TARGET STATUS OP FAULT BYTES."""
    fields = line.split()
    method, target = fields[1], fields[2]
    status, op, fault, size = " ".join(fields[3:-3]), fields[-3], fields[-2], int(fields[-1])
    path, _, query = target.partition("?")
    key = urllib.parse.unquote(path.split("/", 2)[2]) if path.count("/") >= 2 else ""
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    return {"method": method, "key": key, "status": status, "op": op, "fault": fault,
            "bytes": size, "upload_id": params.get("uploadId"),
            "part": int(params["partNumber"]) if "partNumber" in params else None}


def journal_state(path):
    """What the journal on disk says is finished: the keys done, and the parts of the uploads
    it has open ((upload id, part number) pairs). A torn last line is ignored, as s3up does."""
    done, parts, open_ids = set(), set(), set()
    if not os.path.exists(path):
        return done, parts
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f.read().split("\n")[1:]:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("op") == "done":
                done.add(r["key"])
            elif r.get("op") == "start":
                open_ids.add(r["upload_id"])
            elif r.get("op") == "close":
                open_ids.discard(r["upload_id"])
            elif r.get("op") == "part":
                parts.add((r["upload_id"], r["number"]))
    return done, {p for p in parts if p[0] in open_ids}


class CrashLoop(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("S3UP_CRASH_SEED", "20261202"))
        self.rng = random.Random(self.seed)
        self.src = fresh_dir("s3up-crash-")
        self.journal = self.src + ".journal"
        self.log = self.src + ".requests.log"
        self.files = {}
        for i in range(SMALL_FILES):
            self.files[f"small/{i // 100}/f{i:04}.bin"] = self.rng.randbytes(self.rng.randint(0, 8000))
        for i in range(BIG_FILES):
            self.files[f"big/b{i}.bin"] = self.rng.randbytes(BIG_SIZE + 1000 * i)
        for rel, data in self.files.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, rel)), exist_ok=True)
            with open(os.path.join(self.src, rel), "wb") as f:
                f.write(data)
        self.tree_bytes = sum(len(d) for d in self.files.values())

    def tearDown(self):
        rmtree(self.src)
        for path in (self.journal, self.log):
            if os.path.exists(path):
                os.unlink(path)

    def args(self, server, report=None):
        args = ["--endpoint-url", server.url, "--progress", "none", "--journal", self.journal,
                "--multipart-threshold", "8MiB", "--part-size", "5MiB",
                "--concurrency", str(CONCURRENCY), "--limit-rate", str(RATE), "--retries", "10"]
        if report:
            args += ["--json", report]
        return args + [self.src, f"s3://{server.bucket}/c/"]

    def log_lines(self, start):
        with open(self.log) as f:
            f.seek(start)
            text = f.read()
        return [parse_log_line(l) for l in text.splitlines() if l.strip()], start + len(text)

    def check_run(self, lines, done, parts, run):
        """Nothing the journal had as finished before `run` went again in it."""
        for l in lines:
            if not l["status"].startswith("2"):
                continue
            if l["op"] == "PutObject":
                self.assertNotIn(l["key"], done, f"run {run} sent {l['key']} again")
            if l["op"] in ("PutObject", "CreateMultipartUpload", "UploadPart"):
                self.assertNotIn(l["key"], done, f"run {run}: {l['op']} for a finished key")
            if l["op"] == "UploadPart":
                self.assertNotIn((l["upload_id"], l["part"]), parts,
                                 f"run {run} sent part {l['part']} of {l['key']} again")

    def bound(self, kills, faulted):
        """The most the server may receive over all runs: the tree once; per kill, the bodies in
        flight (CONCURRENCY requests, each at most a part), one more body for the rate limiter's
        booking ahead, and what --limit-rate lets finish while its journal records wait for
        their batch (BATCH_DELAY, with half as much again for the write and sync); per request
        hit by a fault, one body."""
        per_kill = (CONCURRENCY + 1) * PART_SIZE + int(RATE * BATCH_DELAY * 1.5)
        return self.tree_bytes + kills * per_kill + faulted * PART_SIZE

    def test_sigkill_loop_then_rerun(self):
        print(f"\nseed {self.seed} (S3UP_CRASH_SEED), engine {ENGINE or 'async'}", flush=True)
        with TestServer(access_key="AKIDCRASHLOOP", secret="crash-loop-secret-never-shown",
                        faults="500,503,reset-mid", fault_rate=0.05, seed=self.seed,
                        extra_args=["--log", self.log]) as server:
            env = server.env()
            offset, runs, kills, started = 0, 0, 0, time.monotonic()
            all_lines = []
            while kills < KILLS:
                done, parts = journal_state(self.journal)
                delay = self.rng.uniform(*KILL_DELAYS)
                runs += 1
                proc = subprocess.Popen([S3UP, *engine_args(), *self.args(server)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    code = proc.wait(timeout=delay)
                    print(f"run {runs}: exited {code} before its kill at {delay:.2f} s", flush=True)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    code = None
                time.sleep(0.1)  # the server logs a request once its connection is gone
                lines, offset = self.log_lines(offset)
                all_lines += lines
                self.check_run(lines, done, parts, runs)
                if code is None:
                    now_done, _ = journal_state(self.journal)
                    print(f"run {runs}: killed at {delay:.2f} s, {len(now_done)} keys finished "
                          "in the journal", flush=True)
                elif code == 0:
                    break  # everything is up: the remaining kills would find nothing to do
                else:
                    self.fail(f"run {runs} exited {code}")
            # Reruns until one finishes.
            report = self.src + ".report.json"
            for _ in range(5):
                done, parts = journal_state(self.journal)
                runs += 1
                proc = run_s3up(self.args(server, report), env, timeout=300,
                                check_secret=server.secret)
                lines, offset = self.log_lines(offset)
                all_lines += lines
                self.check_run(lines, done, parts, runs)
                if proc.returncode == 0:
                    break
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(report) as f:
                final = json.load(f)
            os.unlink(report)
            elapsed = time.monotonic() - started

            client = server.client()
            self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []),
                             [], "multipart uploads were left open")
            assert_stored(self, client, server.bucket, "c", self.files)

            body_ops = ("PutObject", "UploadPart")
            received = sum(l["bytes"] for l in all_lines)
            ok_bytes = sum(l["bytes"] for l in all_lines
                           if l["op"] in body_ops and l["status"].startswith("2"))
            faulted = sum(1 for l in all_lines if l["fault"] != "-")
            aborted = sum(1 for l in all_lines
                          if l["op"] == "AbortMultipartUpload" and l["status"].startswith("2"))
            created = sum(1 for l in all_lines
                          if l["op"] == "CreateMultipartUpload" and l["status"].startswith("2"))
            bound = self.bound(kills, faulted)
            print(f"{kills} kills, {runs} runs in {elapsed:.0f} s; tree {self.tree_bytes / MiB:.1f} "
                  f"MiB; received {received / MiB:.1f} MiB in all ({ok_bytes / MiB:.1f} MiB in "
                  f"accepted bodies, so {(ok_bytes - self.tree_bytes) / 1024:.1f} KiB re-sent, "
                  f"{(received - ok_bytes) / MiB:.1f} MiB in bodies cut short by kills and "
                  f"faults); bound {bound / MiB:.1f} MiB; {faulted} faults; {created} multipart "
                  f"uploads created, {aborted} aborted; the last run aborted "
                  f"{final['totals']['stale_uploads_aborted']} stale ones", flush=True)
            self.assertGreaterEqual(kills, KILLS)
            self.assertLessEqual(received, bound)


if __name__ == "__main__":
    unittest.main()
