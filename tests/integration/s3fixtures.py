"""Fixtures for s3up's integration tests: independent S3 endpoints on 127.0.0.1 (moto, with or
without SigV4 checking, over HTTP or HTTPS; nginx as a PUT sink), trees of awkward files, and a
runner for the s3up binary. Nothing here talks to any address but loopback."""
import unittest
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

from testserver import make_self_signed_cert  # one certificate maker for both servers

S3UP = os.environ.get("S3UP_BIN", os.path.join(os.path.dirname(__file__), "../../build/s3up"))
BUILD = os.environ.get("S3UP_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
REGION = "us-east-1"
BUCKET = "test-bucket"
# Which engine the tests drive: S3UP_ENGINE=threaded runs every test against --engine threaded
# (ctest registers each file twice: integration.NAME and integration.threaded.NAME).
ENGINE = os.environ.get("S3UP_ENGINE", "")


def engine_args():
    """["--engine", ENGINE] when S3UP_ENGINE is set: put it on every s3up command line."""
    return ["--engine", ENGINE] if ENGINE else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30.0):
    """A bare TCP connect: an HTTP probe would count as one of moto's unauthenticated actions."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")




class BucketReadBack:
    """The read-backs of BUCKET through self.client() (which each kind of server defines), and
    the environment s3up runs with (self.access_key, self.secret_key): shared by moto, the
    test server and Ceph RGW (rgw.RgwCluster)."""

    def objects(self, prefix=""):
        """{key: bytes} of everything under prefix, read back with boto3."""
        c = self.client()
        return {k: c.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in self.keys(prefix)}

    def keys(self, prefix=""):
        """Keys under prefix. The listing is unfiltered and the prefix applied here: moto's
        signature check mishandles an encoded '/' in the query string."""
        c = self.client()
        keys = []
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].startswith(prefix)]
        return keys

    def open_multipart_uploads(self):
        return self.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])

    def env(self, secret=None):
        """The environment s3up runs with: this server's credentials and nothing else of AWS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key,
                   AWS_SECRET_ACCESS_KEY=secret if secret is not None else self.secret_key,
                   AWS_REGION=REGION, AWS_CONFIG_FILE="/nonexistent",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        return env


class MotoProcess(BucketReadBack):
    """A moto server in its own process on a free loopback port."""

    def _start(self, workdir, env, extra_args=()):
        self.port = free_port()
        self.log = open(os.path.join(workdir, "moto.log"), "wb")
        # The real interpreter, not the moto_server wrapper (which forks: TESTING.md section 1).
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port),
             *extra_args],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Moto(MotoProcess):
    """moto's S3 server in its own process. With check_signatures it serves the bootstrap
    requests unauthenticated and then verifies every request's SigV4 signature.

    With S3UP_BACKEND=testserver in the environment the same tests run against the project's
    own s3-testserver instead (signatures and checksums verified when check_signatures), so
    that both servers answer the same suite."""

    def __new__(cls, check_signatures=False, tls=False, workdir=None):
        if os.environ.get("S3UP_BACKEND") == "testserver":
            return TestServerEndpoint(check_signatures, tls, workdir)
        return super().__new__(cls)

    def __init__(self, check_signatures=False, tls=False, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="s3up-moto-")
        self.scheme = "https" if tls else "http"
        self.cert = None
        env = dict(os.environ)
        args = []
        if tls:
            self.cert, key = make_self_signed_cert(self.workdir)
            args += ["-c", self.cert, "-k", key]
        if check_signatures:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "4"
        self._start(self.workdir, env, args)
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        if check_signatures:
            self.access_key, self.secret_key = self._bootstrap_iam()
        else:
            self.access_key, self.secret_key = "AKIDS3UPTEST", "s3up-test-secret-do-not-print"
            self.client().create_bucket(Bucket=BUCKET)

    def _bootstrap_iam(self):
        kw = dict(endpoint_url=self.url, region_name=REGION, aws_access_key_id="boot",
                  aws_secret_access_key="boot", verify=self.cert or True)
        iam = boto3.client("iam", **kw)
        iam.create_user(UserName="up")
        key = iam.create_access_key(UserName="up")["AccessKey"]
        iam.put_user_policy(UserName="up", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                     aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"],
                     verify=self.cert or True).create_bucket(Bucket=BUCKET)
        return key["AccessKeyId"], key["SecretAccessKey"]

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            verify=self.cert or True,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 2}))


