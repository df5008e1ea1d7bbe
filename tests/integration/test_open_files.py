"""Requests in flight within the descriptors the process may open: s3up raises its soft limit on
open files (RLIMIT_NOFILE) to the hard one, as many systems start processes at 1,024; where the
hard limit leaves no room for the requests asked for (a connection each, and a streamed body's
file), it sends fewer at once, says so once, and every file arrives. Against s3-testserver, which
stores what it is sent; the objects read back with boto3."""
import os
import resource
import subprocess
import unittest

from feature_helpers import assert_stored, write_files
from s3fixtures import S3UP, engine_args, fresh_dir, rmtree, save_sanitizer_stderr
from testserver import TestServer

MiB = 1024 * 1024
SECRET = "open-files-secret-never-shown"


class OpenFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-open-files-")
        files = {f"small/{i:04d}.txt": f"file {i}\n".encode() * (i % 7 + 1) for i in range(400)}
        files["big/a.bin"] = os.urandom(20 * MiB + 3)  # streamed parts: a file each in flight
        files["big/b.bin"] = os.urandom(12 * MiB)
        cls.files = write_files(cls.src, files)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)

    def upload(self, server, prefix, soft, hard, *extra):
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        proc = subprocess.run(
            [S3UP] + engine_args() + ["--endpoint-url", server.url, "--progress", "none",
                                      "--part-size", "5MiB", *extra, self.src,
                                      f"s3://{server.bucket}/{prefix}/"],
            env=server.env(), capture_output=True, text=True, timeout=300,
            stdin=subprocess.DEVNULL, preexec_fn=limit)
        save_sanitizer_stderr(proc.stderr)
        self.assertNotIn(SECRET, proc.stdout + proc.stderr)
        return proc

    def assert_arrived(self, server, prefix):
        assert_stored(self, server.client(), server.bucket, prefix, self.files)

    def check(self, prefix, soft, hard, extra, note):
        """Every file arrives under the limits (soft, hard); stderr says `note` about them, or
        nothing when it is None."""
        with TestServer(access_key="AKIDFILES", secret=SECRET) as server:
            proc = self.upload(server, prefix, soft, hard, *extra)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            notes = [line for line in proc.stderr.splitlines() if "ulimit" in line]
            self.assertEqual(notes, [note] if note else [], proc.stderr)
            self.assert_arrived(server, prefix)

    def test_a_hard_limit_below_the_concurrency_lowers_it_and_every_file_arrives(self):
        expected = (256 - 64) // 2
        self.check("low", 256, 256, ["--concurrency", "512"],
                   f"s3up: note: --concurrency 512 lowered to {expected}: this process may open "
                   "256 files (ulimit -n), two for each request in flight")

    def test_the_soft_limit_is_raised_to_the_hard_one(self):
        # 512 in flight need more than a soft limit of 256: raised, nothing to say.
        self.check("raised", 256, 4096, ["--concurrency", "512"], None)

    def test_auto_stays_within_the_limit_without_a_word(self):
        # (Named: under TSan the environment fixes S3UP_CONCURRENCY=64.)
        self.check("auto", 128, 128, ["--concurrency", "auto"], None)


if __name__ == "__main__":
    unittest.main()
