"""--concurrency auto against moto (SigV4 checking on): a tree of small files and a multipart
file upload correctly while the limit adapts; the report gives the final and peak limits."""
import hashlib
import json
import os
import unittest

from s3fixtures import ENGINE, Moto, make_tree, fresh_dir, rmtree, run_s3up, BUCKET

MiB = 1024 * 1024


class AdaptiveConcurrency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(check_signatures=True)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.src = fresh_dir("s3up-auto-")

    def tearDown(self):
        rmtree(self.src)

    def test_auto_uploads_a_tree_and_reports_its_limits(self):
        files = make_tree(self.src, names=[f"f{i:03}.txt" for i in range(80)],
                          sizes=(0, 10, 1000, 4096, 30000))
        big = os.urandom(21 * MiB + 7)
        with open(os.path.join(self.src, "big.bin"), "wb") as f:
            f.write(big)
        files["big.bin"] = big
        env = self.moto.env()
        env["S3UP_DEBUG_CONCURRENCY"] = "1"
        proc = run_s3up(["--endpoint-url", self.moto.url, "--concurrency", "auto",
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
        if ENGINE == "threaded":
            # The threaded engine does not adapt: it runs the starting point's 32 threads.
            self.assertEqual(doc["engine"], "threaded")
            self.assertEqual(doc["concurrency"], 32)
            self.assertIn("adapts with --engine async only", proc.stderr)
        else:
            self.assertEqual(doc["engine"], "async")
            self.assertGreaterEqual(doc["concurrency_peak"], 32)
            # The controller sampled the run (S3UP_DEBUG_CONCURRENCY prints every window).
            self.assertIn("s3up: concurrency:", proc.stderr)
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
        self.assertEqual(self.moto.keys("fixed/"), ["fixed/one.txt"])


if __name__ == "__main__":
    unittest.main()