class TestServerEndpoint(Moto):
    """The Moto interface over build/s3-testserver (see Moto)."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, check_signatures=False, tls=False, workdir=None):
        if hasattr(self, "server"):
            # Moto(...) returned this object already built, and Python calls __init__ on it
            # again: a second server would be started and the first one left running.
            return
        from testserver import TestServer
        self.workdir = workdir or tempfile.mkdtemp(prefix="s3up-ts-")
        self.cert = None
        kwargs = {}
        if tls:
            self.cert, key = make_self_signed_cert(self.workdir)
            kwargs.update(tls_cert=self.cert, tls_key=key)
        if check_signatures:
            kwargs.update(access_key="AKIDTESTSERVERCHECK", secret="testserver-checked-secret")
        # One line per request, as moto.log holds moto's (feature_helpers.RequestLog reads both).
        self.request_log = os.path.join(self.workdir, "requests.log")
        kwargs.update(extra_args=["--log", self.request_log])
        self.server = TestServer(**kwargs)
        self.url = self.server.url
        self.port = self.server.port
        self.scheme = "https" if tls else "http"
        self.access_key, self.secret_key = self.server.access_key, self.server.secret

    def client(self):
        return self.server.client()

    def stop(self):
        self.server.stop()


def run_s3up(args, env, timeout=600, check_secret=None):
    """Runs s3up; returns CompletedProcess. When check_secret is given, asserts that it appears
    in no output."""
    proc = subprocess.run([S3UP] + engine_args() + [str(a) for a in args], env=env,
                          capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check_secret:
        assert check_secret not in proc.stdout and check_secret not in proc.stderr, \
            "the secret key appeared in s3up's output"
    save_sanitizer_stderr(proc.stderr)
    return proc


def save_sanitizer_stderr(stderr):
    """GCC 12's UBSan, combined with ASan, ignores log_path and prints to stderr: a report there
    is copied to the folder scripts/sanitize.sh checks (S3UP_SANITIZER_REPORTS)."""
    folder = os.environ.get("S3UP_SANITIZER_REPORTS")
    if folder and "runtime error:" in stderr:
        fd, _ = tempfile.mkstemp(prefix="ubsan-stderr.", dir=folder)
        with os.fdopen(fd, "w") as f:
            f.write(stderr)


AWKWARD_NAMES = [
    "plain.txt", "with space.txt", "plus+sign.txt", "percent%20.txt", "hash#tag.txt",
    "question?.txt", "equals=sign.txt", "amp&ersand.txt", "semi;colon.txt", "quote'single.txt",
    'quote"double.txt', "brackets[1](2){3}.txt", "caf\u00e9.txt", "\u65e5\u672c\u8a9e.txt",
    "emoji\U0001F680.txt", "tilde~dash-under_score.txt", "comma,excl!at@dollar$.txt",
    "star*colon:.txt",
]


NESTED_DIRS = ["", "sub", "sub/deeper/deepest", "dir with space", ".hidden-dir"]


def make_tree(root, names=AWKWARD_NAMES, nested=True, sizes=(0, 1, 100, 4096, 70000), dirs=None):
    """Writes a tree of files with the given names spread over nested folders, hidden files
    and empty files. Returns {relative path: bytes}."""
    files = {}
    if dirs is None:
        dirs = NESTED_DIRS if nested else [""]
    i = 0
    for d in dirs:
        for name in names:
            rel = f"{d}/{name}" if d else name
            size = sizes[i % len(sizes)]
            i += 1
            data = os.urandom(size)
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            files[rel] = data
    for rel in [".hidden", "sub/.dotfile", "empty-file"]:
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb"):
            pass
        files[rel] = b""
    return files


class MotoCase(unittest.TestCase):
    """A test class with one Moto (SigV4 checking on) for all its tests, and a fresh source
    folder (prefix `src_prefix`) for each test. Subclasses that keep more class state extend
    setUpClass and call super().setUpClass() first."""
    src_prefix = "s3up-"

    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(check_signatures=True)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.src = fresh_dir(self.src_prefix)

    def tearDown(self):
        rmtree(self.src)


def fresh_dir(prefix):
    base = os.environ.get("S3UP_TEST_TMP") or None
    if base:
        os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)
