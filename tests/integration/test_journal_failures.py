"""--journal where it cannot be written: on a disk that fills up during the run (a 64 KiB tmpfs)
the run stops with one clear line naming the journal and exits 2, and everything the journal
did record is true (those objects are in the bucket) with no multipart upload left open; a
journal in a read-only place (file or folder) is refused before anything is sent. The tmpfs and
read-only mounts need root; without it, the read-only cases use file modes and the full disk is
skipped (the unit test journal/a_failed_write_... covers the failure path with a file-size
limit)."""
import json
import os
import subprocess
import tempfile
import unittest

from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer

MiB = 1024 * 1024


def mount_tmpfs(path, options):
    """Mounts a tmpfs at `path`; False when this process may not."""
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path],
                          capture_output=True).returncode == 0


def unmount(path):
    subprocess.run(["umount", path], capture_output=True)


class JournalFailures(unittest.TestCase):
    def setUp(self):
        self.src = fresh_dir("s3up-jfail-")
        self.place = tempfile.mkdtemp(prefix="s3up-jfail-mnt-")
        self.mounted = False

    def tearDown(self):
        if self.mounted:
            unmount(self.place)
        os.chmod(self.place, 0o755)
        rmtree(self.place)
        rmtree(self.src)

    def args(self, server, journal, report):
        return ["--endpoint-url", server.url, "--progress", "none", "--journal", journal,
                "--json", report, "--multipart-threshold", "8MiB", "--part-size", "5MiB",
                "--concurrency", "8", self.src, f"s3://{server.bucket}/j/"]

    def journal_done(self, journal):
        done = set()
        with open(journal, encoding="utf-8", errors="surrogateescape") as f:
            for line in f.read().split("\n")[1:]:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # the torn last line the full disk left
                if r.get("op") == "done":
                    done.add(r["key"])
        return done

    def test_a_journal_on_a_disk_that_fills_stops_the_run(self):
        if not mount_tmpfs(self.place, "size=64k"):
            self.skipTest("needs root to mount a small tmpfs")
        self.mounted = True
        # About 100 bytes of journal per file: 1500 files fill 64 KiB part way through.
        for i in range(1500):
            os.makedirs(os.path.join(self.src, "a", str(i // 100)), exist_ok=True)
            with open(os.path.join(self.src, "a", str(i // 100), f"file{i:04}.txt"), "wb") as f:
                f.write(b"x" * (i % 50))
        os.makedirs(os.path.join(self.src, "z"))
        with open(os.path.join(self.src, "z", "big.bin"), "wb") as f:
            f.write(os.urandom(9 * MiB))
        journal = os.path.join(self.place, "journal")
        report = self.src + ".report.json"
        with TestServer() as server:
            proc = run_s3up(self.args(server, journal, report), server.env())
            self.assertEqual(proc.returncode, 2, proc.stderr)
            errors = [l for l in proc.stderr.splitlines() if "journal" in l]
            self.assertTrue(errors, proc.stderr)
            self.assertIn(f"journal {journal}: cannot ", errors[0])
            self.assertIn("No space left on device", errors[0])
            with open(report) as f:
                summary = json.load(f)
            os.unlink(report)
            self.assertEqual(summary["exit_code"], 2)
            self.assertIn("No space left on device", summary["error"])
            # What the journal says was finished is in the bucket.
            done = self.journal_done(journal)
            self.assertGreater(len(done), 100)
            client = server.client()
            stored = set()
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=server.bucket):
                stored |= {o["Key"] for o in page.get("Contents", [])}
            self.assertLessEqual(done, stored)
            self.assertLess(len(done), 1501)
            self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []),
                             [], "a multipart upload was left open")

    def read_only(self, journal_exists):
        """A journal in a place s3up may not write: a read-only tmpfs (as root), else modes."""
        journal = os.path.join(self.place, "journal")
        if journal_exists:
            with TestServer() as server:  # a real journal, from a run that went well
                if os.geteuid() == 0 and mount_tmpfs(self.place, "size=1m"):
                    self.mounted = True
                with open(os.path.join(self.src, "one.txt"), "w") as f:
                    f.write("1")
                proc = run_s3up(self.args(server, journal, self.src + ".r.json"), server.env())
                self.assertEqual(proc.returncode, 0, proc.stderr)
        elif os.geteuid() == 0 and mount_tmpfs(self.place, "size=1m"):
            self.mounted = True
        if self.mounted:
            self.assertEqual(subprocess.run(["mount", "-o", "remount,ro", self.place]).returncode, 0)
        elif os.geteuid() == 0:
            self.skipTest("root ignores file modes and may not mount here")
        elif journal_exists:
            os.chmod(journal, 0o444)
        else:
            os.chmod(self.place, 0o555)
        with open(os.path.join(self.src, "two.txt"), "w") as f:
            f.write("2")
        with TestServer() as server:
            proc = run_s3up(self.args(server, journal, self.src + ".r.json"), server.env())
            self.assertEqual(proc.returncode, 2, proc.stderr)
            lines = [l for l in proc.stderr.splitlines() if l.strip()]
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertIn(f"journal {journal}: cannot open:", lines[0])
            self.assertTrue("Read-only file system" in lines[0] or "Permission denied" in lines[0],
                            lines[0])
            self.assertEqual(server.stats()["by_operation"]["PutObject"], 0)

    def test_a_read_only_journal_file_is_refused(self):
        self.read_only(journal_exists=True)

    def test_a_journal_in_a_read_only_folder_is_refused(self):
        self.read_only(journal_exists=False)


if __name__ == "__main__":
    unittest.main()
