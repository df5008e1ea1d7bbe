"""Fixture for tests that need an S3 endpoint: build/s3-testserver on a free loopback port.

    with TestServer(min_part_size="64KiB") as srv:
        s3 = srv.client()
        s3.put_object(Bucket=srv.bucket, Key="k", Body=b"data")
        assert srv.stats()["objects"] == 1

Nothing here talks to any address but 127.0.0.1."""
import json
import os
import select
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

BUILD = os.environ.get("S3UP_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
BINARY = os.path.join(BUILD, "s3-testserver")
REGION = "us-east-1"
BUCKET = "test-bucket"


_SESSION = None


def _session():
    """One boto3 session for all clients: making a session loads the service models (slow)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


class TestServer:
    """s3-testserver in its own process, serving `bucket` (and any extra --bucket in
    extra_args). root=None and discard=False store objects in a temporary folder removed by
    stop(). Faults: faults="500,503" (or a list), fault_rate 0..1, seed; fail_keys=("bad/*",
    "deny/*=403"). access_key with secret turns on SigV4 checks."""

    __test__ = False  # not a test case, whatever its name

    def __init__(self, root=None, discard=False, access_key=None, secret=None, faults=None,
                 fault_rate=0, seed=1, fail_keys=(), tls_cert=None, tls_key=None,
                 min_part_size=None, extra_args=(), bucket=BUCKET, region=None):
        self.bucket = bucket
        self.region = region
        self.access_key = access_key or "AKIDTESTSERVER"
        self.secret = secret or "testserver-secret"
        self.tls_cert = tls_cert
        self._own_root = None
        if root is None and not discard:
            root = self._own_root = tempfile.mkdtemp(prefix="s3-testserver-")
        self.root = root
        args = [BINARY, "--port", "0", "--bucket", bucket]
        args += ["--discard"] if discard else ["--root", root]
        env = dict(os.environ)
        env.pop("S3_TESTSERVER_SECRET", None)
        if access_key:
            args += ["--access-key", access_key]
            env["S3_TESTSERVER_SECRET"] = self.secret
        if region:
            args += ["--region", region]
        if faults is not None:
            args += ["--faults", faults if isinstance(faults, str) else ",".join(faults)]
        if fault_rate:
            args += ["--fault-rate", str(fault_rate)]
        args += ["--seed", str(seed)]
        for glob in fail_keys:
            args += ["--fail-key", glob]
        if tls_cert:
            args += ["--tls-cert", tls_cert, "--tls-key", tls_key]
        if min_part_size is not None:
            args += ["--min-part-size", str(min_part_size)]
        args += list(extra_args)
        self.args = args
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env)
        line = self._first_line(timeout=20)
        prefix = "listening on 127.0.0.1:"
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"s3-testserver did not start: {line!r} {self.stderr()!r}")
        self.port = int(line[len(prefix):])
        self.url = f"{'https' if tls_cert else 'http'}://127.0.0.1:{self.port}"

    def _first_line(self, timeout):
        deadline = time.time() + timeout
        data = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in data and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\n", 1)[0].decode(errors="replace")

    def stderr(self):
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _open(self, path, method):
        ctx = ssl.create_default_context(cafile=self.tls_cert) if self.tls_cert else None
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
            return resp.read()

    def env(self):
        """The environment s3up runs with against this server: its keys, and nothing else of
        AWS (no profile, no config file)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret,
                   AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        return env

    def stats(self):
        """{"requests", "by_operation": {...}, "faults_injected", "bytes_received", "objects",
        "open_uploads"}"""
        return json.loads(self._open("/__stats", "GET"))

    def reset_stats(self):
        self._open("/__reset_stats", "POST")

    def client(self, retries=None, access_key=None, secret=None, **config):
        """A boto3 S3 client with path addressing. retries=N: at most N attempts in all
        (1: no retry); None: botocore's default. Other keywords go to botocore's Config."""
        if retries is not None:
            config["retries"] = {"total_max_attempts": retries, "mode": "standard"}
        config.setdefault("s3", {"addressing_style": "path"})
        return _session().client(
            "s3", endpoint_url=self.url, region_name=self.region or REGION,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret or self.secret,
            verify=self.tls_cert if self.tls_cert else None,
            config=Config(**config))

    def stored_files(self):
        """Data files of objects under the root (not temporary files or parts)."""
        out = []
        if not self.root:
            return out
        for name in os.listdir(self.root):
            if name.startswith("."):
                continue
            out += [os.path.join(name, f) for f in os.listdir(os.path.join(self.root, name))]
        return sorted(out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()
        if self._own_root:
            shutil.rmtree(self._own_root, ignore_errors=True)
            self._own_root = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def make_self_signed_cert(directory):
    """A certificate for IP 127.0.0.1 and localhost, made with the openssl CLI."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key
