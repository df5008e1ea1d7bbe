"""Helpers for the feature tests (selection, sync, object settings, rate and progress): writing
small trees, reading what moto was sent from its request log, the JSON report, the mtime
metadata format. Loopback only, like s3fixtures."""
import json
import os
import re
import subprocess

from s3fixtures import S3UP

MiB = 1024 * 1024

# Werkzeug's access log line: 127.0.0.1 - - [date] "PUT /bucket/key HTTP/1.1" 200 -
_REQUEST = re.compile(r'"(GET|PUT|POST|DELETE|HEAD|PATCH) (\S+) HTTP/[\d.]+" (\d{3})')
MUTATING = ("PUT", "POST", "DELETE", "PATCH")


def write_files(root, files):
    """Writes {relative path: bytes} under root; returns files."""
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return files


def mtime_meta(path):
    """The x-amz-meta-mtime value s3up stores for the file: seconds with 9 decimals."""
    ns = os.stat(path).st_mtime_ns
    return f"{ns // 10**9}.{ns % 10**9:09d}"


class RequestLog:
    """The requests moto received, from its access log: mark() before a run, since() after it
    gives [(method, path, status)] of what that run sent (werkzeug logs a request before its
    response goes out, so the lines are there once the client has exited)."""

    def __init__(self, moto):
        self.path = os.path.join(moto.workdir, "moto.log")
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def since(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
        return [(m.group(1), m.group(2), int(m.group(3))) for m in _REQUEST.finditer(text)]

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
    proc = subprocess.run([S3UP] + [str(a) for a in args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert secret not in proc.stdout, "the secret key appeared in s3up's output"
    return proc.returncode, proc.stdout
