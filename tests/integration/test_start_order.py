"""The start order (src/engine/start_order.hpp), against s3-testserver: a directory of large
files walked after many small ones no longer waits for them all (large bodies keep a quarter of
the places in flight), small files keep flowing while the large ones are under way, and every
file arrives once, read back byte for byte."""
import json
import os
import shutil
import tempfile
import unittest

from feature_helpers import assert_stored
from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer

KiB = 1024
MiB = 1024 * KiB


class StartOrder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # In key order: 240 small files under a/, then 12 large ones under b/, then 40 small
        # ones under c/.
        cls.src = fresh_dir("s3up-start-order-")
        cls.files = {}
        for i in range(240):
            cls.files[f"a/{i:03d}.txt"] = os.urandom(KiB + i)
        for i in range(12):
            cls.files[f"b/{i:02d}.bin"] = os.urandom(MiB + MiB // 2 + i)
        for i in range(40):
            cls.files[f"c/{i:02d}.txt"] = os.urandom(2 * KiB + i)
        for rel, data in cls.files.items():
            os.makedirs(os.path.dirname(os.path.join(cls.src, rel)), exist_ok=True)
            with open(os.path.join(cls.src, rel), "wb") as f:
                f.write(data)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)

    def test_large_files_start_among_the_small_ones_and_all_arrive(self):
        tmp = tempfile.mkdtemp(prefix="s3up-start-order-log-")
        try:
            log = os.path.join(tmp, "requests.log")
            with TestServer(extra_args=["--log", log]) as server:
                # 8 in flight: at most 2 large bodies while small files wait.
                proc = run_s3up(["--endpoint-url", server.url, "--progress", "none", "--json",
                                 "-", "--concurrency", "8", self.src,
                                 f"s3://{server.bucket}/o/"], server.env())
                self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
                doc = json.loads(proc.stdout)
                self.assertEqual(doc["totals"]["files"], len(self.files))
                self.assertEqual(doc["totals"]["failed"], 0)
                assert_stored(self, server.client(), server.bucket, "o", self.files)
            with open(log) as f:
                puts = [line.split()[2] for line in f
                        if line.split()[1] == "PUT" and " PutObject " in line]
            self.assertEqual(len(puts), len(self.files))
            self.assertEqual(len(set(puts)), len(self.files))  # each file once
            order = [p.split("/o/", 1)[1].split("/", 1)[0] for p in puts]
            first_large = order.index("b")
            last_large = len(order) - 1 - order[::-1].index("b")
            # In walk order the first large file would come after all 240 small ones of a/.
            self.assertLess(first_large, 120, order)
            # While the large ones were under way, small files kept going.
            self.assertGreater(order[first_large:last_large].count("a"), 40, order)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
