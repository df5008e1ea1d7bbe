"""Ceph RGW (Debian's radosgw 16.2, a production S3 server) on 127.0.0.1 for the integration
tests: a single-node cluster (one monitor, one RAM-backed memstore OSD, radosgw's beast frontend
over HTTP and HTTPS) started in one temporary folder, with a user of known keys and BUCKET.
../shared/TESTING.md section 5 has the recipe and its pitfalls. Nothing listens anywhere but on
loopback, cephx is off, and every daemon is killed with its process group when the cluster
stops, when its start fails, when the test process exits, or (PR_SET_PDEATHSIG) when the test
process itself is killed."""
import atexit
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import boto3
from botocore.config import Config

from s3fixtures import (BUCKET, REGION, BucketReadBack, fresh_dir, free_port, rmtree,
                        wait_for_port)
from testserver import make_self_signed_cert

DAEMONS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph")
# Debian's packages needed by RgwCluster (scripts/install-deps.sh installs them).
PACKAGES = ("radosgw", "ceph-mon", "ceph-osd", "ceph-common")


def available():
    """None when the Ceph binaries are installed, else a reason to skip."""
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        return (f"Ceph RGW is not installed ({', '.join(missing)} missing): "
                f"apt-get install --no-install-recommends {' '.join(PACKAGES)}")
    return None


