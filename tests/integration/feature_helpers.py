"""Helpers for the feature tests (selection, sync, object settings, rate and progress): writing
small trees, reading what moto was sent from its request log, the JSON report, the mtime
metadata format. Loopback only, like s3fixtures."""
import json
import os
import re
import subprocess
import time

from s3fixtures import S3UP, engine_args

MiB = 1024 * 1024

# moto (werkzeug): 127.0.0.1 - - [date] "PUT /bucket/key HTTP/1.1" 200 -
_MOTO_LINE = re.compile(r'"(GET|PUT|POST|DELETE|HEAD|PATCH) (\S+) HTTP/[\d.]+" (\d{3})')
# s3-testserver --log: 2026-11-25T00:31:08.000Z PUT /bucket/key 200 PutObject - 1
_TESTSERVER_LINE = re.compile(r"(?m)^\S+ (GET|PUT|POST|DELETE|HEAD|PATCH) (\S+) (\d{3}) (\S+)")
MUTATING = ("PUT", "POST", "DELETE", "PATCH")

# S3UP_BACKEND=testserver: the Moto fixture is s3-testserver (see s3fixtures.Moto).
TESTSERVER = os.environ.get("S3UP_BACKEND") == "testserver"


def write_files(root, files):
    """Writes {relative path: bytes} under root; returns files."""
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return files


def assert_stored(test, client, bucket, prefix, files, every=1):
    """Each of files ({relative path: bytes}; every `every`th of them) reads back from bucket
    under prefix ("": at the bucket's top) byte for byte (compared whole; a failure names the file
    and both sizes, not megabytes of bytes)."""
    for rel in list(files)[::every]:
        key = f"{prefix}/{rel}" if prefix else rel
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        test.assertTrue(body == files[rel],
                        f"{rel}: the bytes read back differ ({len(body)} read, {len(files[rel])} sent)")


def mtime_meta(path):
    """The x-amz-meta-mtime value s3up stores for the file: seconds with 9 decimals."""
    ns = os.stat(path).st_mtime_ns
    return f"{ns // 10**9}.{ns % 10**9:09d}"


class RequestLog:
    """The requests the endpoint received, from its request log: mark() before a run, since()
    after it gives [(method, path, status)] of what that run sent. moto logs a request before
    its response goes out, s3-testserver just after: for it, since() waits until the log holds
    every request its statistics counted."""

    def __init__(self, endpoint):
        self.server = getattr(endpoint, "server", None)  # s3-testserver
        self.path = (endpoint.request_log if self.server else
                     os.path.join(endpoint.workdir, "moto.log"))
        self.offset = 0
        self.counted = 0

    def mark(self):
        if self.server:
            self.counted = self.server.stats()["requests"]
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def _read(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
        if not self.server:
            return [(m.group(1), m.group(2), int(m.group(3))) for m in _MOTO_LINE.finditer(text)]
        return [(m.group(1), m.group(2), int(m.group(3))) for m in _TESTSERVER_LINE.finditer(text)
                if m.group(4) != "Internal"]

    def since(self):
        requests = self._read()
        if self.server:
            expected = self.server.stats()["requests"] - self.counted
            deadline = time.monotonic() + 5
            while len(requests) < expected and time.monotonic() < deadline:
                time.sleep(0.02)
                requests = self._read()
        return requests

    def mutating(self):
        return [r for r in self.since() if r[0] in MUTATING]

    def put_keys(self, bucket):
        """Keys of the PutObject requests since mark() (path style, plain names only)."""
        head = f"/{bucket}/"
        return sorted(p[len(head):] for m, p, _ in self.since()
                      if m == "PUT" and p.startswith(head) and "?" not in p)


def read_json(path):
    with open(path) as f:
        doc = json.load(f)
    os.unlink(path)
    return doc


def run_merged(args, env, secret, timeout=300):
    """Runs s3up with stderr and stdout in one pipe (to see their order); asserts the secret
    appears nowhere. Returns (returncode, output)."""
    proc = subprocess.run([S3UP] + engine_args() + [str(a) for a in args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert secret not in proc.stdout, "the secret key appeared in s3up's output"
    return proc.returncode, proc.stdout
