"""--concurrency auto against moto (SigV4 checking on): a tree of small files and a multipart
file upload correctly while the limit adapts; the report gives the final and peak limits. Against
s3-testserver injecting 503 SlowDown, the limit is cut and every file still arrives."""
import hashlib
import json
import os
import unittest

from s3fixtures import MotoCase, ENGINE, make_tree, fresh_dir, rmtree, run_s3up, BUCKET
from testserver import TestServer

MiB = 1024 * 1024


def check_history(case, doc):
    """The report's concurrency_history: [seconds, limit] from the start (64) to the end of the
    run, in time order, its last limit the final one and its highest the peak. Returns it."""
    history = doc["concurrency_history"]
    case.assertGreaterEqual(len(history), 2, history)
    case.assertEqual(history[0], [0, 64])
    times = [t for t, _ in history]
    case.assertEqual(times, sorted(times))
    case.assertLessEqual(times[-1], doc["totals"]["seconds"] + 0.5)
    case.assertEqual(history[-1][1], doc["concurrency"])
    case.assertEqual(max(limit for _, limit in history), doc["concurrency_peak"])
    return history


class AdaptiveConcurrency(MotoCase):
    src_prefix = "s3up-auto-"

    def test_auto_uploads_a_tree_and_reports_its_limits(self):
        files = make_tree(self.src, names=[f"f{i:03}.txt" for i in range(80)],
                          sizes=(0, 10, 1000, 4096, 30000))
        big = os.urandom(21 * MiB + 7)
        with open(os.path.join(self.src, "big.bin"), "wb") as f:
            f.write(big)
        files["big.bin"] = big
        env = self.moto.env()
        env["S3UP_DEBUG_CONCURRENCY"] = "1"
        # --limit-rate keeps the run (23.7 MiB) longer than a few 250 ms sampling windows even
        # against the fast s3-testserver, so that the controller has windows to report.
        proc = run_s3up(["--endpoint-url", self.moto.url, "--concurrency", "auto",
                         "--limit-rate", "16MiB",
                         "--multipart-threshold", "8MiB", "--part-size", "5MiB", "--json", "-",
                         self.src, f"s3://{BUCKET}/auto/"], env,
                        check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        self.assertEqual(doc["totals"]["files"], len(files))
        self.assertEqual(doc["totals"]["failed"], 0)
        self.assertEqual(doc["totals"]["multipart_uploads"], 1)
        self.assertIn("throttled", doc["totals"])
        self.assertGreaterEqual(doc["concurrency"], 1)
        self.assertLessEqual(doc["concurrency_peak"], 1024)
        self.assertGreaterEqual(doc["concurrency_peak"], doc["concurrency"])
        # Both engines adapt (the threaded one moves the number of working threads).
        self.assertEqual(doc["engine"], ENGINE or "async")
        self.assertGreaterEqual(doc["concurrency_peak"], 64)
        # The controller sampled the run (S3UP_DEBUG_CONCURRENCY prints every window).
        self.assertIn("s3up: concurrency:", proc.stderr)
        check_history(self, doc)
        keys = self.moto.keys("auto/")
        self.assertEqual(sorted(keys), sorted("auto/" + rel for rel in files))
        client = self.moto.client()
        for rel, data in files.items():
            body = client.get_object(Bucket=BUCKET, Key="auto/" + rel)["Body"].read()
            self.assertEqual(hashlib.sha256(body).digest(), hashlib.sha256(data).digest(), rel)
        self.assertEqual(self.moto.open_multipart_uploads(), [])

    def test_fixed_concurrency_reports_it_as_final_and_peak(self):
        with open(os.path.join(self.src, "one.txt"), "wb") as f:
            f.write(b"one")
        proc = run_s3up(["--endpoint-url", self.moto.url, "--concurrency", "7", "--json", "-",
                         self.src, f"s3://{BUCKET}/fixed/"], self.moto.env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        self.assertEqual(doc["concurrency"], 7)
        self.assertEqual(doc["concurrency_peak"], 7)
        self.assertNotIn("concurrency_history", doc)
        self.assertEqual(self.moto.keys("fixed/"), ["fixed/one.txt"])


class SlowDown(unittest.TestCase):
    def test_slowdowns_cut_the_limit_and_every_file_arrives(self):
        src = fresh_dir("s3up-slowdown-")
        server = TestServer(faults="503", fault_rate=0.05, seed=7)
        try:
            files = make_tree(src, names=[f"f{i:03}.txt" for i in range(150)], sizes=(10, 500),
                              dirs=["", "a", "b", "c"])
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret,
                       AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
            proc = run_s3up(["--endpoint-url", server.url, "--concurrency", "auto",
                             "--retries", "10", "--json", "-", src, f"s3://{server.bucket}/slow/"],
                            env)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            doc = json.loads(proc.stdout)
            self.assertEqual(doc["totals"]["files"], len(files))
            self.assertGreater(doc["totals"]["throttled"], 0)
            self.assertEqual(doc["totals"]["throttled"], doc["totals"]["retries"])
            # Halved at least once: it ends below its peak (slow start may have doubled the
            # start of 64 before the first SlowDown came back).
            self.assertGreaterEqual(doc["concurrency_peak"], 64)
            self.assertLess(doc["concurrency"], doc["concurrency_peak"])
            # The cut is in the limit's course: some limit below an earlier one.
            limits = [limit for _, limit in check_history(self, doc)]
            self.assertTrue(any(b < max(limits[:i + 1]) for i, b in enumerate(limits[1:])),
                            limits)
            keys = []
            for page in server.client().get_paginator("list_objects_v2").paginate(
                    Bucket=server.bucket, Prefix="slow/"):
                keys += [o["Key"] for o in page.get("Contents", [])]
            self.assertEqual(sorted(keys), sorted("slow/" + rel for rel in files))
        finally:
            server.stop()
            rmtree(src)


if __name__ == "__main__":
    unittest.main()
