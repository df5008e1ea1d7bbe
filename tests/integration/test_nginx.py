"""s3up against a plain HTTP PUT sink: nginx's WebDAV module over HTTPS, the sink the benchmark
uses and TESTING.md describes. nginx answers a new file 201 Created and a replaced one 204 No
Content, with no ETag and no checksum: s3up must take both for stored bodies (an empty 200 is
not), and say honestly what it could verify. The files are read back from nginx's root."""
import json
import os
import shutil
import subprocess
import unittest

from s3fixtures import (AWKWARD_NAMES, fresh_dir, free_port, make_tree, rmtree, run_s3up,
                        wait_for_port)
from testserver import make_self_signed_cert

BUCKET = "sink"


class Nginx:
    """nginx on a free loopback port, HTTPS, PUT stored under <dir>/root (path-style URLs:
    /BUCKET/KEY is root/BUCKET/KEY)."""

    def __init__(self):
        self.dir = fresh_dir("s3up-nginx-")
        self.root = os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.root, BUCKET))
        self.cert, key = make_self_signed_cert(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        temp = os.path.join(self.dir, "tmp")
        os.makedirs(temp)
        # Started as root, nginx's workers run as nobody: they must reach and write these.
        for d in (self.dir, self.root, os.path.join(self.root, BUCKET), temp):
            os.chmod(d, 0o777)
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/access.log;
  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{self.port} ssl;
    ssl_certificate {self.cert};
    ssl_certificate_key {key};
    root {self.root};
    location / {{ dav_methods PUT DELETE; create_full_put_path on; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir, "-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, timeout=10)
        except RuntimeError:
            self.proc.kill()
            out = self.proc.communicate()[0].decode(errors="replace")
            self.stop()
            raise RuntimeError("nginx did not start: " + out)

    def read_back(self, prefix):
        """{key relative to prefix: bytes} of what nginx stored under BUCKET/prefix."""
        base = os.path.join(self.root, BUCKET, prefix)
        out = {}
        for dirpath, _, names in os.walk(base):
            for name in names:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, base)] = f.read()
        return out

    def statuses(self):
        """The status of every PUT nginx answered, in order."""
        with open(os.path.join(self.dir, "access.log")) as f:
            return [int(line.split('"')[2].split()[0]) for line in f if '"PUT ' in line]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class NginxSinkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nginx = Nginx()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()

    def setUp(self):
        self.src = fresh_dir("s3up-nginx-src-")
        self.json = os.path.join(self.src + ".json")

    def tearDown(self):
        rmtree(self.src)
        if os.path.exists(self.json):
            os.remove(self.json)

    def upload(self, prefix, *extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="AKIDNGINX", AWS_SECRET_ACCESS_KEY="nginx-secret-key",
                   AWS_REGION="us-east-1", AWS_CONFIG_FILE="/nonexistent",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        proc = run_s3up(["--endpoint-url", f"https://127.0.0.1:{self.nginx.port}",
                         "--ca-bundle", self.nginx.cert, "--json", self.json, "--retries", "2",
                         *extra, self.src, f"s3://{BUCKET}/{prefix}/"],
                        env, check_secret="nginx-secret-key")
        with open(self.json) as f:
            return proc, json.load(f)

    def test_new_and_replaced_files_are_stored_not_retried(self):
        files = make_tree(self.src, names=AWKWARD_NAMES)
        # One body larger than a read buffer, sent as one streamed PUT (nginx has no multipart).
        big = os.urandom(3 * 1024 * 1024 + 17)
        with open(os.path.join(self.src, "big.bin"), "wb") as f:
            f.write(big)
        files["big.bin"] = big
        before = len(self.nginx.statuses())
        for run in ("new", "replaced"):
            proc, doc = self.upload("tree", "--multipart-threshold", "1GiB")
            self.assertEqual(proc.returncode, 0, f"{run}: {proc.stderr[-3000:]}")
            self.assertEqual(doc["totals"]["files"], len(files), run)
            self.assertEqual(doc["totals"]["failed"], 0, run)
            self.assertEqual(doc["totals"]["retries"], 0, run)
            self.assertEqual(self.nginx.read_back("tree"), files, run)
        statuses = self.nginx.statuses()[before:]
        # The first run created every file, the second replaced every one: no PUT twice.
        self.assertEqual(statuses, [201] * len(files) + [204] * len(files))

    def test_what_was_verified_is_said(self):
        files = make_tree(self.src, nested=False)
        proc, doc = self.upload("integrity")
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertEqual(self.nginx.read_back("integrity"), files)
        # nginx echoes no checksum and gives no ETag: no body was checked by the store, and
        # the report does not claim otherwise.
        self.assertEqual(doc["integrity"], "none")
        counts = doc["integrity_counts"]
        self.assertEqual(counts["none"], len(files), counts)
        self.assertEqual(sum(counts.values()), len(files), counts)
        self.assertEqual(proc.stderr.count("a plain HTTP PUT server, not S3"), 1, proc.stderr)
        self.assertIn(f"integrity: {len(files)} none", proc.stderr + proc.stdout)


if __name__ == "__main__":
    unittest.main()
