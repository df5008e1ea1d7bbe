"""--journal: a run killed with SIGKILL part way through a tree with a multipart file resumes
from its journal: finished files are not sent again, the open multipart upload continues from
the parts S3 still holds (ListParts), and every object ends up complete and correct. The test
server counts what each run sent."""
import json
import os
import signal
import subprocess
import time
import unittest

from crc_helpers import s3_checksum
from feature_helpers import assert_stored
from s3fixtures import engine_args, fresh_dir, rmtree, run_s3up, S3UP
from testserver import TestServer

MiB = 1024 * 1024


class Resume(unittest.TestCase):
    def setUp(self):
        self.src = fresh_dir("s3up-resume-")
        self.journal = self.src + ".journal"
        self.files = {}
        for i in range(120):
            self.files[f"small/s{i:03}.bin"] = os.urandom(20_000 + i)
        self.files["big/movie.bin"] = os.urandom(60 * MiB + 4321)
        for rel, data in self.files.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, rel)), exist_ok=True)
            with open(os.path.join(self.src, rel), "wb") as f:
                f.write(data)

    def tearDown(self):
        rmtree(self.src)
        if os.path.exists(self.journal):
            os.unlink(self.journal)

    def args(self, server):
        return ["--endpoint-url", server.url, "--progress", "none", "--journal", self.journal,
                "--multipart-threshold", "8MiB", "--part-size", "5MiB", "--concurrency", "4",
                self.src, f"s3://{server.bucket}/r/"]

    def env(self, server):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret,
                   AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        return env

    def journal_records(self):
        with open(self.journal) as f:
            lines = [json.loads(l) for l in f if l.strip().endswith("}")]
        done = {r["key"] for r in lines if r.get("op") == "done"}
        parts = {r["number"] for r in lines if r.get("op") == "part"}
        started = [r for r in lines if r.get("op") == "start"]
        return done, parts, started

    def test_sigkill_then_resume_sends_only_what_was_missing(self):
        with TestServer(access_key="AKIDRESUME", secret="resume-secret-never-shown") as server:
            # First run, slowed down so that it can be killed in the middle of the big file.
            first = subprocess.Popen([S3UP, *engine_args(), "--limit-rate", "12MiB", *self.args(server)],
                                     env=self.env(server), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while time.time() < deadline:
                time.sleep(0.2)
                if os.path.exists(self.journal):
                    done, parts, started = self.journal_records()
                    if started and len(parts) >= 3:
                        break
            first.send_signal(signal.SIGKILL)
            first.wait()
            done, parts, started = self.journal_records()
            self.assertTrue(started, "the multipart upload never started before the kill")
            self.assertLess(len(parts), 13, "the big file finished before the kill")
            small_done = {k for k in done if k.startswith("r/small/")}
            print(f"killed after {len(small_done)} small files and {len(parts)} parts", flush=True)
            self.assertNotIn("r/big/movie.bin", done)
            self.assertEqual(len(server.client().list_multipart_uploads(
                Bucket=server.bucket).get("Uploads", [])), 1)

            server.reset_stats()
            proc = run_s3up(self.args(server), self.env(server), check_secret=server.secret)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            ops = server.stats()["by_operation"]
            # Only what the journal did not record as finished went again.
            self.assertEqual(ops["PutObject"], 120 - len(small_done))
            self.assertEqual(ops["CreateMultipartUpload"], 0)  # the open upload was continued
            self.assertEqual(ops["ListParts"], 1)
            self.assertEqual(ops["UploadPart"], 13 - len(parts))
            self.assertEqual(ops["CompleteMultipartUpload"], 1)

            client = server.client()
            assert_stored(self, client, server.bucket, "r", self.files)
            self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []), [])
            # The full-object CRC32C the Complete named was combined from the parts of both
            # runs (the first run's from the journal): it is the file's own.
            head = client.head_object(Bucket=server.bucket, Key="r/big/movie.bin",
                                      ChecksumMode="ENABLED")
            self.assertEqual((head["ChecksumCRC32C"], head["ChecksumType"]),
                             (s3_checksum("crc32c", self.files["big/movie.bin"]), "FULL_OBJECT"))

            # A third run has nothing left to do.
            server.reset_stats()
            proc = run_s3up(self.args(server), self.env(server), check_secret=server.secret)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("Nothing to upload", proc.stdout)
            ops = server.stats()["by_operation"]
            self.assertEqual(ops["PutObject"] + ops["UploadPart"], 0)


if __name__ == "__main__":
    unittest.main()
