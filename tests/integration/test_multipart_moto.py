"""Multipart uploads against moto with SigV4 checking on: sizes at the threshold's edges and a
~100 MiB file in 5 MiB parts, mixed with small files in one run; every object read back."""
import hashlib
import os
import signal
import subprocess
import time
import unittest

from s3fixtures import MotoCase, engine_args, run_s3up, S3UP, BUCKET

MiB = 1024 * 1024
THRESHOLD = 8 * MiB
PART = 5 * MiB


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MiB)
            f.write(os.urandom(n))
            left -= n


def expected_parts(size):
    return max(1, -(-size // PART))


class Multipart(MotoCase):
    src_prefix = "s3up-mpu-"

    def test_edges_and_a_large_file_mixed_with_small_ones(self):
        sizes = {"zero.bin": 0, "one.bin": 1, "threshold.bin": THRESHOLD,
                 "threshold-plus-1.bin": THRESHOLD + 1, "big/large.bin": 100 * MiB + 12345}
        for i in range(20):
            sizes[f"small/s{i:02}.txt"] = 1000 + i
        for rel, size in sizes.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, rel)), exist_ok=True)
            write_random(os.path.join(self.src, rel), size)
        for checksum in ["crc32c", "sha256"]:
            prefix = f"mpu-{checksum}/"
            proc = run_s3up(["--endpoint-url", self.moto.url, "--multipart-threshold", "8MiB",
                             "--part-size", "5MiB", "--checksum", checksum, "--concurrency", "16",
                             "--json", "-", self.src, f"s3://{BUCKET}/{prefix}"],
                            self.moto.env(), check_secret=self.moto.secret_key)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn('"multipart_uploads":2', proc.stdout)
            client = self.moto.client()
            keys = self.moto.keys(prefix)
            self.assertEqual(sorted(keys), sorted(prefix + r for r in sizes))
            for rel, size in sizes.items():
                obj = client.get_object(Bucket=BUCKET, Key=prefix + rel)
                body = obj["Body"].read()
                with open(os.path.join(self.src, rel), "rb") as f:
                    self.assertEqual(hashlib.sha256(body).digest(),
                                     hashlib.sha256(f.read()).digest(), rel)
                etag = obj["ETag"].strip('"')
                if size > THRESHOLD:
                    self.assertTrue(etag.endswith(f"-{expected_parts(size)}"), (rel, etag))
                else:
                    self.assertNotIn("-", etag, rel)
            self.assertEqual(self.moto.open_multipart_uploads(), [])

    def test_sigint_during_a_large_file_aborts_and_exits_130(self):
        write_random(os.path.join(self.src, "huge.bin"), 300 * MiB)
        write_random(os.path.join(self.src, "a-small.txt"), 10)
        proc = subprocess.Popen(
            [S3UP, *engine_args(), "--endpoint-url", self.moto.url, "--multipart-threshold", "8MiB",
             "--part-size", "5MiB", "--concurrency", "2", self.src, f"s3://{BUCKET}/interrupted/"],
            env=self.moto.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait until the multipart upload exists, then interrupt in the middle of its parts.
        deadline = time.time() + 60
        while time.time() < deadline and not self.moto.open_multipart_uploads():
            time.sleep(0.05)
        self.assertTrue(self.moto.open_multipart_uploads(), "the multipart upload never started")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("interrupted", err)
        self.assertIn("huge.bin", err)  # listed as not uploaded
        self.assertIn("aborted", err)
        self.assertIn("Uploaded", out)
        self.assertEqual(self.moto.open_multipart_uploads(), [])
        self.assertNotIn("interrupted/huge.bin", self.moto.keys("interrupted/"))
        self.assertNotIn(self.moto.secret_key, out + err)


    def test_file_changing_during_its_parts_fails_and_is_aborted(self):
        path = os.path.join(self.src, "growing.bin")
        write_random(path, 30 * MiB)
        proc = subprocess.Popen(
            [S3UP, *engine_args(), "--endpoint-url", self.moto.url, "--multipart-threshold", "8MiB",
             "--part-size", "5MiB", "--concurrency", "1", "--limit-rate", "8MiB",
             "--progress", "none", self.src, f"s3://{BUCKET}/changing/"],
            env=self.moto.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and not self.moto.open_multipart_uploads():
            time.sleep(0.05)
        with open(path, "ab") as f:
            f.write(b"appended while uploading")
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 1, err)
        self.assertRegex(err, r"failed: .*growing.bin -> .*: file changed .*; multipart upload aborted")
        self.assertEqual(self.moto.open_multipart_uploads(), [])
        self.assertEqual(self.moto.keys("changing/"), [])

if __name__ == "__main__":
    unittest.main()
