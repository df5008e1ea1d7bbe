"""s3up against Ceph RGW 16.2 (Debian's radosgw, a production S3 server), started once for this
file on 127.0.0.1 by rgw.RgwCluster: awkward names, multipart at the edges, every --checksum over
HTTP and HTTPS, --sync twice, a wrong secret, SIGINT during a multipart upload. Every upload is
read back with boto3 and compared byte for byte; a single PUT and a part abandoned mid-body as
stragglers and sent again. ctest runs the file once per engine.

What RGW 16 does that the tests rely on, pinned in RgwBehaviour below: it verifies SigV4,
Content-MD5 (400 BadDigest) and the signed payload SHA-256 (400 XAmzContentSHA256Mismatch);
it accepts x-amz-checksum-* headers with any value, neither storing nor echoing them; its
smallest part is 5 MiB (400 EntityTooSmall), s3up's smallest --part-size too; ETags are MD5s
(of the object, of a part, of the parts' MD5s with -N), but CompleteMultipartUpload replies
with an empty one."""
import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import requests

import rgw
from feature_helpers import MiB, write_files
from s3fixtures import (AWKWARD_NAMES, BUCKET, REGION, S3UP, engine_args, fresh_dir, make_tree,
                        rmtree, run_s3up)
from slow_relay import StragglerCases

CLUSTER = None


def setUpModule():
    global CLUSTER
    reason = rgw.available()
    if reason:
        raise unittest.SkipTest(reason)
    CLUSTER = rgw.RgwCluster()
    print(f"RGW cluster up in {CLUSTER.startup_seconds:.1f} s ("
          + ", ".join(f"{what} at {at} s" for what, at in CLUSTER.steps) + ")",
          file=sys.stderr, flush=True)


def tearDownModule():
    if CLUSTER:
        CLUSTER.stop()


