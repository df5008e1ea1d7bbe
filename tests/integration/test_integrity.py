"""Integrity negotiated per store, against s3-testserver's --checksum-support modes (as AWS, as
Ceph RGW 16, as Backblaze B2, as Cloudflare R2): every file still gets a check the store
performs (or its ETag compared with the MD5 of the bytes sent), the report says which, a note
says it once, and every byte reads back. Also: --sync --sync-checksum on a store that keeps no
checksum, corruption on a store that verifies no flexible checksum, and a fatal run's totals."""
import http.client
import json
import os
import shutil
import tempfile
import unittest

from feature_helpers import assert_stored
from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer, make_self_signed_cert

MiB = 1024 * 1024
SECRET = "integrity-secret-never-shown"



def make_tree(root, small=300):
    files = {}
    for i in range(small):
        files[f"d{i % 10}/f{i:04}.bin"] = os.urandom(1 + i * 37 % 5000)
    files["empty.bin"] = b""
    files["large/two-parts.bin"] = os.urandom(5 * MiB + 4321)
    files["large/three-parts.bin"] = os.urandom(10 * MiB + 1)
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    return files


class Integrity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-integrity-")
        cls.files = make_tree(cls.src)
        cls.tls_dir = tempfile.mkdtemp(prefix="s3up-integrity-tls-")
        cls.cert, cls.key = make_self_signed_cert(cls.tls_dir)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)
        shutil.rmtree(cls.tls_dir, ignore_errors=True)

    def server(self, mode, tls=True, **kw):
        args = ["--checksum-support", mode] + list(kw.pop("extra_args", []))
        if tls:
            kw.update(tls_cert=self.cert, tls_key=self.key)
        return TestServer(access_key="AKIDINTEGRITY", secret=SECRET, extra_args=args,
                          min_part_size=5 * MiB, **kw)

    def upload(self, server, prefix, *extra, expect=0):
        report = self.src + f"-{prefix}.json"
        args = ["--endpoint-url", server.url, "--progress", "none",
                "--multipart-threshold", "5MiB", "--part-size", "5MiB", "--retries", "8",
                "--json", report, *extra, self.src, f"s3://{server.bucket}/{prefix}/"]
        if server.url.startswith("https"):
            args = ["--ca-bundle", self.cert] + args
        proc = run_s3up(args, server.env(), timeout=600, check_secret=SECRET)
        with open(report) as f:
            doc = json.load(f)
        os.unlink(report)
        print(f"\n[{prefix}] {proc.stdout.strip()}\n{proc.stderr.strip()[-600:]}", flush=True)
        self.assertEqual(proc.returncode, expect, proc.stderr[-3000:])
        return proc, doc

    def assert_all_arrived(self, server, prefix):
        # (boto3 asks GetObject for the stored checksum by default, which a B2-like store
        # refuses: as B2 users do, it asks only when required.)
        client = server.client(response_checksum_validation="when_required")
        keys = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=server.bucket,
                                                                      Prefix=prefix + "/"):
            keys |= {o["Key"] for o in page.get("Contents", [])}
        self.assertEqual(keys, {f"{prefix}/{rel}" for rel in self.files})
        assert_stored(self, client, server.bucket, prefix, self.files)
        self.assertEqual(client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []), [])

    def counts(self, doc):
        return {k: v for k, v in doc["integrity_counts"].items() if v}

    def test_a_store_that_verifies_and_echoes_costs_nothing_more(self):
        with self.server("full") as server:
            proc, doc = self.upload(server, "full")
            self.assertEqual(doc["integrity"], "crc32c-verified")
            self.assertEqual(self.counts(doc), {"crc32c-verified": len(self.files)})
            self.assertNotIn("note:", proc.stderr)
            self.assertNotIn("notes", doc)
            self.assertNotIn("integrity", proc.stdout)  # the summary says nothing when full
            by_op = server.stats()["by_operation"]
            # One request per body (the two large files in 2 + 3 parts): nothing sent twice.
            self.assertEqual(by_op.get("PutObject", 0) + by_op.get("UploadPart", 0),
                             len(self.files) - 2 + 5)
            self.assert_all_arrived(server, "full")

    def test_a_store_that_ignores_the_checksum_gets_content_md5(self):
        # Ceph RGW 16: x-amz-checksum-crc32c accepted with any value, nothing echoed.
        with self.server("ignored") as server:
            proc, doc = self.upload(server, "rgw")
            # Said once for PutObject and once for UploadPart (learned apart).
            notes = [l for l in proc.stderr.splitlines() if "note:" in l]
            self.assertEqual(len(notes), 2, proc.stderr)
            for op in ("PutObject", "UploadPart"):
                self.assertEqual(proc.stderr.count(f"does not verify CRC32C on {op}"), 1)
            self.assertIn("verifying with Content-MD5", notes[0])
            counts = self.counts(doc)
            # The first bodies (sent before the first reply) are checked by their ETag, the rest
            # by the store with Content-MD5: every file got a check.
            self.assertEqual(sum(counts.values()), len(self.files))
            self.assertEqual(set(counts) - {"etag-md5-compared", "md5-verified"}, set(), counts)
            self.assertGreater(counts.get("md5-verified", 0), len(self.files) // 2)
            self.assertIn(doc["integrity"], ("etag-md5-compared", "md5-verified"))
            self.assertIn("integrity:", proc.stdout)  # less than full: the summary says so
            self.assertEqual(doc["totals"]["retries"], 0)
            self.assert_all_arrived(server, "rgw")

    def test_a_store_that_refuses_the_algorithm_headers(self):
        # Backblaze B2: 400 InvalidArgument "Unsupported header '...' received for this API call"
        # for x-amz-sdk-checksum-algorithm and every x-amz-checksum-* header.
        with self.server("unsupported-header") as server:
            proc, doc = self.upload(server, "b2")
            notes = [l for l in proc.stderr.splitlines() if "note:" in l]
            self.assertEqual(len(notes), 1, proc.stderr)
            self.assertIn("refuses the CRC32C checksum headers", notes[0])
            self.assertIn("Unsupported header", notes[0])
            self.assertEqual(doc["totals"]["failed"], 0)
            self.assertEqual(doc["totals"]["retries"], 0)  # sent again at once, not retried
            self.assertEqual(self.counts(doc), {"md5-verified": len(self.files)})
            self.assert_all_arrived(server, "b2")

    def test_a_store_that_implements_no_flexible_checksum(self):
        # Cloudflare R2 for an algorithm it lacks: 501 NotImplemented for the headers.
        with self.server("not-implemented") as server:
            proc, doc = self.upload(server, "r2", "--checksum", "sha256")
            self.assertIn("refuses the SHA256 checksum headers", proc.stderr)
            self.assertEqual(doc["totals"]["retries"], 0)
            self.assertEqual(self.counts(doc), {"md5-verified": len(self.files)})
            self.assert_all_arrived(server, "r2")

    def test_corruption_on_a_store_that_verifies_no_flexible_checksum(self):
        # Over HTTPS nothing is signed: a flipped bit reaches a store that checks no CRC32C.
        # The first bodies are caught by their ETag, later ones by Content-MD5 (BadDigest).
        with self.server("ignored", faults="corrupt", fault_rate=0.1, seed=5) as server:
            proc, doc = self.upload(server, "rgw-corrupt")
            self.assertEqual(doc["totals"]["failed"], 0)
            self.assertGreater(doc["totals"]["retries"], 10)
            self.assertGreater(server.stats()["faults_injected"], 10)
            self.assert_all_arrived(server, "rgw-corrupt")

    def test_sync_checksum_on_a_store_that_keeps_no_checksum(self):
        with self.server("ignored") as server:
            self.upload(server, "sync")
            proc, doc = self.upload(server, "sync", "--sync", "--sync-checksum")
            # Nothing sent again: compared by ETag (MD5, or MD5 of the part MD5s), said once.
            self.assertEqual(doc["totals"]["files"], 0)
            self.assertEqual(doc["totals"]["unchanged"], len(self.files))
            self.assertEqual(doc["sync_checksum_fallbacks"]["etag-md5"], len(self.files))
            notes = [l for l in proc.stderr.splitlines() if "note:" in l]
            self.assertEqual(len(notes), 1, proc.stderr)
            self.assertIn("keeps no CRC32C checksum", notes[0])
            # A file changed (same size) is found by its content and sent again.
            rel = "d3/f0003.bin"
            path = os.path.join(self.src, rel)
            stat = os.stat(path)
            changed = bytes(b ^ 0xFF for b in self.files[rel])
            with open(path, "wb") as f:
                f.write(changed)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime
            try:
                proc, doc = self.upload(server, "sync", "--sync", "--sync-checksum")
                self.assertEqual(doc["totals"]["files"], 1)
                body = server.client(response_checksum_validation="when_required").get_object(Bucket=server.bucket, Key=f"sync/{rel}")["Body"].read()
                self.assertEqual(body, changed)
            finally:
                with open(path, "wb") as f:
                    f.write(self.files[rel])

    def test_sync_checksum_on_a_store_that_refuses_checksum_mode(self):
        # Backblaze B2 also refuses x-amz-checksum-mode on HeadObject (400): the objects are
        # compared by their ETag instead, and nothing is sent again.
        with self.server("unsupported-header") as server:
            self.upload(server, "b2sync")
            proc, doc = self.upload(server, "b2sync", "--sync", "--sync-checksum")
            self.assertEqual(doc["totals"]["files"], 0)
            self.assertEqual(doc["totals"]["unchanged"], len(self.files))
            self.assertEqual(doc["totals"]["retries"], 0)
            self.assertIn("refuses x-amz-checksum-mode", proc.stderr)
            self.assertEqual(proc.stderr.count("refuses x-amz-checksum-mode"), 1)
            self.assertEqual(doc["sync_checksum_fallbacks"]["etag-md5"], len(self.files))

    def test_sync_checksum_strict_uploads_what_cannot_be_compared(self):
        # Objects whose ETag is no MD5 of ours (another part size) and no stored checksum.
        with self.server("ignored") as server:
            self.upload(server, "strict", "--part-size", "6MiB")
            proc, doc = self.upload(server, "strict", "--sync", "--sync-checksum")
            self.assertEqual(doc["totals"]["files"], 0)  # by size and mtime
            # The two multipart files: their ETags have another part count than 5 MiB parts give.
            self.assertEqual(doc["sync_checksum_fallbacks"]["size-mtime"], 2)
            self.assertIn("size and modification time", proc.stderr)
            proc, doc = self.upload(server, "strict", "--sync", "--sync-checksum",
                                    "--sync-checksum-strict")
            self.assertEqual(doc["totals"]["files"], 2)
            self.assertEqual(doc["sync_checksum_fallbacks"]["uploaded"], 2)
            self.assertIn("--sync-checksum-strict uploads them again", proc.stderr)

    def test_checksum_none_is_said_in_the_summary(self):
        with self.server("full", tls=False) as server:
            proc, doc = self.upload(server, "none", "--checksum", "none")
            self.assertEqual(doc["integrity"], "none")
            self.assertIn("integrity: not checked (--checksum none)", proc.stdout)
            self.assert_all_arrived(server, "none")

    def test_a_fatal_error_counts_what_was_never_attempted(self):
        with self.server("full", tls=False) as server:
            env = server.env()
            env["AWS_SECRET_ACCESS_KEY"] = "wrong-" + SECRET
            report = self.src + "-fatal.json"
            proc = run_s3up(["--endpoint-url", server.url, "--progress", "none", "--json", report,
                             self.src, f"s3://{server.bucket}/fatal/"], env, check_secret=SECRET)
            with open(report) as f:
                doc = json.load(f)
            os.unlink(report)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            t = doc["totals"]
            self.assertTrue(doc["walk_complete"])
            # Every file of the tree is accounted for: failed (under way) or not attempted.
            self.assertEqual(t["files"] + t["failed"] + t["not_attempted"], len(self.files))
            self.assertGreater(t["not_attempted"], 0)
            self.assertIn("not attempted", proc.stdout)


class ServerModes(unittest.TestCase):
    """The testserver's store-like modes themselves, with raw requests (no signature checks)."""

    def put(self, server, headers, body=b"hello"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("PUT", f"/{server.bucket}/k", body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data.decode()

    def test_modes(self):
        wrong = {"x-amz-checksum-crc32c": "AAAAAA==", "x-amz-sdk-checksum-algorithm": "CRC32C"}
        with TestServer(access_key="", extra_args=["--checksum-support", "full"]) as s:
            status, _, body = self.put(s, wrong)
            self.assertEqual(status, 400)
            self.assertIn("BadDigest", body)
        with TestServer(access_key="", extra_args=["--checksum-support", "ignored"]) as s:
            status, headers, _ = self.put(s, wrong)
            self.assertEqual(status, 200)  # accepted with a wrong value
            self.assertNotIn("x-amz-checksum-crc32c", headers)  # and nothing echoed
            self.assertEqual(headers["etag"], '"5d41402abc4b2a76b9719d911017c592"')
            status, _, body = self.put(s, {"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="})
            self.assertEqual(status, 400)  # Content-MD5 is still verified
            self.assertIn("BadDigest", body)
        with TestServer(access_key="", extra_args=["--checksum-support", "unsupported-header"]) as s:
            status, _, body = self.put(s, {"x-amz-sdk-checksum-algorithm": "CRC32C"})
            self.assertEqual(status, 400)
            self.assertIn("<Code>InvalidArgument</Code>", body)
            self.assertIn("Unsupported header 'x-amz-sdk-checksum-algorithm'", body)
            status, _, body = self.put(s, {"x-amz-checksum-crc32c": "mnG7TA=="})
            self.assertEqual(status, 400)
            self.assertIn("Unsupported header 'x-amz-checksum-crc32c'", body)
            status, headers, _ = self.put(s, {})
            self.assertEqual(status, 200)
        with TestServer(access_key="", extra_args=["--checksum-support", "not-implemented"]) as s:
            status, _, body = self.put(s, {"x-amz-checksum-crc32c": "mnG7TA=="})
            self.assertEqual(status, 501)
            self.assertIn("<Code>NotImplemented</Code>", body)
            status, _, _ = self.put(s, {})
            self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
