"""Large single PUTs with their checksum after the body, in an aws-chunked trailer
(x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER, --trailing-checksum): the file is read
once. Against moto over HTTPS with its SigV4 check (moto decodes aws-chunked and echoes the
trailer's checksum), with botocore re-signing the requests as an independent oracle; against
s3-testserver verifying the trailer while it corrupts bodies on the way."""
import base64
import json
import os
import shutil
import tempfile
import unittest

from crc_helpers import crc32c
from feature_helpers import MiB, assert_stored, write_files
from s3fixtures import Moto, fresh_dir, rmtree, run_s3up, BUCKET
from test_sigv4_botocore import botocore_sign
from testserver import TestServer, make_self_signed_cert

TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
COMMON = os.urandom(8 * MiB)  # the files differ in their tails (the CRC continues from here)
COMMON_CRC = crc32c(COMMON)
# The files of 8 MiB and more go in one PUT (streamed), not in parts as by default.
SINGLE = ["--multipart-threshold", "1GiB"]


def b64_crc32c(tail):
    return base64.b64encode(crc32c(tail, COMMON_CRC).to_bytes(4, "big")).decode()


def make_files(root, large=3):
    files = {f"big/f{i}.bin": COMMON + os.urandom(1000 + 4097 * i) for i in range(large)}
    files["small/a.txt"] = b"a" * 100
    files["small/b.txt"] = os.urandom(70000)
    return write_files(root, files)


class MotoTrailers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(check_signatures=True, tls=True)
        cls.src = fresh_dir("s3up-trailer-")
        cls.files = make_files(cls.src)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        rmtree(cls.src)

    def upload(self, prefix, *extra):
        trace = self.src + f"-{prefix}.jsonl"
        report = self.src + f"-{prefix}.json"
        env = self.moto.env()
        env["S3UP_DEBUG_SIGNING"] = trace
        proc = run_s3up(["--endpoint-url", self.moto.url, "--ca-bundle", self.moto.cert,
                         "--progress", "none", "--json", report, *SINGLE, *extra, self.src,
                         f"s3://{BUCKET}/{prefix}/"], env, check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(trace) as f:
            records = [json.loads(line) for line in f]
        with open(report) as f:
            doc = json.load(f)
        os.unlink(trace)
        os.unlink(report)
        return proc, doc, records

    def trailer_keys(self, records):
        return sorted(r["path"].rsplit("/", 2)[-1] for r in records
                      if r["payload_hash"] == TRAILER)

    def assert_read_back(self, prefix):
        got = self.moto.objects(prefix + "/")
        self.assertEqual(sorted(got), sorted(f"{prefix}/{rel}" for rel in self.files))
        for rel, data in self.files.items():
            self.assertTrue(got[f"{prefix}/{rel}"] == data, f"{rel}: the bytes read back differ")
        client = self.moto.client()
        for rel, data in self.files.items():
            if not rel.startswith("big/"):
                continue
            head = client.head_object(Bucket=BUCKET, Key=f"{prefix}/{rel}", ChecksumMode="ENABLED")
            self.assertEqual(head["ChecksumCRC32C"], b64_crc32c(data[len(COMMON):]), rel)

    def test_auto_sends_trailers_once_the_store_echoed_a_checksum(self):
        # One upload at a time: the first large file's reply (its checksum echoed) comes before
        # the second starts.
        proc, doc, records = self.upload("auto", "--concurrency", "1")
        self.assertEqual(len(self.trailer_keys(records)), 2, proc.stderr)
        self.assertNotIn("note:", proc.stderr)
        self.assertEqual(doc["integrity_counts"]["crc32c-verified"], len(self.files))
        self.assertEqual(doc["totals"]["retries"], 0)
        self.assert_read_back("auto")
        # botocore signs the same requests the same way (headers, payload marker and all).
        for record in records:
            if record["payload_hash"] != TRAILER:
                continue
            headers = dict(record["headers"])
            self.assertEqual(headers["content-encoding"], "aws-chunked")
            self.assertEqual(headers["x-amz-trailer"], "x-amz-checksum-crc32c")
            self.assertNotIn("x-amz-checksum-crc32c", headers)
            canonical, sts, signature = botocore_sign(record, self.moto, self.moto.access_key,
                                                      self.moto.secret_key)
            self.assertEqual(record["canonical_request"], canonical)
            self.assertEqual(record["signature"], signature)

    def test_on_sends_every_large_file_with_a_trailer_and_off_none(self):
        proc, doc, records = self.upload("on", "--trailing-checksum", "on")
        self.assertEqual(self.trailer_keys(records), ["f0.bin", "f1.bin", "f2.bin"], proc.stderr)
        self.assertEqual(doc["integrity_counts"]["crc32c-verified"], len(self.files))
        self.assert_read_back("on")
        proc, doc, records = self.upload("off", "--trailing-checksum", "off", "--concurrency", "1")
        self.assertEqual(self.trailer_keys(records), [])
        self.assert_read_back("off")

    def test_other_algorithms_in_the_trailer(self):
        for algo in ("crc32", "crc64nvme", "sha256"):
            with self.subTest(algo=algo):
                proc, doc, records = self.upload(f"algo-{algo}", "--trailing-checksum", "on",
                                                 "--checksum", algo)
                self.assertEqual(len(self.trailer_keys(records)), 3, proc.stderr)
                self.assertEqual(doc["integrity_counts"][f"{algo}-verified"], len(self.files))
                got = self.moto.objects(f"algo-{algo}/")
                for rel, data in self.files.items():
                    self.assertTrue(got[f"algo-{algo}/{rel}"] == data, rel)


class TestServerTrailers(unittest.TestCase):
    """s3-testserver as AWS: it decodes the aws-chunked body, verifies the trailer's checksum
    (BadDigest on a mismatch) and echoes it."""

    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-trailer-ts-")
        cls.files = make_files(cls.src, large=6)
        cls.tls_dir = tempfile.mkdtemp(prefix="s3up-trailer-tls-")
        cls.cert, cls.key = make_self_signed_cert(cls.tls_dir)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)
        shutil.rmtree(cls.tls_dir, ignore_errors=True)

    def test_a_body_corrupted_on_the_way_is_refused_by_its_trailer_and_sent_again(self):
        # With resets before and in the middle of bodies, 500s and keep-alive connections closed
        # by the server: a body sent again (on a fresh connection, or as a retry) computes its
        # trailer again from its first byte.
        with TestServer(access_key="AKIDTRAILER", secret="trailer-secret",
                        tls_cert=self.cert, tls_key=self.key,
                        faults="corrupt,reset-mid,reset-before,500,idle-close", fault_rate=0.4,
                        seed=3, extra_args=["--checksum-support", "full"]) as server:
            report = self.src + "-ts.json"
            proc = run_s3up(["--endpoint-url", server.url, "--ca-bundle", self.cert,
                             "--progress", "none", "--trailing-checksum", "on", "--retries", "10",
                             "--json", report, *SINGLE, self.src, f"s3://{server.bucket}/ts/"],
                            server.env(), check_secret="trailer-secret")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(report) as f:
                doc = json.load(f)
            os.unlink(report)
            self.assertGreater(server.stats()["faults_injected"], 0)
            self.assertGreater(doc["totals"]["retries"], 0)
            # BadDigest shows the store read the trailer: trailers stay on.
            self.assertNotIn("aws-chunked trailers", proc.stderr)
            self.assertEqual(doc["integrity_counts"]["crc32c-verified"], len(self.files))
            assert_stored(self, server.client(), server.bucket, "ts", self.files)


if __name__ == "__main__":
    unittest.main()
