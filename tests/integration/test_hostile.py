"""Hostile and broken servers (s3-testserver's hostile fault kinds, --clock-skew, bad TLS
certificates): for each, the outcome s3up must reach, asserted, within a bounded time. Either
every object arrives byte-identical (read back from the server's files, no multipart upload left
open), or the files fail with a clear reason (exit 1), or the run stops at once with exit 2 and a
message naming the problem. Runs on both engines (integration.threaded.hostile)."""
import datetime
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.parse

from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer

MiB = 1024 * 1024
KEY = "AKIDHOSTILE"
SECRET = "hostile-secret-never-shown"
# Every case ends within this (a stall lasts 30 s on the server: s3up must not wait for it).
BOUND = 45
# A seed whose empty/garbage 200s hit every operation of the runs (asserted).
GARBAGE_SEED = int(os.environ.get("S3UP_HOSTILE_GARBAGE_SEED", "1"))
# A seed whose stalled replies hit CreateMultipartUpload (asserted).
LOST_CREATE_SEED = int(os.environ.get("S3UP_HOSTILE_LOST_CREATE_SEED", "1"))


def make_tree(root):
    files = {}
    for i in range(40):
        files[f"d{i % 4}/f{i:03}.bin"] = os.urandom(100 + 997 * i)
    files["empty.txt"] = b""
    files["large/multi.bin"] = os.urandom(11 * MiB + 4321)  # three 5 MiB parts
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    return files


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-hostile-")
        cls.files = make_tree(cls.src)
        cls.tmp = tempfile.mkdtemp(prefix="s3up-hostile-certs-")

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers ----------------------------------------------------------------------------

    def server(self, faults=None, rate=0.0, seed=5, extra=(), **kw):
        return TestServer(access_key=KEY, secret=SECRET, faults=faults, fault_rate=rate,
                          seed=seed, extra_args=["--stall-seconds", "30", *extra], **kw)

    def upload(self, server, prefix, *extra, retries=8, src=None):
        report = os.path.join(self.tmp, f"{prefix}.json")
        start = time.monotonic()
        proc = run_s3up(["--endpoint-url", server.url, "--progress", "none",
                         "--multipart-threshold", "5MiB", "--part-size", "5MiB",
                         "--read-timeout", "1", "--retries", str(retries), "--json", report,
                         *extra, src or self.src, f"s3://{server.bucket}/{prefix}/"], server.env(),
                        timeout=120, check_secret=server.secret)
        elapsed = time.monotonic() - start
        doc = {}
        if os.path.exists(report):
            with open(report) as f:
                doc = json.load(f)
            os.unlink(report)
        print(f"\n[{prefix}] {elapsed:.1f}s exit {proc.returncode} {proc.stdout.strip()}",
              flush=True)
        self.assertLess(elapsed, BOUND, f"{prefix} took {elapsed:.1f}s: {proc.stderr[-2000:]}")
        return proc, doc

    def stored(self, server, prefix):
        """{relative path: bytes} of the objects under prefix, read from the server's files."""
        out = {}
        folder = os.path.join(server.root, server.bucket)
        for name in os.listdir(folder):
            key = urllib.parse.unquote(name)
            if key.startswith(prefix + "/"):
                with open(os.path.join(folder, name), "rb") as f:
                    out[key[len(prefix) + 1:]] = f.read()
        return out

    def assert_all_arrived(self, server, prefix, proc, doc):
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertEqual(doc["totals"]["failed"], 0)
        got = self.stored(server, prefix)
        self.assertEqual(sorted(got), sorted(self.files))
        for rel, data in self.files.items():
            self.assertEqual(got[rel], data, rel)
        self.assertEqual(server.stats()["open_uploads"], 0)

    def survive(self, faults, prefix, rate=0.25, seed=5, min_faults=3):
        with self.server(faults, rate, seed) as server:
            proc, doc = self.upload(server, prefix)
            self.assert_all_arrived(server, prefix, proc, doc)
            stats = server.stats()
            self.assertGreaterEqual(stats["faults_injected"], min_faults)
            return proc, doc, stats

    # ---- retry and succeed ------------------------------------------------------------------

    def test_stall_mid_body_times_out_and_is_sent_again(self):
        proc, doc, stats = self.survive("stall-body", "stall-body")
        self.assertGreaterEqual(doc["totals"]["retries"], 3)

    def test_stall_mid_reply_times_out_and_is_sent_again(self):
        # Carried out, then the reply stalls: PutObject and UploadPart are sent again, a lost
        # Complete is recognised by HeadObject.
        proc, doc, stats = self.survive("stall-reply", "stall-reply")
        self.assertGreaterEqual(doc["totals"]["retries"], 3)

    def test_create_whose_reply_is_lost_leaves_no_upload_open(self):
        # The store creates the upload, then its reply stalls (as S3's can: a timeout, a reset):
        # s3up never learns that upload's ID and creates another. Once the file is uploaded it
        # finds the first with ListMultipartUploads and aborts it; without that it stays open,
        # billed, on S3 until a lifecycle rule ends it. Several files, so that the draws (seeded
        # per key and attempt) hit CreateMultipartUpload (asserted from the server's log).
        src = fresh_dir("s3up-hostile-lost-")
        log = os.path.join(self.tmp, "lost-create.log")
        try:
            files = {f"big{i}.bin": os.urandom(5 * MiB + 1000 * i) for i in range(4)}
            for rel, data in files.items():
                with open(os.path.join(src, rel), "wb") as f:
                    f.write(data)
            with self.server("stall-reply", 0.5, LOST_CREATE_SEED,
                             extra=["--log", log]) as server:
                proc, doc = self.upload(server, "lost", src=src)
                self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
                got = self.stored(server, "lost")
                self.assertEqual(sorted(got), sorted(files))
                for rel, data in files.items():
                    self.assertEqual(got[rel], data, rel)
                self.assertEqual(server.stats()["open_uploads"], 0)
            stalled = 0
            with open(log) as f:
                for line in f:
                    fields = line.split()
                    stalled += fields[4] == "CreateMultipartUpload" and fields[5] == "stall-reply"
            print(f"CreateMultipartUpload replies stalled: {stalled}; "
                  f"lost uploads aborted: {doc['totals']['lost_uploads_aborted']}", flush=True)
            self.assertGreaterEqual(stalled, 1)
            self.assertEqual(doc["totals"]["lost_uploads_aborted"], stalled)
            self.assertEqual(proc.stderr.count("which a CreateMultipartUpload whose reply was lost"),
                             stalled, proc.stderr[-3000:])
        finally:
            rmtree(src)

    def test_content_length_larger_than_the_body_times_out(self):
        proc, doc, stats = self.survive("length-long", "length-long")
        self.assertGreaterEqual(doc["totals"]["retries"], 3)

    def test_content_length_smaller_than_the_body_never_poisons_the_next_request(self):
        # The bytes beyond the announced length end with a forged 200 (an ETag, no checksum):
        # taken by the next request on that connection, it would accept an object never stored.
        self.survive("length-short", "length-short", rate=0.4)

    def test_endless_header_is_cut_off_and_sent_again(self):
        proc, doc, stats = self.survive("endless-header", "endless-header")
        self.assertGreaterEqual(doc["totals"]["retries"], 3)

    def test_unasked_100_continue_is_skipped(self):
        # s3up sends no Expect: 100-continue; an interim reply anyway is skipped, not taken for
        # the answer (which would leave the real one for the next request).
        proc, doc, stats = self.survive("continue-early", "continue-early", rate=0.5, min_faults=10)
        self.assertEqual(doc["totals"]["retries"], 0)

    def test_100_continue_without_continuing_times_out(self):
        proc, doc, stats = self.survive("continue-stall", "continue-stall")
        self.assertGreaterEqual(doc["totals"]["retries"], 3)

    def test_reply_to_a_request_not_yet_sent_is_never_taken_for_its_answer(self):
        # After some replies the server sends a forged 200 nobody asked for: the connection is
        # not used again, no request takes it for its reply, nothing needs a retry.
        proc, doc, stats = self.survive("unsolicited", "unsolicited", rate=0.5, min_faults=10)
        self.assertEqual(doc["totals"]["retries"], 0)

    def test_idle_connections_closed_at_random_cost_no_failure(self):
        # Four requests at a time, so that connections are reused.
        with self.server() as server:
            proc, calm = self.upload(server, "calm", "--concurrency", "4")
            self.assert_all_arrived(server, "calm", proc, calm)
        with self.server("idle-close", 0.5) as server:
            proc, doc = self.upload(server, "idle-close", "--concurrency", "4")
            self.assert_all_arrived(server, "idle-close", proc, doc)
            self.assertGreaterEqual(server.stats()["faults_injected"], 10)
        # The closed connections were replaced, none of it visible as a failure.
        print(f"connections opened: {calm['connections']['opened']} calm, "
              f"{doc['connections']['opened']} with idle-close", flush=True)
        self.assertGreater(doc["connections"]["opened"], calm["connections"]["opened"] + 5)

    def test_200_with_an_empty_or_garbage_body_is_no_success(self):
        # Nothing is stored on these: a PutObject or UploadPart without an ETag, a
        # CreateMultipartUpload without an UploadId, a Complete without its result are sent again.
        log = os.path.join(self.tmp, "garbage.log")
        with self.server("empty-200,garbage-200", 0.5, GARBAGE_SEED,
                         extra=["--log", log]) as server:
            proc, doc = self.upload(server, "garbage")
            self.assert_all_arrived(server, "garbage", proc, doc)
            self.assertGreaterEqual(doc["totals"]["retries"], 5)
            # --sync against the same faults: ListObjectsV2 replies of garbage are not an empty
            # bucket; nothing is lost, the objects stay intact.
            proc, doc = self.upload(server, "garbage", "--sync")
            self.assert_all_arrived(server, "garbage", proc, doc)
        # Every operation of the runs got such a reply at least once (HeadObject too when the
        # --sync run sends one, which depends on mtimes and is not asserted).
        faulted = set()
        with open(log) as f:
            for line in f:
                fields = line.split()
                if fields[5] in ("empty-200", "garbage-200"):
                    faulted.add(fields[4])
        self.assertTrue({"PutObject", "CreateMultipartUpload", "UploadPart",
                         "CompleteMultipartUpload", "ListObjectsV2"} <= faulted, faulted)

    def test_clock_skewed_by_20_minutes_is_followed(self):
        # The server's clock runs 20 minutes ahead (its Date, its RequestTimeTooSkewed check):
        # as the AWS SDKs do, s3up signs with the server's time after the first refusal.
        for skew, word in (("1200", "ahead of"), ("-1200", "behind")):
            with self.server(extra=["--clock-skew", skew]) as server:
                prefix = "skew" + skew
                proc, doc = self.upload(server, prefix)
                self.assert_all_arrived(server, prefix, proc, doc)
                self.assertIn(f"clock is about 20 minutes {word}", proc.stderr)
                # Only the first requests were refused, then sent again at once (no backoff).
                self.assertEqual(doc["totals"]["retries"], 0)
                proc, doc = self.upload(server, prefix, "--sync")
                self.assert_all_arrived(server, prefix, proc, doc)

    # ---- fail the files with a clear reason ---------------------------------------------------

    def test_only_garbage_200s_fail_every_file_with_the_reason(self):
        with self.server("garbage-200", 1.0) as server:
            proc, doc = self.upload(server, "allgarbage", retries=1)
            self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
            self.assertEqual(len(doc["failed"]), len(self.files))
            reasons = {f["key"]: f["reason"] for f in doc["failed"]}
            self.assertIn("without an ETag", reasons["allgarbage/d0/f000.bin"])
            self.assertIn("not an S3 reply", reasons["allgarbage/d0/f000.bin"])
            self.assertIn("without an UploadId", reasons["allgarbage/large/multi.bin"])
            self.assertIn("without an ETag", proc.stderr)
            self.assertEqual(self.stored(server, "allgarbage"), {})
            self.assertEqual(server.stats()["open_uploads"], 0)

    # ---- stop the run: certificates ---------------------------------------------------------

    def make_certs(self):
        """A CA, and certificates it signed: expired, for another name; plus a self-signed one."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import ipaddress

        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)

        def name(cn):
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def write(label, cert, key):
            cert_path = os.path.join(self.tmp, label + ".pem")
            key_path = os.path.join(self.tmp, label + ".key")
            with open(cert_path, "wb") as f:
                f.write(cert.public_bytes(serialization.Encoding.PEM))
            with open(key_path, "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
            return cert_path, key_path

        def make(cn, issuer, issuer_key, key, not_before, not_after, san, ca=False):
            b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer)
                 .public_key(key.public_key()).serial_number(x509.random_serial_number())
                 .not_valid_before(not_before).not_valid_after(not_after)
                 .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
            if san:
                b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
            return b.sign(issuer_key, hashes.SHA256())

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = make("s3up hostile test CA", name("s3up hostile test CA"), ca_key, ca_key,
                  now - day, now + 30 * day, None, ca=True)
        ca_path, _ = write("ca", ca, ca_key)
        loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        certs = {"ca": ca_path}
        k = ec.generate_private_key(ec.SECP256R1())
        certs["expired"] = write("expired", make("127.0.0.1", ca.subject, ca_key, k,
                                                 now - 30 * day, now - day, loopback), k)
        k = ec.generate_private_key(ec.SECP256R1())
        certs["other-name"] = write("other", make("s3.example.com", ca.subject, ca_key, k,
                                                  now - day, now + 30 * day,
                                                  [x509.DNSName("s3.example.com")]), k)
        k = ec.generate_private_key(ec.SECP256R1())
        certs["self-signed"] = write("self", make("127.0.0.1", name("127.0.0.1"), k, k,
                                                  now - day, now + 30 * day, loopback), k)
        return certs

    def test_bad_certificates_stop_the_run_at_once_naming_the_problem(self):
        certs = self.make_certs()
        cases = [("expired", "certificate has expired", "renew"),
                 ("other-name", "IP address mismatch", "names another host"),
                 ("self-signed", "self-signed certificate", "--ca-bundle")]
        for label, problem, advice in cases:
            with self.subTest(label):
                cert, key = certs[label]
                with self.server(tls_cert=cert, tls_key=key) as server:
                    prefix = "tls-" + label
                    start = time.monotonic()
                    proc, doc = self.upload(server, prefix, "--ca-bundle", certs["ca"])
                    self.assertEqual(proc.returncode, 2, proc.stderr[-3000:])
                    self.assertIn("TLS certificate verification failed", proc.stderr)
                    self.assertIn(problem, proc.stderr)
                    self.assertIn(advice, proc.stderr)
                    self.assertIn(problem, doc.get("error", ""))
                    # No retries for minutes: stopped at the first handshakes.
                    self.assertLess(time.monotonic() - start, 10)
                    self.assertEqual(doc["totals"]["retries"], 0)
                    self.assertEqual(self.stored(server, prefix), {})


if __name__ == "__main__":
    unittest.main()