def checksums_in_help():
    """The --checksum values `s3up --help` lists (so that one added later is tested here too)."""
    out = subprocess.run([S3UP, "--help"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"--checksum ALGO(.*?)\n\s*--", out, re.S)
    text = " ".join(m.group(1).split())
    listed = re.search(r":\s*(.*?)\s*\(default", text).group(1).split(";")[0]
    listed = re.sub(r"\([^)]*\)", "", listed)
    return [a for a in re.split(r",\s*|\s+or\s+|\s+", listed) if a]


class LogsOnFailure(unittest.TestCase):
    """The cluster's logs (tail) on stderr after a test that failed, for CI."""

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before and CLUSTER:
            CLUSTER.print_logs()
        return outcome


class RgwCase(LogsOnFailure):
    """A fresh source folder per test, and a key prefix of its own."""

    def setUp(self):
        self.src = fresh_dir("s3up-rgw-src-")
        self.prefix = self.id().rsplit('.', 1)[-1] + "/"

    def tearDown(self):
        rmtree(self.src)

    def s3up(self, *args, https=False, env=None, timeout=300):
        url = CLUSTER.https_url if https else CLUSTER.url
        tls = ["--ca-bundle", CLUSTER.cert] if https else []
        return run_s3up(["--endpoint-url", url, *tls, *args], env or CLUSTER.env(),
                        timeout=timeout, check_secret=CLUSTER.secret_key)

    def assert_read_back(self, prefix, files):
        """Every key under prefix holds exactly the bytes of its file, and nothing else is there."""
        got = CLUSTER.objects(prefix)
        self.assertEqual(sorted(k[len(prefix):] for k in got), sorted(files))
        for rel, data in files.items():
            body = got[prefix + rel]
            self.assertEqual(len(body), len(data), rel)
            self.assertTrue(body == data, f"{rel}: the bytes read back differ")

    def assert_no_open_upload(self):
        self.assertEqual(CLUSTER.open_multipart_uploads(), [])


# Beyond AWKWARD_NAMES (which moto's signature check cannot take): names RGW 16 stores and lists
# back too. Found by trying: RGW refused none of these, nor any of AWKWARD_NAMES.
RGW_NAMES = [
    "new\nline.txt", "tab\there.txt", "cr\r.txt", "ctl\x01x.txt", "del\x7f.txt",
    "back\\slash.txt", "trailing space ", " leading space", "%2F.txt", "..dots..",
    "<lt>gt&amp;.xml", "^caret`back|pipe.txt", "\u00a0nbsp.txt", "combining-e\u0301.txt",
    "rtl\u202e.txt", "bom\ufeff.txt", "n" * 255,
]


class AwkwardNames(RgwCase):
    def test_awkward_names_in_nested_folders_read_back(self):
        files = make_tree(self.src, names=AWKWARD_NAMES, sizes=(0, 1, 100, 4096, 70000))
        files.update(make_tree(self.src, names=RGW_NAMES, dirs=["rgw"], sizes=(1, 300)))
        # The longest key S3 allows: 1,024 bytes with the prefix.
        longest = "k/" * ((1022 - len(self.prefix)) // 2)
        longest += "x" * (1024 - len(self.prefix) - len(longest))
        files.update(write_files(self.src, {longest: b"longest key"}))
        # One byte more is refused by s3up before anything is sent; the rest goes on.
        too_long = longest + "y"
        write_files(self.src, {too_long: b"too long"})
        proc = self.s3up("--json", "-", self.src, f"s3://{BUCKET}/{self.prefix}")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual(report["totals"]["files"], len(files))
        self.assertEqual([(f["path"], f["reason"]) for f in report["failed"]],
                         [(os.path.join(self.src, too_long),
                           "key is 1025 bytes, over S3's 1024-byte limit")])
        self.assert_read_back(self.prefix, files)


class MultipartEdges(RgwCase):
    THRESHOLD = 8 * MiB
    PART = 5 * MiB  # S3's smallest part, which RGW enforces too (RgwBehaviour)

    def test_sizes_at_the_edges_read_back_and_no_upload_left_open(self):
        sizes = {
            "at-threshold.bin": self.THRESHOLD,                 # single PUT
            "threshold-plus-1.bin": self.THRESHOLD + 1,         # 5 MiB + 3 MiB+1
            "three-parts-exactly.bin": 3 * self.PART,           # 3 full parts
            "three-parts-plus-1.bin": 3 * self.PART + 1,        # a last part of one byte
            "many/parts.bin": 12 * self.PART + 12345,           # 13 parts
            "small.txt": 10,
        }
        files = write_files(self.src, {rel: os.urandom(size) for rel, size in sizes.items()})
        proc = self.s3up("--multipart-threshold", "8MiB", "--part-size", "5MiB",
                         "--concurrency", "8", "--json", "-", self.src,
                         f"s3://{BUCKET}/{self.prefix}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual(report["totals"]["files"], len(sizes))
        self.assertEqual(report["totals"]["multipart_uploads"], 4)
        self.assert_read_back(self.prefix, files)
        client = CLUSTER.client()
        for rel, size in sizes.items():
            etag = client.head_object(Bucket=BUCKET, Key=self.prefix + rel)["ETag"].strip('"')
            if size > self.THRESHOLD:
                self.assertTrue(etag.endswith(f"-{-(-size // self.PART)}"), (rel, etag))
            else:
                self.assertNotIn("-", etag, rel)
        self.assert_no_open_upload()
        CLUSTER.delete_prefix(self.prefix)


class Stragglers(StragglerCases, RgwCase):
    """A single PUT and a part read slowly by a relay in front of RGW's HTTP port (speaking HTTP
    or HTTPS to s3up): abandoned mid-body, sent again whole on a new connection, stored whole
    (slow_relay.StragglerCases)."""

    def setUp(self):
        super().setUp()
        self.store = CLUSTER
        self.store_port = CLUSTER.port
        self.key_prefix = self.prefix


class Checksums(RgwCase):
    def test_every_checksum_over_http_and_https_single_put_and_multipart(self):
        algos = checksums_in_help()
        self.assertTrue({"crc32c", "crc32", "sha256", "md5", "none"} <= set(algos), algos)
        files = write_files(self.src, {"single.txt": os.urandom(3000),
                                       "sub/multipart.bin": os.urandom(5 * MiB + 1)})
        for https in (False, True):
            for algo in algos:
                with self.subTest(checksum=algo, https=https):
                    prefix = f"{self.prefix}{'https' if https else 'http'}-{algo}/"
                    proc = self.s3up("--checksum", algo, "--multipart-threshold", "5MiB",
                                     "--part-size", "5MiB", "--json", "-", self.src,
                                     f"s3://{BUCKET}/{prefix}", https=https)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    report = json.loads(proc.stdout)
                    self.assertEqual(report["totals"]["files"], 2)
                    self.assertEqual(report["totals"]["multipart_uploads"], 1)
                    # RGW verifies no flexible checksum: every file still got a check, its ETag
                    # compared with the MD5 of the bytes sent (the first bodies) or Content-MD5.
                    counts = {k: v for k, v in report["integrity_counts"].items() if v}
                    if algo == "none":
                        self.assertEqual(counts, {"none": 2})
                    elif algo == "md5":
                        self.assertEqual(counts, {"md5-verified": 2})
                    else:
                        self.assertEqual(sum(counts.values()), 2, counts)
                        self.assertLessEqual(set(counts), {"md5-verified", "etag-md5-compared"})
                        self.assertIn(f"does not verify {algo.upper()}", proc.stderr)
                        self.assertIn("integrity:", proc.stderr)  # the summary says it
                    self.assert_read_back(prefix, files)
                    CLUSTER.delete_prefix(prefix)
        self.assert_no_open_upload()


class TrailingChecksum(RgwCase):
    def test_trailers_forced_on_a_store_that_does_not_echo_fall_back_to_headers(self):
        # --trailing-checksum on presumes the store takes aws-chunked trailers. RGW 16 echoes no
        # checksum (and may not decode the framing): the first body is sent again at once with
        # its checksum in a header, and so is every large file after it; said once.
        files = write_files(self.src, {"a.bin": os.urandom(9 * MiB), "b.bin": os.urandom(9 * MiB + 7),
                                       "c.txt": b"small"})
        proc = self.s3up("--trailing-checksum", "on", "--concurrency", "1", "--json", "-",
                         "--multipart-threshold", "1GiB",  # single PUTs, streamed
                         self.src, f"s3://{BUCKET}/{self.prefix}", https=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.count("does not take checksums in aws-chunked trailers"), 1,
                         proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual(report["totals"]["retries"], 0)
        self.assertEqual(report["totals"]["failed"], 0)
        self.assert_read_back(self.prefix, files)


class Sync(RgwCase):
    def test_second_sync_sends_nothing(self):
        files = make_tree(self.src, names=["a.txt", "b c.bin", "caf\u00e9.txt"],
                          sizes=(0, 1, 5000))
        files.update(write_files(self.src, {"big.bin": os.urandom(6 * MiB)}))
        args = ["--sync", "--multipart-threshold", "5MiB", "--part-size", "5MiB", "--json", "-",
                self.src, f"s3://{BUCKET}/{self.prefix}"]
        first = self.s3up(*args)
        self.assertEqual(first.returncode, 0, first.stderr)
        totals = json.loads(first.stdout)["totals"]
        self.assertEqual((totals["files"], totals["unchanged"]), (len(files), 0))
        self.assertEqual(totals["multipart_uploads"], 1)
        before = self.stored()
        time.sleep(1.1)  # a rewrite would show in LastModified (RGW lists it to the millisecond)
        second = self.s3up(*args)
        self.assertEqual(second.returncode, 0, second.stderr)
        totals = json.loads(second.stdout)["totals"]
        self.assertEqual((totals["files"], totals["bytes"], totals["multipart_uploads"]),
                         (0, 0, 0))
        self.assertEqual(totals["unchanged"], len(files))
        self.assertEqual(totals["unchanged_bytes"], sum(len(d) for d in files.values()))
        self.assertIn("Nothing to upload", second.stderr)
        self.assertEqual(self.stored(), before)  # not one object written again
        self.assert_read_back(self.prefix, files)

    def test_second_sync_checksum_sends_nothing(self):
        # RGW keeps no checksum: the objects are compared by their ETag with the file's MD5
        # (of the part MD5s for the multipart one), said once, and nothing is sent again.
        files = make_tree(self.src, names=["a.txt", "b c.bin"], sizes=(0, 1, 5000))
        files.update(write_files(self.src, {"big.bin": os.urandom(11 * MiB)}))
        args = ["--sync", "--sync-checksum", "--multipart-threshold", "5MiB", "--part-size",
                "5MiB", "--json", "-", self.src, f"s3://{BUCKET}/{self.prefix}"]
        first = self.s3up(*args)
        self.assertEqual(first.returncode, 0, first.stderr)
        before = self.stored()
        second = self.s3up(*args)
        self.assertEqual(second.returncode, 0, second.stderr)
        report = json.loads(second.stdout)
        self.assertEqual((report["totals"]["files"], report["totals"]["unchanged"]),
                         (0, len(files)))
        self.assertEqual(report["sync_checksum_fallbacks"]["etag-md5"], len(files))
        self.assertEqual(second.stderr.count("keeps no CRC32C checksum"), 1, second.stderr)
        self.assertEqual(self.stored(), before)
        # A change that keeps size and mtime is still found (by content) and sent.
        path = os.path.join(self.src, "big.bin")
        st = os.stat(path)
        changed = bytes(b ^ 1 for b in files["big.bin"])
        with open(path, "wb") as f:
            f.write(changed)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        third = self.s3up(*args)
        self.assertEqual(third.returncode, 0, third.stderr)
        self.assertEqual(json.loads(third.stdout)["totals"]["files"], 1)
        files["big.bin"] = changed
        self.assert_read_back(self.prefix, files)

    def stored(self):
        """{key: (LastModified, ETag)} under the test's prefix."""
        listing = CLUSTER.client().list_objects_v2(Bucket=BUCKET, Prefix=self.prefix)
        return {o["Key"]: (o["LastModified"], o["ETag"]) for o in listing["Contents"]}


class WrongSecret(RgwCase):
    def test_wrong_secret_exits_2_naming_the_signature_and_never_prints_it(self):
        make_tree(self.src, names=["a.txt", "b.txt"], nested=False)
        wrong = "wrong-secret-for-rgw-never-printed-9876543210"
        for https in (False, True):
            with self.subTest(https=https):
                url = CLUSTER.https_url if https else CLUSTER.url
                proc = run_s3up(["--endpoint-url", url, "--ca-bundle", CLUSTER.cert, self.src,
                                 f"s3://{BUCKET}/{self.prefix}"], CLUSTER.env(secret=wrong),
                                check_secret=wrong)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("SignatureDoesNotMatch", proc.stderr)
                self.assertNotIn(CLUSTER.secret_key, proc.stdout + proc.stderr)
                self.assertEqual(CLUSTER.keys(self.prefix), [])


class Interrupt(RgwCase):
    def test_sigint_during_a_multipart_upload_exits_130_and_aborts(self):
        big = os.path.join(self.src, "big.bin")
        with open(big, "wb") as f:  # 200 MiB, sparse: nothing to write, all of it to send
            f.truncate(200 * MiB)
        write_files(self.src, {"small.txt": b"0123456789"})
        proc = subprocess.Popen(
            [S3UP, *engine_args(), "--endpoint-url", CLUSTER.url, "--multipart-threshold", "8MiB",
             "--part-size", "5MiB", "--concurrency", "2", "--limit-rate", "20MiB",
             "--progress", "none", self.src, f"s3://{BUCKET}/{self.prefix}"],
            env=CLUSTER.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not CLUSTER.open_multipart_uploads():
                time.sleep(0.05)
            self.assertTrue(CLUSTER.open_multipart_uploads(), "the multipart upload never began")
            time.sleep(1.0)  # a few parts in (20 MiB/s: 4 parts a second)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("interrupted", err)
        self.assertIn("big.bin", err)  # listed as not uploaded
        self.assertIn("aborted", err)
        self.assertNotIn(CLUSTER.secret_key, out + err)
        self.assert_no_open_upload()
        self.assertNotIn(self.prefix + "big.bin", CLUSTER.keys(self.prefix))


class RgwBehaviour(LogsOnFailure):
    """What RGW 16 checks and what it does not, with requests signed by botocore: the facts
    that s3up's integrity checks depend on against this server. A failure here means the
    server behaves differently (another version), not that s3up broke."""
    body = b"rgw behaviour " * 100

    def send(self, method, key, body=b"", headers=None, query="", sent_body=None, https=False,
             sign_payload=True):
        url = (CLUSTER.https_url if https else CLUSTER.url) + f"/{BUCKET}/{key}"
        if query:
            url += "?" + query
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                             headers=dict(headers or {}))
        from botocore.config import Config
        req.context["client_config"] = Config(s3={"payload_signing_enabled": sign_payload})
        creds = botocore.credentials.Credentials(CLUSTER.access_key, CLUSTER.secret_key)
        botocore.auth.S3SigV4Auth(creds, "s3", REGION).add_auth(req)
        p = req.prepare()
        return requests.request(method, p.url, headers=dict(p.headers), verify=CLUSTER.cert,
                                data=body if sent_body is None else sent_body, timeout=30)

    @staticmethod
    def code(reply):
        m = re.search(r"<Code>(.*?)</Code>", reply.text)
        return m.group(1) if m else None

    @staticmethod
    def checksum_headers(reply):
        return {k: v for k, v in reply.headers.items() if k.lower().startswith("x-amz-checksum")}

    def flipped(self):
        b = bytearray(self.body)
        b[7] ^= 1
        return bytes(b)

    def test_flexible_checksums_are_neither_verified_nor_stored_nor_echoed(self):
        wrong = {"crc32c": "AAAAAA==", "crc32": "AAAAAA==", "crc64nvme": "AAAAAAAAAAA=",
                 "sha256": base64.b64encode(bytes(32)).decode()}
        for algo, value in wrong.items():
            with self.subTest(algo=algo):
                put = self.send("PUT", f"behaviour/{algo}", self.body,
                                {f"x-amz-checksum-{algo}": value})
                self.assertEqual(put.status_code, 200, put.text)
                self.assertEqual(self.checksum_headers(put), {})
                head = self.send("HEAD", f"behaviour/{algo}",
                                 headers={"x-amz-checksum-mode": "ENABLED"})
                self.assertEqual(head.status_code, 200)
                self.assertEqual(self.checksum_headers(head), {})
        # Over HTTPS with UNSIGNED-PAYLOAD, a body corrupted on the way is stored as it came.
        put = self.send("PUT", "behaviour/unsigned", self.body,
                        {"x-amz-checksum-sha256": base64.b64encode(
                            hashlib.sha256(self.body).digest()).decode()},
                        sent_body=self.flipped(), https=True, sign_payload=False)
        self.assertEqual(put.status_code, 200, put.text)
        self.assertEqual(CLUSTER.client().get_object(
            Bucket=BUCKET, Key="behaviour/unsigned")["Body"].read(), self.flipped())

    def test_content_md5_and_signed_payload_are_verified(self):
        md5 = base64.b64encode(hashlib.md5(self.body).digest()).decode()
        for https in (False, True):
            with self.subTest(https=https):
                put = self.send("PUT", "behaviour/md5", self.body, {"Content-MD5": md5},
                                sent_body=self.flipped(), https=https, sign_payload=False)
                self.assertEqual((put.status_code, self.code(put)), (400, "BadDigest"))
                put = self.send("PUT", "behaviour/sha", self.body, sent_body=self.flipped(),
                                https=https)
                self.assertEqual((put.status_code, self.code(put)),
                                 (400, "XAmzContentSHA256Mismatch"))
        # The ETag of a single PUT is the MD5 of the bytes stored.
        put = self.send("PUT", "behaviour/etag", self.body)
        self.assertEqual(put.headers["ETag"].strip('"'), hashlib.md5(self.body).hexdigest())

    def test_etags_are_md5s_but_complete_replies_with_an_empty_one(self):
        s3 = CLUSTER.client()
        key = "behaviour/etags"
        upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        bodies = [os.urandom(5 * MiB), os.urandom(1000)]
        parts = []
        for n, body in enumerate(bodies, 1):
            etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=n,
                                  Body=body)["ETag"]
            self.assertEqual(etag.strip('"'), hashlib.md5(body).hexdigest())  # a part's MD5
            parts.append({"PartNumber": n, "ETag": etag})
        done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id,
                                            MultipartUpload={"Parts": parts})
        self.assertEqual(done.get("ETag"), "")  # <ETag></ETag> in CompleteMultipartUploadResult
        md5s = b"".join(hashlib.md5(b).digest() for b in bodies)
        self.assertEqual(s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"'),
                         hashlib.md5(md5s).hexdigest() + "-2")

    def test_multipart_checksums_are_ignored_and_parts_under_5_mib_refused(self):
        create = self.send("POST", "behaviour/small-parts", query="uploads=",
                           headers={"x-amz-checksum-algorithm": "CRC32C"})
        self.assertEqual(create.status_code, 200, create.text)
        self.assertNotIn("x-amz-checksum-algorithm", {k.lower() for k in create.headers})
        upload_id = re.search(r"<UploadId>(.*?)</UploadId>", create.text).group(1)
        try:
            parts = []
            for n in (1, 2):
                r = self.send("PUT", "behaviour/small-parts", os.urandom(MiB),
                              {"x-amz-checksum-crc32c": "AAAAAA=="},
                              query=f"partNumber={n}&uploadId={upload_id}")
                self.assertEqual(r.status_code, 200)  # a wrong CRC32C, accepted
                self.assertEqual(self.checksum_headers(r), {})  # and not echoed
                parts.append(f"<Part><PartNumber>{n}</PartNumber><ETag>{r.headers['ETag']}"
                             "</ETag></Part>")
            done = self.send("POST", "behaviour/small-parts",
                             ("<CompleteMultipartUpload>" + "".join(parts)
                              + "</CompleteMultipartUpload>").encode(),
                             query=f"uploadId={upload_id}")
            self.assertEqual((done.status_code, self.code(done)), (400, "EntityTooSmall"))
        finally:
            self.send("DELETE", "behaviour/small-parts", query=f"uploadId={upload_id}")
        self.assertEqual(CLUSTER.open_multipart_uploads(), [])

if __name__ == "__main__":
    unittest.main()
