"""Reliability against the project's test server with injected faults (deterministic seeds):
every object arrives intact despite 500s, SlowDowns, resets, stalls, truncated replies and a
200-with-Error to CompleteMultipartUpload; permanent faults fail exactly the files they hit."""
import json
import os
import shutil
import tempfile
import unittest

import botocore.exceptions

from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer, make_self_signed_cert

MiB = 1024 * 1024
ALL_FAULTS = "500,503,reset-before,reset-mid,stall,truncate,complete-error"



def make_tree(root, small=5000, large=3):
    files = {}
    for i in range(small):
        rel = f"d{i % 50:02}/f{i:05}.bin"
        files[rel] = os.urandom(64 + i % 1000)
    for i in range(large):
        files[f"large/l{i}.bin"] = os.urandom(6 * MiB + 12345 * i)
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    return files


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-faults-")
        cls.files = make_tree(cls.src)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)

    def upload(self, server, prefix, *extra, read_timeout="30"):
        # A short --read-timeout only where the server stalls (test_ten_percent...): elsewhere a
        # timeout would only come from a machine too busy to answer within it (a sanitizer run
        # on a loaded host: the 2 s of before failed files in integration.threaded.faults).
        report = os.path.join(self.src + f"-{prefix}.json")
        proc = run_s3up(["--endpoint-url", server.url, "--progress", "none",
                         "--multipart-threshold", "5MiB", "--part-size", "5MiB",
                         "--read-timeout", read_timeout, "--retries", "8", "--json", report, *extra,
                         self.src, f"s3://{server.bucket}/{prefix}/"], server.env(),
                        timeout=900, check_secret=server.secret)
        with open(report) as f:
            doc = json.load(f)
        os.unlink(report)
        print(f"\n[{prefix}] {proc.stdout.strip()}", flush=True)
        return proc, doc

    @staticmethod
    def read_back(client, server, key, attempts=5):
        """The object's bytes as stored. The server's faults apply to the test's own reads as
        well; botocore does not retry a body the server cuts short ("truncate": it announces
        more than it sends), so that read is made again (a new draw of the server's faults: which
        request is hit depends on how many the upload made, which varies with timing)."""
        def read():
            return client.get_object(Bucket=server.bucket, Key=key)["Body"].read()
        for _ in range(attempts - 1):
            try:
                return read()
            except botocore.exceptions.ResponseStreamingError:
                pass
        return read()  # the last attempt's error is the test's

    def assert_all_arrived(self, server, prefix):
        client = server.client()
        keys = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=server.bucket,
                                                                      Prefix=prefix + "/"):
            keys |= {o["Key"] for o in page.get("Contents", [])}
        self.assertEqual(keys, {f"{prefix}/{rel}" for rel in self.files})
        for rel in list(self.files)[::97] + [r for r in self.files if r.startswith("large/")]:
            self.assertEqual(self.read_back(client, server, f"{prefix}/{rel}"), self.files[rel],
                             rel)
        self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []), [])

    def test_corrupted_bodies_are_sent_again_and_arrive_intact(self):
        # 10% of bodies get a bit flipped on the way: over plain HTTP the signed payload hash
        # catches it (XAmzContentSHA256Mismatch), and "corrupt-echo" stores the flipped bytes
        # without checking and echoes their CRC32C, which s3up compares with what it sent.
        with TestServer(access_key="AKIDCORRUPT", secret="corrupt-secret-never-shown",
                        faults="corrupt,corrupt-echo", fault_rate=0.1, seed=11) as server:
            proc, doc = self.upload(server, "corrupt")
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            self.assertEqual(doc["totals"]["failed"], 0)
            self.assertGreater(doc["totals"]["retries"], 100)
            self.assertGreater(server.stats()["faults_injected"], 100)
            self.assert_all_arrived(server, "corrupt")

    def test_corrupted_bodies_over_https_are_caught_by_the_checksum(self):
        # Over HTTPS the payload is not signed: the x-amz-checksum-crc32c header (BadDigest) and
        # the echo are what catch the flipped bits.
        tmp = tempfile.mkdtemp(prefix="s3up-corrupt-tls-")
        try:
            cert, key = make_self_signed_cert(tmp)
            with TestServer(access_key="AKIDCORRUPT", secret="corrupt-secret-never-shown",
                            faults="corrupt,corrupt-echo", fault_rate=0.2, seed=12,
                            tls_cert=cert, tls_key=key) as server:
                proc, doc = self.upload(server, "corrupt-tls", "--ca-bundle", cert)
                self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
                self.assertEqual(doc["totals"]["failed"], 0)
                self.assertGreater(doc["totals"]["retries"], 100)
                self.assert_all_arrived(server, "corrupt-tls")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_ten_percent_faults_everything_arrives(self):
        with TestServer(access_key="AKIDFAULTS", secret="faults-secret-never-shown",
                        faults=ALL_FAULTS, fault_rate=0.1, seed=7,
                        extra_args=["--stall-seconds", "5"]) as server:
            proc, doc = self.upload(server, "tenpct", read_timeout="2")
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            self.assertEqual(doc["totals"]["files"], len(self.files))
            self.assertEqual(doc["totals"]["failed"], 0)
            stats = server.stats()
            self.assertGreater(stats["faults_injected"], 100)
            self.assertGreaterEqual(doc["totals"]["retries"], stats["faults_injected"] // 2)
            self.assert_all_arrived(server, "tenpct")
            # Every object was verified by the server's SigV4 and checksum checks; a full read-back
            # of a sample and all large objects is above.

    def test_permanent_faults_fail_exactly_those_files(self):
        bad = ["d07/f00007.bin", "d13/f00013.bin", "large/l1.bin"]
        with TestServer(fail_keys=[f"perm/{k}" for k in bad], fault_rate=0) as server:
            proc, doc = self.upload(server, "perm", "--retries", "2")
            self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
            failed = sorted(f["key"] for f in doc["failed"])
            self.assertEqual(failed, sorted(f"perm/{k}" for k in bad))
            for k in bad:
                self.assertIn(f"perm/{k}", proc.stderr)
            self.assertEqual(proc.stderr.count("failed: "), len(bad))
            self.assertEqual(doc["totals"]["files"], len(self.files) - len(bad))
            # Nothing partial: the failed multipart upload was aborted.
            client = server.client()
            self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []), [])


if __name__ == "__main__":
    unittest.main()
