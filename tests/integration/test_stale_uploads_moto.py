"""Multipart uploads earlier runs left open, against moto with SigV4 checking (and, as
integration.testserver.stale_uploads_moto, against s3-testserver): --abort-stale-uploads (no
journal) aborts the ones of the keys it uploads as multipart and leaves everything else; with
--journal, an open upload the journal cannot continue (the file changed) and one whose ID never
reached the journal (a kill between CreateMultipartUpload's reply and the record) are aborted
too. Counted in the report (stale_uploads_aborted) and told in notes."""
import json
import os
import time
import unittest

from s3fixtures import Moto, MotoCase, run_s3up, BUCKET

MiB = 1024 * 1024


class StaleUploads(MotoCase):
    src_prefix = "s3up-stale-"

    @classmethod
    def setUpClass(cls):
        # Without SigV4 checking: moto 5 answers a ListMultipartUploads with a prefix, boto3's as
        # well as s3up's, with SignatureDoesNotMatch when it checks signatures (s3-testserver, as
        # integration.testserver.stale_uploads_moto, checks them). moto also gives every upload
        # the same fixed Initiated (2010-11-10), which only ever makes it stale.
        cls.moto = Moto(check_signatures=os.environ.get("S3UP_BACKEND") == "testserver")

    def write(self, rel, size):
        path = os.path.join(self.src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(size))

    def open_uploads(self, prefix):
        uploads = self.moto.client().list_multipart_uploads(Bucket=BUCKET, Prefix=prefix)
        return sorted((u["Key"], u["UploadId"]) for u in uploads.get("Uploads", []))

    def create_upload(self, key):
        return self.moto.client().create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]

    def s3up(self, *args):
        proc = run_s3up(["--endpoint-url", self.moto.url, "--multipart-threshold", "8MiB",
                         "--part-size", "5MiB", "--json", "-", *args], self.moto.env(),
                        check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc, json.loads(proc.stdout)

    def test_abort_stale_uploads_without_a_journal(self):
        p = "nojournal/"
        self.write("big.bin", 9 * MiB)
        self.write("small.txt", 100)
        stale = [self.create_upload(p + "big.bin"), self.create_upload(p + "big.bin")]
        longer = self.create_upload(p + "big.bin.part")   # another key under the same prefix
        small = self.create_upload(p + "small.txt")       # a key uploaded in one PUT
        elsewhere = self.create_upload("other/big.bin")   # not this run's key
        time.sleep(1.1)  # Initiated has a resolution of a second (moto's: milliseconds)
        # Without the option nothing is looked for.
        proc, report = self.s3up(self.src, f"s3://{BUCKET}/{p}")
        self.assertEqual(report["totals"]["stale_uploads_aborted"], 0)
        self.assertEqual(len(self.open_uploads(p + "big.bin")), 3)
        proc, report = self.s3up("--abort-stale-uploads", self.src, f"s3://{BUCKET}/{p}")
        self.assertEqual(report["totals"]["stale_uploads_aborted"], 2)
        notes = "\n".join(report.get("notes", []))
        for upload_id in stale:
            self.assertIn(f"aborted multipart upload {upload_id} of {p}big.bin", notes)
        self.assertEqual(self.open_uploads(p), sorted([(p + "big.bin.part", longer),
                                                       (p + "small.txt", small)]))
        self.assertEqual(self.open_uploads("other/"), [("other/big.bin", elsewhere)])

    def test_with_a_journal_uploads_it_cannot_continue_are_aborted(self):
        p = "journal/"
        journal = self.src + ".journal"
        self.write("a/changed.bin", 9 * MiB)
        self.write("b/orphan.bin", 9 * MiB)
        try:
            # A first run's journal with an open upload of a/changed.bin, as a kill leaves it.
            proc, report = self.s3up("--journal", journal, "--exclude", "b/*", self.src,
                                     f"s3://{BUCKET}/{p}")
            with open(journal) as f:
                header = f.readline()
            journaled = self.create_upload(p + "a/changed.bin")
            with open(journal, "w") as f:
                f.write(header)
                f.write(json.dumps({"op": "start", "key": p + "a/changed.bin",
                                    "upload_id": journaled, "size": 9 * MiB,
                                    "mtime_ns": 1, "part_size": 5 * MiB}) + "\n")
            # And an upload whose ID never reached the journal.
            orphan = self.create_upload(p + "b/orphan.bin")
            time.sleep(1.1)
            proc, report = self.s3up("--journal", journal, self.src, f"s3://{BUCKET}/{p}")
            self.assertEqual(report["totals"]["stale_uploads_aborted"], 2)
            notes = "\n".join(report.get("notes", []))
            self.assertIn(f"aborted multipart upload {journaled} of {p}a/changed.bin", notes)
            self.assertIn(f"aborted multipart upload {orphan} of {p}b/orphan.bin", notes)
            self.assertEqual(self.open_uploads(p), [])
            self.assertEqual(report["totals"]["multipart_uploads"], 2)
        finally:
            if os.path.exists(journal):
                os.unlink(journal)


if __name__ == "__main__":
    unittest.main()