def _die_with_parent():
    """In the child before exec: its own process group (so that stop() kills it and anything
    it forks) and SIGKILL when the test process dies, however it dies (strictly: when the
    thread that started it ends, so start the cluster on the main thread)."""
    os.setpgid(0, 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class RgwCluster(BucketReadBack):
    """One monitor, one memstore OSD and radosgw, started in a fresh folder; a user whose keys
    are access_key/secret_key and the bucket BUCKET. url is plain HTTP, https_url the same
    gateway over TLS with the self-signed certificate `cert` (pass it as --ca-bundle).
    The interface is s3fixtures.Moto's: client(), and from BucketReadBack keys(), objects(),
    open_multipart_uploads(), env() (s3up's environment: these keys, no other AWS_ variable);
    stop()."""

    access_key = "S3UPRGWTESTACCESSKEY"
    secret_key = "s3up-rgw-test-secret-do-not-print-0123456"
    start_timeout = 120.0

    def __init__(self, memstore_bytes=2 << 30):
        reason = available()
        if reason:
            raise RuntimeError(reason)
        self.dir = fresh_dir("s3up-rgw-")
        self.procs = {}
        self.stopped = False
        self.startup_seconds = None
        self.steps = []  # (what, seconds since the start): where the start-up time goes
        atexit.register(self.stop)
        started = self.started = time.monotonic()
        try:
            self._configure(memstore_bytes)
            self._start()
        except BaseException:
            sys.stderr.write(f"RGW cluster failed to start in {time.monotonic() - started:.1f} s\n")
            self.print_logs()
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    # ---- configuration

    def _path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _configure(self, memstore_bytes):
        for d in ("run", "log", "mon", "osd", "rgw"):
            os.makedirs(self._path(d))
        self.mon_port = free_port()
        self.port = free_port()
        self.https_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.https_url = f"https://127.0.0.1:{self.https_port}"
        self.cert, self.key = make_self_signed_cert(self.dir)
        self.fsid = str(uuid.uuid4())
        self.conf = self._path("ceph.conf")
        d = self.dir
        frontends = (f"beast endpoint=127.0.0.1:{self.port}"
                     f" ssl_endpoint=127.0.0.1:{self.https_port}"
                     f" ssl_certificate={self.cert} ssl_private_key={self.key}")
        with open(self.conf, "w") as f:
            f.write(f"""[global]
fsid = {self.fsid}
mon host = v2:127.0.0.1:{self.mon_port}
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = {d}/run
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
log to stderr = false
err to stderr = false
mon cluster log file = {d}/log/cluster.log
crash dir = {d}/run
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
osd crush chooseleaf type = 0
# The monitor stops below 5% free disk by default: the data is in RAM, the disk barely used.
mon data avail crit = 1
mon data avail warn = 2
# The monitor proposes a change every 0.1 s instead of every second: RGW creates its pools
# one after another (four before it listens, more at the first bucket and object), and the
# start-up takes 3 s instead of 16.
paxos propose interval = 0.1
paxos min wait = 0.01

[mon]
mon data = {d}/mon

[osd]
osd data = {d}/osd
osd objectstore = memstore
memstore device bytes = {memstore_bytes}

[client]
auth client required = none
ms mon client mode = crc
ms client mode = crc
rgw data = {d}/rgw
rgw frontends = {frontends}
""")

    # ---- processes

    def _redact(self, text):
        return text.replace(self.secret_key, "<secret>")

    def _run(self, *cmd, timeout=60):
        """A one-shot Ceph command against this cluster; the command and its output go to
        log/commands.log, with the secret key (radosgw-admin's argument and reply) redacted."""
        line = self._redact(" ".join(cmd))
        with open(self._path("log", "commands.log"), "a") as log:
            log.write(f"$ {line}\n")
            log.flush()
            proc = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, errors="replace", timeout=timeout,
                                  preexec_fn=_die_with_parent)
            out = self._redact(proc.stdout + proc.stderr)
            log.write(out if out.endswith("\n") or not out else out + "\n")
        if proc.returncode != 0:
            raise RuntimeError(f"{line[:200]} exited with {proc.returncode}: "
                               f"{self._redact(proc.stderr)[-2000:]}")
        return proc.stdout

    def _ceph(self, *args, timeout=60):
        return self._run("ceph", "-c", self.conf, "--connect-timeout", "30", *args,
                         timeout=timeout)

    def _daemon(self, name, *cmd):
        """A daemon in the foreground (-f), in its own process group; stderr to log/NAME.out."""
        out = open(self._path("log", f"{name}.out"), "ab")
        self.procs[name] = subprocess.Popen(
            list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        out.close()

    def _step(self, what):
        self.steps.append((what, round(time.monotonic() - self.started, 1)))

    def _start(self):
        monmap = self._path("monmap")
        self._run("monmaptool", "--create", "--clobber", "--fsid", self.fsid,
                  "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", monmap)
        self._run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap)
        self._daemon("mon", "ceph-mon", "-c", self.conf, "-f", "-i", "a")
        self._wait_port(self.mon_port, "mon")
        self._step("mon listening")
        osd_uuid = str(uuid.uuid4())
        osd_id = self._ceph("osd", "new", osd_uuid).strip()
        self._step("osd created")
        self._run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self._daemon("osd", "ceph-osd", "-c", self.conf, "-f", "-i", osd_id)
        self._wait(lambda: '"num_up_osds":1' in self._ceph("osd", "stat", "-f", "json")
                   .replace(" ", ""), "the OSD to come up")
        self._step("osd up")
        self._daemon("rgw", "radosgw", "-c", self.conf, "-f", "-n", "client.rgw")
        self._wait_port(self.port, "rgw")
        self._wait_port(self.https_port, "rgw")
        self._step("rgw listening")
        self._run("radosgw-admin", "-c", self.conf, "user", "create", "--uid", "s3up",
                  "--display-name", "s3up tests", "--access-key", self.access_key,
                  "--secret-key", self.secret_key)
        self._step("user created")
        self.client().create_bucket(Bucket=BUCKET)
        self._step("bucket created")
        # radosgw listens on ssl_endpoint even when it could not load the certificate.
        self.client(https=True).head_bucket(Bucket=BUCKET)
        self._step("https answers")

    def _check_alive(self, what):
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode} while waiting for {what}")

    def _wait(self, ready, what):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self._check_alive(what)
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {self.start_timeout:.0f} s waiting for {what}")

    def _wait_port(self, port, name):
        def listening():
            try:
                wait_for_port(port, timeout=0.3)
                return True
            except RuntimeError:
                return False
        self._wait(listening, f"{name} to listen on 127.0.0.1:{port}")

    def stop(self):
        """Kills every daemon's process group and removes the folder (kept, and named on
        stderr, when S3UP_KEEP_RGW is set)."""
        if self.stopped:
            return
        self.stopped = True
        atexit.unregister(self.stop)
        # SIGKILL at once: the data is in RAM and thrown away, and ceph-osd takes seconds to
        # honour SIGTERM. The group, so that anything a daemon forked goes too.
        for p in self.procs.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.procs.values():
            p.wait()
        if os.environ.get("S3UP_KEEP_RGW"):
            sys.stderr.write(f"RGW cluster folder kept: {self.dir}\n")
        else:
            rmtree(self.dir)

    # ---- logs

    def print_logs(self, lines=40, out=None):
        """The last lines of every log of the cluster, for a failure's output."""
        out = out or sys.stderr
        logdir = self._path("log")
        if not os.path.isdir(logdir):
            return
        for name in sorted(os.listdir(logdir)):
            path = os.path.join(logdir, name)
            try:
                with open(path, "rb") as f:
                    f.seek(0, os.SEEK_END)
                    f.seek(max(0, f.tell() - 200 * lines))
                    tail = f.read().decode(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            if tail:
                out.write(f"---- {path} (last {len(tail)} lines)\n" + "\n".join(tail) + "\n")
        out.flush()

    # ---- the bucket, read back

    def client(self, https=False):
        return boto3.client(
            "s3", endpoint_url=self.https_url if https else self.url, region_name=REGION,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            verify=self.cert,
            # RGW 16 refuses the aws-chunked uploads with trailing checksums that botocore
            # sends by default since 1.36; reading back needs no checksum either.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))

    def delete_prefix(self, prefix):
        """Frees the OSD's memory after a large test."""
        c = self.client()
        for k in self.keys(prefix):
            c.delete_object(Bucket=BUCKET, Key=k)


if __name__ == "__main__":
    # python3 rgw.py: start a cluster, say how long it took, stop it.
    t = time.monotonic()
    cluster = RgwCluster()
    print(f"RGW up in {cluster.startup_seconds:.1f} s at {cluster.url} and {cluster.https_url}")
    print("steps:", ", ".join(f"{what} at {at} s" for what, at in cluster.steps))
    print("buckets:", [b["Name"] for b in cluster.client(https=True).list_buckets()["Buckets"]])
    if os.environ.get("S3UP_RGW_HOLD"):
        input("press Enter to stop ")
    cluster.stop()
    print(f"stopped; {time.monotonic() - t:.1f} s in all")
