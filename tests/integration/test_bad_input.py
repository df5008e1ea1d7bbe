"""Every bad input gets a clear one-line answer naming the path and the cause, the right exit
code, and nothing partial left behind. Against moto (signatures checked where keys are plain)."""
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from s3fixtures import MotoCase, engine_args, fresh_dir, rmtree, run_s3up, S3UP, BUCKET


def write(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class BadInput(MotoCase):
    src_prefix = "s3up-bad-"

    def run_up(self, src, dest, *extra, env=None, timeout=120):
        return run_s3up(["--endpoint-url", self.moto.url, "--progress", "none", *extra, src, dest],
                        env or self.moto.env(), timeout=timeout, check_secret=self.moto.secret_key)

    def one_line_error(self, proc):
        lines = [l for l in proc.stderr.splitlines() if l.startswith("s3up: error:")]
        self.assertEqual(len(lines), 1, proc.stderr)
        return lines[0]

    def test_missing_source(self):
        missing = os.path.join(self.src, "nope")
        proc = self.run_up(missing, f"s3://{BUCKET}/missing/")
        self.assertEqual(proc.returncode, 2)
        line = self.one_line_error(proc)
        self.assertIn(missing, line)
        self.assertIn("no such file or directory", line)

    def test_source_is_a_regular_file(self):
        path = os.path.join(self.src, "single.txt")
        write(path, b"just one")
        proc = self.run_up(path, f"s3://{BUCKET}/single/")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.moto.objects("single/"), {"single/single.txt": b"just one"})

    def test_malformed_urls_and_bucket_names(self):
        write(os.path.join(self.src, "a.txt"))
        for dest, words in [("bucket/key", "s3://"), ("s3://", "bucket"), ("s3:///key", "bucket"),
                            ("s3://Bad_Bucket/x", "Bad_Bucket"), ("s3://ab/x", "3 to 63"),
                            ("s3://192.168.1.1/x", "IP address")]:
            proc = self.run_up(self.src, dest)
            self.assertEqual(proc.returncode, 2, (dest, proc.stderr))
            self.assertIn(words, self.one_line_error(proc), dest)

    def test_usage_errors_exit_2_before_anything_is_sent(self):
        write(os.path.join(self.src, "a.txt"))
        for args, words in [(["--concurrency", "0"], "--concurrency"),
                            (["--checksum", "crc64"], "--checksum"),
                            (["--part-size", "1MiB"], "--part-size"),
                            (["--part-size", "lots"], "--part-size"),
                            (["--secret-access-key", "x"], "secret-access-key"),
                            (["--shard", "3/3"], "--shard")]:
            proc = self.run_up(self.src, f"s3://{BUCKET}/usage/", *args)
            self.assertEqual(proc.returncode, 2, (args, proc.stderr))
            self.assertIn(words, self.one_line_error(proc))
        self.assertEqual(self.moto.keys("usage/"), [])

    def test_missing_credentials_exit_2(self):
        write(os.path.join(self.src, "a.txt"))
        env = self.moto.env()
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        proc = self.run_up(self.src, f"s3://{BUCKET}/nocreds/", env=env)
        self.assertEqual(proc.returncode, 2)
        # One error, whose message lists every provider of the chain tried, one per line.
        self.assertIn("unable to locate credentials", self.one_line_error(proc))
        self.assertIn("environment: AWS_ACCESS_KEY_ID is not set", proc.stderr)
        self.assertIn("EC2 instance metadata", proc.stderr)
        self.assertEqual(self.moto.keys("nocreds/"), [])

    def test_no_such_bucket_fails_fast(self):
        for i in range(50):
            write(os.path.join(self.src, f"f{i}.txt"))
        start = time.time()
        proc = self.run_up(self.src, "s3://no-such-bucket-here/x/")
        self.assertLess(time.time() - start, 30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("NoSuchBucket", self.one_line_error(proc))
        self.assertEqual(proc.stderr.count("NoSuchBucket"), 1, proc.stderr)
        # The files under way are counted as failed (one line, the report lists them).
        self.assertRegex(proc.stderr, r"failed: \d+ files? under way when the run stopped")

    def test_special_files_and_links(self):
        write(os.path.join(self.src, "ok.txt"), b"ok")
        os.mkfifo(os.path.join(self.src, "a-fifo"))
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(self.src, "a-socket"))
        os.symlink("nowhere", os.path.join(self.src, "broken-link"))
        os.mkdir(os.path.join(self.src, "loop"))
        os.symlink("..", os.path.join(self.src, "loop", "up"))
        report = self.src + ".json"
        try:
            proc = self.run_up(self.src, f"s3://{BUCKET}/special/", "--json", report, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)  # skipped is not failed
            with open(report) as f:
                skipped = {os.path.basename(s["path"]): s["reason"] for s in json.load(f)["skipped"]}
            self.assertIn("fifo", skipped["a-fifo"])
            self.assertIn("socket", skipped["a-socket"])
            self.assertIn("symlink", skipped["broken-link"])
            self.assertEqual(self.moto.keys("special/"), ["special/ok.txt"])
            # Following links: the broken one and the loop are failures naming the path.
            proc = self.run_up(self.src, f"s3://{BUCKET}/special2/", "--follow-symlinks", timeout=60)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertRegex(proc.stderr, r"failed: .*broken-link: broken symlink")
            self.assertRegex(proc.stderr, r"failed: .*loop/up: symlink loop")
            self.assertEqual(self.moto.keys("special2/"), ["special2/ok.txt"])
        finally:
            sock.close()
            if os.path.exists(report):
                os.unlink(report)

    def test_unreadable_file_and_directory(self):
        # The tests run as root, which reads everything: run s3up as 'nobody' instead.
        write(os.path.join(self.src, "readable.txt"), b"r")
        write(os.path.join(self.src, "secret.txt"), b"s")
        write(os.path.join(self.src, "closed", "inside.txt"), b"i")
        os.chmod(self.src, 0o755)
        os.chmod(os.path.join(self.src, "secret.txt"), 0o000)
        os.chmod(os.path.join(self.src, "closed"), 0o000)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", S3UP, *engine_args(),
               "--endpoint-url", self.moto.url, "--progress", "none", self.src,
               f"s3://{BUCKET}/perm/"]
        proc = subprocess.run(cmd, env=self.moto.env(), capture_output=True, text=True, timeout=60)
        os.chmod(os.path.join(self.src, "closed"), 0o755)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(proc.stderr, r"failed: .*secret.txt -> s3://test-bucket/perm/secret.txt: .*[Pp]ermission denied")
        self.assertRegex(proc.stderr, r"failed: .*closed: permission denied")
        self.assertEqual(self.moto.keys("perm/"), ["perm/readable.txt"])

    def test_file_changed_between_walk_and_upload(self):
        # One slow file first (rate-limited), then files the walker has already listed: they
        # are changed while the first one waits for the rate limit.
        write(os.path.join(self.src, "a-first.bin"), os.urandom(3 * 1024 * 1024))
        for name in ["b-grows.txt", "c-shrinks.txt", "d-deleted.txt", "e-same.txt"]:
            write(os.path.join(self.src, name), b"0123456789")
        proc = subprocess.Popen(
            [S3UP, *engine_args(), "--endpoint-url", self.moto.url, "--progress", "none", "--concurrency", "1",
             "--limit-rate", "256KiB", self.src, f"s3://{BUCKET}/changing/"],
            env=self.moto.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The rate limiter books the 3 MiB file first and holds it until its booking ends, 8 s
        # in ((3 MiB - the 1 MiB burst) at 256 KiB/s); the others wait behind it. The walk is
        # over well before 2 s, even in a sanitizer run on a busy host (where a wait of 0.7 s at
        # 1 MiB/s was once outlasted).
        time.sleep(2)
        with open(os.path.join(self.src, "b-grows.txt"), "ab") as f:
            f.write(b"more")
        with open(os.path.join(self.src, "c-shrinks.txt"), "r+b") as f:
            f.truncate(3)
        os.unlink(os.path.join(self.src, "d-deleted.txt"))
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertRegex(err, r"failed: .*b-grows.txt -> .*: file changed since it was listed: size 10 -> 14")
        self.assertRegex(err, r"failed: .*c-shrinks.txt -> .*: file changed since it was listed: size 10 -> 3")
        self.assertRegex(err, r"failed: .*d-deleted.txt -> .*: .*No such file or directory")
        self.assertEqual(sorted(self.moto.keys("changing/")),
                         ["changing/a-first.bin", "changing/e-same.txt"])


class BadEndpoints(unittest.TestCase):
    def setUp(self):
        self.src = fresh_dir("s3up-endpoint-")
        for i in range(20):
            write(os.path.join(self.src, f"f{i}.txt"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="never-printed-secret",
                        AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")

    def tearDown(self):
        rmtree(self.src)

    def test_unreachable_endpoint_is_one_clear_error_after_retries(self):
        with socket.socket() as s:  # a port with nothing listening
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        start = time.time()
        proc = run_s3up(["--endpoint-url", f"http://127.0.0.1:{port}", "--retries", "2",
                         "--progress", "none", self.src, "s3://some-bucket/x/"], self.env,
                        check_secret="never-printed-secret")
        self.assertLess(time.time() - start, 30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        errors = [l for l in proc.stderr.splitlines() if l.startswith("s3up: error:")]
        self.assertEqual(len(errors), 1, proc.stderr)
        self.assertIn(f"127.0.0.1:{port}", errors[0])
        self.assertIn("refused", errors[0])

    def test_silent_endpoint_times_out_with_a_clear_reason(self):
        # Accepts connections (the kernel's backlog) and never says a word: the TLS handshake
        # and the plain request both time out, and each file says so.
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(128)
            port = server.getsockname()[1]
            for scheme, words in [("https", "TLS handshake with"), ("http", "timed out talking to")]:
                start = time.time()
                proc = run_s3up(["--endpoint-url", f"{scheme}://127.0.0.1:{port}", "--retries", "1",
                                 "--connect-timeout", "1", "--read-timeout", "1", "--progress", "none",
                                 self.src, "s3://some-bucket/x/"], self.env, timeout=120,
                                check_secret="never-printed-secret")
                self.assertLess(time.time() - start, 60)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                failures = [l for l in proc.stderr.splitlines() if l.startswith("failed: ")]
                self.assertEqual(len(failures), 20, proc.stderr)
                for line in failures:
                    self.assertIn(words, line)
                    self.assertIn("timed out", line)

    def test_garbage_replies_are_reported_not_trusted(self):
        # A server that answers every request with something that is not HTTP, or not S3.
        for reply in [b"NOT HTTP AT ALL\r\n\r\n",
                      b"HTTP/1.1 500 Oops\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
                      b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n<html/>xx"]:
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(64)
            port = server.getsockname()[1]
            stop = threading.Event()

            def serve():
                server.settimeout(0.2)
                while not stop.is_set():
                    try:
                        conn, _ = server.accept()
                    except OSError:
                        continue
                    try:
                        conn.settimeout(2)
                        conn.recv(65536)
                        conn.sendall(reply)
                    except OSError:
                        pass
                    finally:
                        conn.close()

            thread = threading.Thread(target=serve, daemon=True)
            thread.start()
            try:
                proc = run_s3up(["--endpoint-url", f"http://127.0.0.1:{port}", "--retries", "1",
                                 "--progress", "none", self.src, "s3://some-bucket/x/"], self.env,
                                timeout=120, check_secret="never-printed-secret")
            finally:
                stop.set()
                thread.join()
                server.close()
            self.assertIn(proc.returncode, (1, 2), (reply, proc.stderr))
            self.assertNotIn("Uploaded 20", proc.stdout)
            self.assertIn("Uploaded 0 files", proc.stdout, reply)
            if proc.returncode == 1:
                self.assertEqual(proc.stderr.count("failed: "), 20, proc.stderr)


if __name__ == "__main__":
    unittest.main()
