"""The servers the clients upload to, all on 127.0.0.1: nginx (WebDAV PUT sink, HTTP and HTTPS)
and the project's s3-testserver --discard (multipart), with a self-signed certificate."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

from .common import BUCKET, free_port, log, sink_base, terminate, wait_port, work_dir


def make_cert() -> tuple[Path, Path]:
    """Self-signed certificate for IP:127.0.0.1 (and localhost), made with the openssl CLI."""
    d = work_dir() / "tls"
    d.mkdir(exist_ok=True)
    cert, key = d / "cert.pem", d / "key.pem"
    if not (cert.exists() and key.exists()):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
    return cert, key


_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, all its threads; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK   # utime, stime


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


class Sink:
    kind = ""          # "nginx" or "testserver"
    tls = False
    ca: Path | None = None
    url = ""
    multipart = False  # whether the sink accepts multipart uploads

    def clear(self) -> None: ...
    def verify(self, prefix: str, files: dict[str, int]) -> tuple[bool, str]: ...
    def stop(self) -> None: ...

    def cpu_seconds(self) -> float | None:
        """CPU the sink's processes have used so far (None: not known)."""
        return None


class Nginx:
    """One nginx process with an HTTP and an HTTPS server on the same root."""

    def __init__(self, cert: Path, key: Path, workers: int = 1):
        self.dir = work_dir() / "nginx"
        self.dir.mkdir(exist_ok=True)
        self.root = sink_base() / "nginx-root"
        self.tmp = sink_base() / "nginx-tmp"
        for d in (self.root, self.tmp):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            os.chmod(d, 0o777)
        self.http_port, self.https_port = free_port(), free_port()
        conf = self.dir / "nginx.conf"
        t = self.tmp
        conf.write_text(f"""
worker_processes {workers};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {t}/body;
  proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fastcgi;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_max_body_size 0;
  client_body_buffer_size 1m;
  server {{
    listen 127.0.0.1:{self.http_port} backlog=4096;
    root {self.root};
    location / {{ dav_methods PUT DELETE MKCOL; create_full_put_path on; dav_access user:rw group:rw all:r; }}
  }}
  server {{
    listen 127.0.0.1:{self.https_port} ssl backlog=4096;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    root {self.root};
    location / {{ dav_methods PUT DELETE MKCOL; create_full_put_path on; dav_access user:rw group:rw all:r; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "stderr.log", "wb"))
        if not (wait_port(self.http_port) and wait_port(self.https_port)):
            self.stop()
            raise RuntimeError(f"nginx did not start: see {self.dir}/error.log and stderr.log")
        log(f"nginx: http://127.0.0.1:{self.http_port} https://127.0.0.1:{self.https_port} root {self.root}")

    def cpu_seconds(self) -> float:
        """The master's and its workers' CPU so far (workers live as long as nginx here)."""
        pid = self.proc.pid
        return process_cpu(pid) + sum(process_cpu(c) for c in children(pid))

    def version(self) -> str:
        r = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
        return (r.stderr or r.stdout).strip().replace("nginx version: ", "")

    def stop(self) -> None:
        terminate(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        try:
            self.root.parent.rmdir()     # the per-run folder in /dev/shm, when nothing else is left
        except OSError:
            pass


class NginxSink(Sink):
    kind = "nginx"
    multipart = False

    def __init__(self, nginx: Nginx, tls: bool, cert: Path):
        self.nginx, self.tls = nginx, tls
        self.ca = cert if tls else None
        self.url = (f"https://127.0.0.1:{nginx.https_port}" if tls
                    else f"http://127.0.0.1:{nginx.http_port}")
        self.name = "nginx-https" if tls else "nginx-http"

    def cpu_seconds(self) -> float:
        return self.nginx.cpu_seconds()

    def clear(self) -> None:
        d = self.nginx.root / BUCKET
        if d.exists():
            shutil.rmtree(d)

    def verify(self, prefix: str, files: dict[str, int]) -> tuple[bool, str]:
        base = self.nginx.root / BUCKET / prefix.rstrip("/")
        got: dict[str, int] = {}
        chunked = 0
        if base.is_dir():
            for dirpath, _dirs, names in os.walk(base):
                for n in names:
                    p = Path(dirpath) / n
                    rel = p.relative_to(base).as_posix()
                    size = p.stat().st_size
                    if rel in files and size != files[rel]:
                        # nginx stores an aws-chunked body (chunk framing, trailing checksum)
                        # as it came; S3 would decode it: check the decoded length.
                        decoded = aws_chunked_length(p)
                        if decoded is not None:
                            size = decoded
                            chunked += 1
                    got[rel] = size
        ok, msg = compare(files, got)
        if chunked:
            msg += f"; {chunked} bodies sent aws-chunked (decoded length checked)"
        return ok, msg

    def stop(self) -> None:
        pass


def aws_chunked_length(path: Path) -> int | None:
    """Payload length of a file holding an aws-chunked body, or None if it is not one."""
    total = 0
    try:
        with open(path, "rb") as f:
            while True:
                line = f.readline(512)
                if not line.endswith(b"\r\n"):
                    return None
                try:
                    n = int(line[:-2].split(b";", 1)[0], 16)
                except ValueError:
                    return None
                if n == 0:
                    break
                total += n
                f.seek(n, 1)
                if f.read(2) != b"\r\n":
                    return None
            rest = f.read(4096)     # trailers (x-amz-checksum-...:...), then an empty line
            if rest and not rest.endswith(b"\r\n"):
                return None
    except OSError:
        return None
    return total


def compare(want: dict[str, int], got: dict[str, int]) -> tuple[bool, str]:
    missing = [k for k in want if k not in got]
    wrong = [k for k in want if k in got and got[k] != want[k]]
    extra = [k for k in got if k not in want]
    if not missing and not wrong and not extra:
        return True, f"{len(got)} objects, {sum(got.values())} bytes"
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if wrong:
        parts.append(f"{len(wrong)} wrong size (e.g. {wrong[0]}: {got[wrong[0]]} != {want[wrong[0]]})")
    if extra:
        parts.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
    return False, "; ".join(parts)


class TestServerSink(Sink):
    """s3-testserver --discard, restarted for every run so each run starts from an empty bucket."""
    kind = "testserver"
    multipart = True

    def __init__(self, binary: Path, tls: bool, cert: Path, key: Path, threads: int = 1):
        self.binary, self.tls, self.cert, self.key, self.threads = binary, tls, cert, key, threads
        self.ca = cert if tls else None
        self.name = "ts-https" if tls else "ts-http"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.dir = work_dir() / self.name
        self.dir.mkdir(exist_ok=True)
        self.start()
        log(f"{self.name}: {self.url} ({binary})")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [str(self.binary), "--port", "0", "--discard", "--bucket", BUCKET,
               "--threads", str(self.threads)]
        if self.tls:
            cmd += ["--tls-cert", str(self.cert), "--tls-key", str(self.key)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=open(self.dir / "stderr.log", "ab"), text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"s3-testserver did not start ({line.strip()!r}); see {self.dir}/stderr.log")
        self.port = int(line.strip().rsplit(":", 1)[1])
        if not wait_port(self.port):
            raise RuntimeError("s3-testserver is not accepting connections")

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None

    def cpu_seconds(self) -> float | None:
        return process_cpu(self.proc.pid) if self.proc else None

    def clear(self) -> None:
        self.stop()
        self.start()

    def _get(self, path: str) -> bytes:
        import ssl
        ctx = ssl.create_default_context(cafile=str(self.cert)) if self.tls else None
        with urllib.request.urlopen(self.url + path, timeout=30, context=ctx) as r:
            return r.read()

    def stats(self) -> dict:
        return json.loads(self._get("/__stats"))

    def list_objects(self, prefix: str) -> dict[str, int]:
        got: dict[str, int] = {}
        token = None
        while True:
            q = {"list-type": "2", "prefix": prefix, "max-keys": "1000"}
            if token:
                q["continuation-token"] = token
            root = ET.fromstring(self._get(f"/{BUCKET}?" + urllib.parse.urlencode(q)))
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            for c in root.findall(f"{ns}Contents"):
                key = c.findtext(f"{ns}Key")
                got[key[len(prefix):]] = int(c.findtext(f"{ns}Size"))
            if root.findtext(f"{ns}IsTruncated") == "true":
                token = root.findtext(f"{ns}NextContinuationToken")
            else:
                return got

    def verify(self, prefix: str, files: dict[str, int]) -> tuple[bool, str]:
        try:
            got = self.list_objects(prefix)
        except Exception as e:  # fall back to the counters
            try:
                st = self.stats()
            except Exception as e2:
                return False, f"cannot verify: ListObjectsV2 {e}; /__stats {e2}"
            if st.get("objects") == len(files) and not st.get("open_uploads"):
                return True, f"/__stats: {st.get('objects')} objects (sizes not checked: {e})"
            return False, f"/__stats: {st.get('objects')} objects, want {len(files)}"
        ok, msg = compare(files, got)
        if ok:
            try:
                st = self.stats()
                if st.get("open_uploads"):
                    return False, f"{msg}, but {st['open_uploads']} multipart uploads left open"
            except Exception:
                pass
        return ok, msg
