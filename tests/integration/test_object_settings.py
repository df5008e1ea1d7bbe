"""How objects are stored, against moto with SigV4 checking on, read back with HeadObject,
GetObject and GetObjectAcl: guessed and forced Content-Type, Cache-Control, Content-Encoding,
user metadata, storage class, SSE and canned ACLs, for single and multipart uploads; bad values
are refused (exit 2, one line) before anything is sent."""
import os
import unittest

from s3fixtures import MotoCase, run_s3up, BUCKET
from feature_helpers import MiB, TESTSERVER, RequestLog, mtime_meta, write_files

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"

TYPED = {
    "index.html": "text/html", "data.json": "application/json", "notes.txt": "text/plain",
    "style.css": "text/css", "sub/page.HTML": "text/html",
    "blob.qqzx": "binary/octet-stream",  # unknown extension: no header, S3's default
    "Makefile": "binary/octet-stream",   # no extension
}


class ObjectSettings(MotoCase):
    src_prefix = "s3up-obj-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.log = RequestLog(cls.moto)

    def s3up(self, *args, dest):
        return run_s3up(["--endpoint-url", self.moto.url, *args, self.src, dest],
                        self.moto.env(), check_secret=self.moto.secret_key)

    def head(self, key):
        return self.moto.client().head_object(Bucket=BUCKET, Key=key)

    def content_types(self, prefix):
        return {k[len(prefix):]: self.head(k)["ContentType"] for k in self.moto.keys(prefix)}

    def test_content_type_guessed_from_the_extension(self):
        write_files(self.src, {rel: b"<x/>" for rel in TYPED})
        proc = self.s3up(dest=f"s3://{BUCKET}/guess")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.content_types("guess/"), TYPED)

    def test_no_guess_and_forced_content_type(self):
        write_files(self.src, {rel: b"<x/>" for rel in TYPED})
        proc = self.s3up("--no-guess-mime-type", dest=f"s3://{BUCKET}/noguess")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.content_types("noguess/"),
                         {rel: "binary/octet-stream" for rel in TYPED})
        forced = "text/x-forced; charset=utf-8"
        proc = self.s3up("--content-type", forced, dest=f"s3://{BUCKET}/forced")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.content_types("forced/"), {rel: forced for rel in TYPED})

    def test_headers_metadata_storage_class_and_sse_single_and_multipart(self):
        files = write_files(self.src, {"small.txt": b"small object", "big.bin": os.urandom(6 * MiB + 7)})
        proc = self.s3up("--multipart-threshold", "5MiB", "--part-size", "5MiB",
                         "--cache-control", "max-age=3600, public", "--content-encoding", "gzip",
                         "--metadata", "a=1", "--metadata", "b=two", "--storage-class",
                         "STANDARD_IA", "--sse", "AES256", "--json", "-", dest=f"s3://{BUCKET}/hdr")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('"multipart_uploads":1', proc.stdout)
        c = self.moto.client()
        for rel, data in files.items():
            key = "hdr/" + rel
            h = self.head(key)
            self.assertEqual(h["CacheControl"], "max-age=3600, public", rel)
            self.assertEqual(h["ContentEncoding"], "gzip", rel)
            self.assertEqual(h["Metadata"], {"a": "1", "b": "two",
                                             "mtime": mtime_meta(os.path.join(self.src, rel))}, rel)
            self.assertEqual(h.get("StorageClass"), "STANDARD_IA", rel)
            if not TESTSERVER:  # s3-testserver accepts the header but does not keep it
                self.assertEqual(h.get("ServerSideEncryption"), "AES256", rel)
            self.assertEqual(c.get_object(Bucket=BUCKET, Key=key)["Body"].read(), data, rel)
        self.assertEqual(self.head("hdr/small.txt")["ContentType"], "text/plain")

    def test_canned_acl(self):
        write_files(self.src, {"public.txt": b"for everyone", "d/more.txt": b"more"})
        proc = self.s3up("--acl", "public-read", dest=f"s3://{BUCKET}/acl")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.s3up(dest=f"s3://{BUCKET}/noacl")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        if TESTSERVER:
            self.skipTest("s3-testserver does not implement GetObjectAcl (the upload with "
                          "--acl was accepted)")
        c = self.moto.client()

        def all_users(key):
            return sorted(g["Permission"] for g in c.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
                          if g["Grantee"].get("URI") == ALL_USERS)
        for rel in ["public.txt", "d/more.txt"]:
            self.assertEqual(all_users("acl/" + rel), ["READ"], rel)
            self.assertEqual(all_users("noacl/" + rel), [], rel)

    def test_bad_values_exit_2_before_anything_is_sent(self):
        write_files(self.src, {"f.txt": b"f"})
        cases = [
            (["--storage-class", "NOPE"], "--storage-class"),
            (["--acl", "nope"], "--acl"),
            (["--sse-kms-key-id", "my-key"], "--sse-kms-key-id"),
            (["--sse", "AES256", "--sse-kms-key-id", "my-key"], "--sse-kms-key-id"),
            (["--sse", "rot13"], "--sse"),
            (["--metadata", "novalue"], "--metadata"),
            (["--metadata", "=value"], "--metadata"),
            (["--metadata", "bad name=x"], "--metadata"),
            (["--limit-rate", "fast"], "--limit-rate"),
            (["--progress", "sometimes"], "--progress"),
            (["--shard", "3/3"], "--shard"),
            (["--size-only"], "--size-only"),
        ]
        keys_before = sorted(self.moto.keys())
        for args, option in cases:
            self.log.mark()
            proc = self.s3up(*args, dest=f"s3://{BUCKET}/bad")
            self.assertEqual(proc.returncode, 2, f"{args}: {proc.stdout} {proc.stderr}")
            self.assertEqual(proc.stdout, "", args)
            lines = proc.stderr.splitlines()
            self.assertEqual(len(lines), 1, f"{args}: {proc.stderr!r}")
            self.assertTrue(lines[0].startswith("s3up: error: "), lines[0])
            self.assertIn(option, lines[0])
            self.assertEqual(self.log.since(), [], f"{args} sent requests")
        self.assertEqual(sorted(self.moto.keys()), keys_before)


if __name__ == "__main__":
    unittest.main()
