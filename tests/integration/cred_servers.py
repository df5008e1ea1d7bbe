"""Local emulators of the places AWS credentials come from, and a recording proxy in front of
moto, for the credential provider tests (test_credentials.py). Everything listens on 127.0.0.1
on ephemeral ports and runs in threads of the test process; standard library only, except the
moto fixture and the STS client (boto3), which hands out real moto session credentials.

- MotoIam: moto with SigV4 checking on, bootstrapped with an IAM user, a role and a bucket.
- KeyRegistry: every credential set the emulators issued, with its advertised expiration.
- ImdsEmulator (IMDSv2), ContainerEmulator (ECS / EKS Pod Identity endpoint), SsoPortalEmulator
  (IAM Identity Center GetRoleCredentials): each fetch of credentials assumes the role in moto
  again (fresh ASIA... keys that moto's S3 accepts) and advertises its own short expiration.
- RecordingProxy: a forwarding HTTP/1.1 proxy for the S3 traffic that records the access key
  of every request, and answers ExpiredToken, as S3 does, to a request signed with an issued
  key whose advertised expiration has passed (or, on demand, to the first request signed with a
  given key), so that a test proves no request was signed with expired credentials.
- StsFront: the same proxy in front of moto's STS: records every AssumeRole /
  AssumeRoleWithWebIdentity (who signed it, RoleArn, RoleSessionName, ExternalId,
  DurationSeconds...) and what it returned, and signs the unsigned AssumeRoleWithWebIdentity
  that moto 5.2 would otherwise fail with a 500 once its unauthenticated actions are used up.

No secret is ever logged or printed by these servers."""
import datetime
import http.client
import json
import os
import re
import secrets as _secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

from s3fixtures import MotoProcess

REGION = "us-east-1"
BUCKET = "test-bucket"
ACCOUNT = "123456789012"  # moto's default account


def iso8601(epoch):
    """'2026-12-02T03:04:05Z' (what IMDS, the container endpoint and STS write)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# ---------------------------------------------------------------------------------------------
# moto with IAM: a user, a role, a bucket; SigV4 checked on every later request.

class MotoIam(MotoProcess):
    """moto in its own process with signature checking on (TESTING.md sections 1 and 7). The
    first BOOTSTRAP_ACTIONS requests are served unauthenticated: create the user, its access key
    and policy, the role and its policy, and the bucket. From then on every request (S3, STS,
    IAM) must be signed with a key moto issued: the user's AKIA key or ASIA keys from AssumeRole.
    AssumeRoleWithWebIdentity is never signed (moto reads no signature for it)."""

    BOOTSTRAP_ACTIONS = 6  # user, access key, user policy, role, role policy, bucket
    ROLE_NAME = "s3up-role"

    def __init__(self, workdir=None):
        self._own_workdir = workdir is None  # removed by stop() (unless S3UP_KEEP_MOTO_LOG)
        self.workdir = workdir or tempfile.mkdtemp(prefix="s3up-motoiam-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.BOOTSTRAP_ACTIONS)
        self.proc = None
        try:
            # _start waits with a bare connect: an HTTP probe would count as an action.
            self._start(self.workdir, env)
            self.url = f"http://127.0.0.1:{self.port}"
            self._bootstrap()
        except BaseException:
            self.stop()
            raise

    def _bootstrap(self):
        kw = dict(endpoint_url=self.url, region_name=REGION, aws_access_key_id="boot",
                  aws_secret_access_key="boot")
        iam = boto3.client("iam", **kw)
        allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        iam.create_user(UserName="up")                                        # 1
        key = iam.create_access_key(UserName="up")["AccessKey"]               # 2
        iam.put_user_policy(UserName="up", PolicyName="all",                  # 3
                            PolicyDocument=allow_all)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            # moto matches a principal exactly (the user's ARN, or an assumed role's for a
            # chain of roles): "*" lets both in.
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": "oidc.example.test"},
             "Action": "sts:AssumeRoleWithWebIdentity"}]})
        role = iam.create_role(RoleName=self.ROLE_NAME,                       # 4
                               AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName=self.ROLE_NAME, PolicyName="all",        # 5
                            PolicyDocument=allow_all)
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        self.role_arn = role["Arn"]
        self.client().create_bucket(Bucket=BUCKET)                            # 6

    def client(self, service="s3"):
        """A boto3 client signed with the IAM user's keys, straight to moto."""
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 2}))

    def log_offset(self):
        self.log.flush()
        return os.path.getsize(os.path.join(self.workdir, "moto.log"))

    def requests_since(self, offset):
        """[(method, path, status)] moto logged after `offset` (see log_offset)."""
        with open(os.path.join(self.workdir, "moto.log"), "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        return [(m.group(1), m.group(2), int(m.group(3))) for m in re.finditer(
            r'"(GET|PUT|POST|DELETE|HEAD) (\S+) HTTP/[\d.]+" (\d{3})', text)]

    def stop(self):
        if self.proc is not None:
            super().stop()
        if self._own_workdir and not os.environ.get("S3UP_KEEP_MOTO_LOG"):
            shutil.rmtree(self.workdir, ignore_errors=True)


class StsIssuer:
    """Fresh temporary credentials from moto's STS: AssumeRole of the moto role, signed with the
    IAM user's keys, so that moto's S3 accepts them. One boto3 client, used under a lock."""

    def __init__(self, moto, session_name="s3up-emulator"):
        self.moto = moto
        self.session_name = session_name
        self._sts = moto.client("sts")
        self._lock = threading.Lock()

    def issue(self):
        """{"AccessKeyId", "SecretAccessKey", "SessionToken"} of a new session."""
        with self._lock:
            c = self._sts.assume_role(RoleArn=self.moto.role_arn,
                                      RoleSessionName=self.session_name)["Credentials"]
        return {k: c[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


# ---------------------------------------------------------------------------------------------
# What was issued.

class IssuedKey:
    __slots__ = ("access_key_id", "secret", "token", "expiration", "source", "issued_at")

    def __init__(self, access_key_id, secret, token, expiration, source, issued_at):
        self.access_key_id = access_key_id
        self.secret = secret
        self.token = token
        self.expiration = expiration  # epoch seconds as advertised, or None (long-term)
        self.source = source
        self.issued_at = issued_at

    def __repr__(self):  # no secret
        return (f"IssuedKey({self.access_key_id}, source={self.source}, "
                f"expires={iso8601(self.expiration) if self.expiration else None})")


class KeyRegistry:
    """Every credential set handed out during a test, with the expiration its issuer advertised.
    Emulators add to it; other issuers (a credential_process script) can append one JSON line
    per issue, {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration": epoch}, to a
    file given to watch_file()."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys = {}
        self._order = []
        self._files = {}  # path -> bytes already read
        self._extra_secrets = set()

    def add(self, access_key_id, secret, token, expiration, source):
        key = IssuedKey(access_key_id, secret, token, expiration, source, time.time())
        with self._lock:
            self._keys[access_key_id] = key
            self._order.append(key)
        return key

    def add_secret(self, value):
        """Something else that must never be printed (an SSO or web identity token...)."""
        with self._lock:
            self._extra_secrets.add(value)

    def watch_file(self, path):
        with self._lock:
            self._files.setdefault(path, 0)

    def _read_files(self):
        for path, done in list(self._files.items()):
            try:
                with open(path, "rb") as f:
                    f.seek(done)
                    data = f.read()
            except FileNotFoundError:
                continue
            end = data.rfind(b"\n") + 1
            self._files[path] = done + end
            for line in data[:end].splitlines():
                if not line.strip():
                    continue
                d = json.loads(line)
                key = IssuedKey(d["AccessKeyId"], d.get("SecretAccessKey"), d.get("SessionToken"),
                                d.get("Expiration"), d.get("Source", os.path.basename(path)),
                                d.get("IssuedAt", time.time()))
                self._keys[key.access_key_id] = key
                self._order.append(key)

    def lookup(self, access_key_id):
        with self._lock:
            if access_key_id not in self._keys and self._files:
                self._read_files()
            return self._keys.get(access_key_id)

    def issued(self, source=None):
        """IssuedKey objects in the order they were issued (of one source when given)."""
        with self._lock:
            self._read_files()
            return [k for k in self._order if source is None or k.source == source]

    def secrets(self):
        """Every secret key, session token and extra secret known: none may ever be printed."""
        with self._lock:
            self._read_files()
            out = set(self._extra_secrets)
            for k in self._order:
                out.update(v for v in (k.secret, k.token) if v)
            return out


# ---------------------------------------------------------------------------------------------
# Credential endpoint emulators.

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # s3up opens up to --concurrency connections at once (64 threads in the threaded engine):
    # socketserver's default backlog of 5 would drop or reset some of them.
    request_queue_size = 256

    def __init__(self, handler, owner):
        self.owner = owner
        self.connections = 0
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), handler)

    def process_request(self, request, client_address):
        with self._open_lock:
            self.connections += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that resets or drops a keep-alive connection is no error worth a traceback
        # on the test's stderr; anything else is printed as socketserver does.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def close_open_connections(self):
        with self._open_lock:
            socks = list(self._open)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Served:
    """A local HTTP server of this module on its own thread: `port`, `connections`, `stop()`,
    and use as a context manager."""

    def _start_serving(self, handler):
        self._server = _Server(handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def connections(self):
        """TCP connections accepted so far (fewer than requests: keep-alive works)."""
        return self._server.connections

    def stop(self):
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection is closed after this

    def log_message(self, format, *args):  # quiet: the owner records what matters
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self):
        self.read_body()
        owner = self.server.owner
        started = time.time()
        try:
            status, body, ctype, headers = owner._handle(self)
        except Exception as e:  # a bug in an emulator: say so, never hang the client
            status, body, ctype, headers = 500, f"emulator error: {type(e).__name__}", \
                "text/plain", ()
        owner._record(started, self.command, self.path, status)
        self.reply(status, body, ctype, headers)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _serve


class CredentialEmulator(_Served):
    """Base of the emulators: a ThreadingHTTPServer on 127.0.0.1, and credentials issued by
    `issuer` (a StsIssuer, or any object with issue()) advertised to live `lifetime` seconds.
    Expirations are whole seconds, so that the advertised one (ISO 8601) is exactly the recorded
    one.

    fail_after=N: after N credential documents have been served, every later request is answered
    with fail_status (the service broke). `failing` can also be set at any time.

    requests: [(time, method, path, status)] of every request served; credentials_served: how
    many credential documents went out."""

    source = "emulator"

    def __init__(self, issuer, registry, lifetime=6.0, fail_after=None, fail_status=500,
                 source=None):
        if source:
            self.source = source  # the registry's name for what this server issues
        self.issuer = issuer
        self.registry = registry
        self.lifetime = lifetime
        self.fail_after = fail_after
        self.fail_status = fail_status
        self.failing = False
        self.requests = []
        self.credentials_served = 0
        self._lock = threading.Lock()
        self._start_serving(_Handler)
        self.base_url = f"http://127.0.0.1:{self.port}"

    def _record(self, t, method, path, status):
        with self._lock:
            self.requests.append((t, method, path, status))

    def new_credentials(self):
        """Issues a credential set now; returns (dict with AccessKeyId, SecretAccessKey,
        SessionToken, expiration epoch)."""
        creds = self.issuer.issue()
        expiration = int(time.time()) + int(round(self.lifetime))
        self.registry.add(creds["AccessKeyId"], creds["SecretAccessKey"],
                          creds.get("SessionToken"), expiration, self.source)
        with self._lock:
            self.credentials_served += 1
            if self.fail_after is not None and self.credentials_served >= self.fail_after:
                self.failing = True
        return creds, expiration

    def _handle(self, req):
        if self.failing:
            return self.fail_status, self._failure_body(), "application/json", ()
        return self.handle(req)

    def _failure_body(self):
        return {"message": "service unavailable (emulated failure)"}

    def handle(self, req):  # -> (status, body, content type, extra headers)
        raise NotImplementedError


class ImdsEmulator(CredentialEmulator):
    """EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (header
    X-aws-ec2-metadata-token-ttl-seconds, 1..21600) returns a session token; GET
    /latest/meta-data/iam/security-credentials/ returns the role name and .../ROLE the role's
    credentials, both only with a valid X-aws-ec2-metadata-token header (401 otherwise). Other
    paths are 404. Point AWS_EC2_METADATA_SERVICE_ENDPOINT at `url`."""

    source = "imds"
    PREFIX = "/latest/meta-data/iam/security-credentials/"

    def __init__(self, issuer, registry, role="s3up-instance-role", **kw):
        self.role = role
        self._tokens = {}  # token -> expiry
        super().__init__(issuer, registry, **kw)
        self.url = self.base_url

    def handle(self, req):
        path = urllib.parse.urlsplit(req.path).path
        if path == "/latest/api/token":
            if req.command != "PUT":
                return 405, "", "text/plain", ()
            if req.headers.get("X-Forwarded-For"):
                return 403, "", "text/plain", ()
            try:
                ttl = int(req.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                return 400, "", "text/plain", ()
            if not 1 <= ttl <= 21600:
                return 400, "", "text/plain", ()
            token = "imds-" + _secrets.token_urlsafe(24)
            with self._lock:
                self._tokens[token] = time.time() + ttl
            self.registry.add_secret(token)
            return 200, token, "text/plain", [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))]
        if req.command != "GET":
            return 405, "", "text/plain", ()
        token = req.headers.get("X-aws-ec2-metadata-token")
        with self._lock:
            valid = token is not None and self._tokens.get(token, 0) > time.time()
        if not valid:
            return 401, "", "text/plain", ()
        if path in (self.PREFIX, self.PREFIX.rstrip("/")):
            return 200, self.role, "text/plain", ()
        if path == self.PREFIX + self.role:
            creds, expiration = self.new_credentials()
            now = time.time()
            return 200, {"Code": "Success", "LastUpdated": iso8601(now), "Type": "AWS-HMAC",
                         "AccessKeyId": creds["AccessKeyId"],
                         "SecretAccessKey": creds["SecretAccessKey"],
                         "Token": creds["SessionToken"],
                         "Expiration": iso8601(expiration)}, "text/plain", ()
        return 404, "", "text/plain", ()

    def _failure_body(self):
        return ""


class ContainerEmulator(CredentialEmulator):
    """The ECS / EKS Pod Identity container credentials endpoint: GET `path` answers
    {AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn} when the Authorization header
    equals `token` (401 otherwise; no check when token is None). `token` can be changed at any
    time (a rotated token file). Point AWS_CONTAINER_CREDENTIALS_FULL_URI at `url`."""

    source = "container"

    def __init__(self, issuer, registry, token=None, path="/creds", **kw):
        self.token = token
        self.path = path
        if token:
            registry.add_secret(token)
        super().__init__(issuer, registry, **kw)
        self.url = self.base_url + path

    def set_token(self, token):
        self.registry.add_secret(token)
        self.token = token

    def handle(self, req):
        if req.command != "GET" or urllib.parse.urlsplit(req.path).path != self.path:
            return 404, {"message": "not found"}, "application/json", ()
        if self.token is not None and req.headers.get("Authorization") != self.token:
            return 401, {"code": "AccessDeniedException",
                         "message": "Authorization token is invalid"}, "application/json", ()
        creds, expiration = self.new_credentials()
        return 200, {"AccessKeyId": creds["AccessKeyId"],
                     "SecretAccessKey": creds["SecretAccessKey"],
                     "Token": creds["SessionToken"],
                     "Expiration": iso8601(expiration),
                     "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{MotoIam.ROLE_NAME}"}, \
            "application/json", ()


class SsoPortalEmulator(CredentialEmulator):
    """The IAM Identity Center portal's GetRoleCredentials: GET
    /federation/credentials?account_id=A&role_name=R with header x-amz-sso_bearer_token
    answers {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (epoch
    milliseconds)}}. A missing or wrong token is 401 UnauthorizedException, an unknown account or
    role 403 ForbiddenException. Point AWS_ENDPOINT_URL_SSO at `url`."""

    source = "sso"

    def __init__(self, issuer, registry, access_token, account_id, role_name, **kw):
        self.access_token = access_token
        self.account_id = account_id
        self.role_name = role_name
        registry.add_secret(access_token)
        super().__init__(issuer, registry, **kw)
        self.url = self.base_url

    def handle(self, req):
        parts = urllib.parse.urlsplit(req.path)
        if req.command != "GET" or parts.path != "/federation/credentials":
            return 404, {"message": "not found"}, "application/json", ()
        if req.headers.get("x-amz-sso_bearer_token") != self.access_token:
            return 401, {"message": "Session token not found or invalid"}, \
                "application/json", [("x-amzn-ErrorType", "UnauthorizedException")]
        q = urllib.parse.parse_qs(parts.query)
        if q.get("account_id") != [self.account_id] or q.get("role_name") != [self.role_name]:
            return 403, {"message": "No access"}, "application/json", \
                [("x-amzn-ErrorType", "ForbiddenException")]
        creds, expiration = self.new_credentials()
        return 200, {"roleCredentials": {"accessKeyId": creds["AccessKeyId"],
                                         "secretAccessKey": creds["SecretAccessKey"],
                                         "sessionToken": creds["SessionToken"],
                                         "expiration": expiration * 1000}}, \
            "application/json", ()


# ---------------------------------------------------------------------------------------------
# The recording proxy.

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
               "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}

EXPIRED_TOKEN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code>'
                      b'<Message>The provided token has expired.</Message>'
                      b'<RequestId>S3UPPROXY0001</RequestId><HostId>s3up-proxy</HostId></Error>')


class ProxyRequest:
    __slots__ = ("time", "method", "path", "access_key_id", "status", "answered", "sts_action",
                 "sts_params")

    def __init__(self, t, method, path, access_key_id):
        self.time = t
        self.method = method
        self.path = path
        self.access_key_id = access_key_id
        self.status = None
        # "forwarded"; "expired" (the key's advertised expiration had passed); "forced" (an
        # ExpiredToken asked for by reject_first_request_of); "upstream-error"
        self.answered = None
        self.sts_action = None  # StsFront only
        self.sts_params = {}

    def __repr__(self):
        return (f"<{time.strftime('%H:%M:%S', time.localtime(self.time))}"
                f".{int(self.time * 1000) % 1000:03d} {self.method} {self.path} "
                f"{self.access_key_id} -> {self.status} {self.answered}>")


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def log_message(self, format, *args):
        pass

    def _read_request_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _answer(self, status, reason, headers, body, length=None):
        """Sends a reply; `length` is the Content-Length of a HEAD reply (no body follows)."""
        self.send_response_only(status, reason)
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if no_body:
            if length is not None:
                self.send_header("Content-Length", length)
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not no_body:
            self.wfile.write(body)

    def _serve(self):
        proxy = self.server.owner
        arrived = time.time()  # the request line and headers are in
        auth = self.headers.get("Authorization") or ""
        m = _CREDENTIAL.search(auth)
        if m:
            akid = m.group(1)
        else:  # a presigned URL, or no signature at all
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            akid = (q.get("X-Amz-Credential") or [""])[0].split("/")[0] or None
        entry = ProxyRequest(arrived, self.command, self.path, akid)
        had_length = self.headers.get("Content-Length") is not None
        body = self._read_request_body()
        verdict = proxy._verdict(akid, arrived)
        if verdict:
            entry.answered, entry.status = verdict, 400
            proxy._record(entry)
            self._answer(400, "Bad Request", [("Content-Type", "application/xml"),
                                              ("x-amz-request-id", "S3UPPROXY0001")],
                         EXPIRED_TOKEN_BODY)
            return
        headers = [(n, v) for n, v in self.headers.items()
                   if n.lower() not in _HOP_BY_HOP and n.lower() != "content-length"]
        try:
            headers, body = proxy.rewrite(self.command, self.path, headers, body, entry)
            if body or had_length:
                headers.append(("Content-Length", str(len(body))))
            status, reason, rheaders, rbody = proxy._forward(self.command, self.path,
                                                             headers, body)
            proxy.observe(entry, body, status, rbody)
        except Exception as e:
            entry.answered, entry.status = "upstream-error", 502
            proxy._record(entry)
            self._answer(502, "Bad Gateway", [("Content-Type", "text/plain")],
                         f"proxy: upstream failed: {type(e).__name__}: {e}".encode())
            return
        entry.answered, entry.status = "forwarded", status
        proxy._record(entry)
        length = next((v for n, v in rheaders if n.lower() == "content-length"), None)
        self._answer(status, reason, rheaders, rbody, length)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _serve


class RecordingProxy(_Served):
    """A forwarding HTTP/1.1 proxy to `upstream` (moto) for S3 requests; point s3up's
    --endpoint-url at `url`. Keep-alive on both sides of s3up's connections; headers (Host
    included, so that the SigV4 signature still holds) and bodies go through unchanged, on a
    fresh upstream connection per request. Every request is recorded in `log` (ProxyRequest:
    time of arrival, method, path, access_key_id from the Authorization header's Credential=,
    status, answered).

    A request signed with a key the registry knows, whose advertised expiration has passed when
    its headers arrive, is answered `400 ExpiredToken` as S3 does and never forwarded
    (answered = "expired"). reject_first_request_of(...) makes the first request signed with a
    given key (or with the first key a given source issues) get ExpiredToken although the key
    is still valid (answered = "forced")."""

    def __init__(self, upstream, registry):
        u = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = u.hostname, u.port or 80
        self.registry = registry
        self.log = []
        self._lock = threading.Lock()
        self._reject_keys = set()      # key ids whose first request gets ExpiredToken
        self._reject_first_of = set()  # sources whose first issued key gets it once
        self._rejected = set()
        self._start_serving(_ProxyHandler)
        self.url = f"http://127.0.0.1:{self.port}"

    def reject_first_request_of(self, access_key_id=None, source=None):
        """The first request signed with `access_key_id`, or with the first key that `source`
        ("imds", "container"...) issues, is answered ExpiredToken although the key is valid."""
        with self._lock:
            if access_key_id:
                self._reject_keys.add(access_key_id)
            if source:
                self._reject_first_of.add(source)

    def _verdict(self, akid, now):
        if not akid:
            return None
        key = self.registry.lookup(akid)
        with self._lock:
            if akid not in self._rejected:
                first_of = None
                if key is not None and key.source in self._reject_first_of:
                    firsts = self.registry.issued(key.source)
                    first_of = firsts[0].access_key_id if firsts else None
                if akid in self._reject_keys or akid == first_of:
                    self._rejected.add(akid)
                    return "forced"
        if key is not None and key.expiration is not None and now >= key.expiration:
            return "expired"
        return None

    def rewrite(self, method, path, headers, body, entry):
        """Hook: the headers and body to forward (the S3 proxy changes nothing)."""
        return headers, body

    def observe(self, entry, body, status, reply):
        """Hook: sees each forwarded request's body and the upstream reply."""

    def _record(self, entry):
        with self._lock:
            self.log.append(entry)

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            rbody = b"" if method == "HEAD" else resp.read()
            return resp.status, resp.reason, resp.getheaders(), rbody
        finally:
            conn.close()

    # What the tests look at.
    def requests(self, since=0):
        with self._lock:
            return list(self.log[since:])

    def mark(self):
        with self._lock:
            return len(self.log)

    def access_keys(self, since=0):
        """Distinct access key ids seen, in order of first use."""
        seen = []
        for r in self.requests(since):
            if r.access_key_id and r.access_key_id not in seen:
                seen.append(r.access_key_id)
        return seen

    def expired(self, since=0):
        """Requests that arrived signed with a key past its advertised expiration."""
        return [r for r in self.requests(since) if r.answered == "expired"]


class StsFront(RecordingProxy):
    """A recording proxy in front of moto's STS (point AWS_ENDPOINT_URL_STS at `url`).

    It records every STS call in `calls`: {"action", "access_key_id" (who signed, None when
    unsigned), "params" (RoleArn, RoleSessionName, ExternalId, DurationSeconds, SerialNumber...;
    never a token), "status", "issued" (the AccessKeyId of the credentials returned)}, and adds
    the credentials STS returned to the registry (source "sts", with their expiration) so that
    their secrets count among those that must never be printed.

    moto 5.2 fails (HTTP 500) an unsigned AssumeRoleWithWebIdentity once its unauthenticated
    actions are used up (it reads the Authorization header of every request), whereas real STS
    takes it unsigned. This front signs such a request with the IAM user's keys before it goes
    to moto, after recording its WebIdentityToken in `web_identity_tokens`."""

    def __init__(self, moto, registry):
        self.moto = moto
        self.calls = []
        self.web_identity_tokens = []
        super().__init__(moto.url, registry)

    def rewrite(self, method, path, headers, body, entry):
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                             keep_blank_values=True).items()}
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(
            urllib.parse.urlsplit(path).query).items()})
        entry.sts_action = params.get("Action")
        entry.sts_params = {k: v for k, v in params.items()
                            if k not in ("WebIdentityToken", "TokenCode", "Action", "Version")}
        signed = any(n.lower() == "authorization" for n, _ in headers)
        if params.get("Action") == "AssumeRoleWithWebIdentity":
            token = params.get("WebIdentityToken", "")
            with self._lock:
                self.web_identity_tokens.append(token)
            if token:
                self.registry.add_secret(token)
            if not signed:
                from botocore.auth import SigV4Auth
                from botocore.awsrequest import AWSRequest
                from botocore.credentials import Credentials
                ctype = next((v for n, v in headers if n.lower() == "content-type"),
                             "application/x-www-form-urlencoded; charset=utf-8")
                req = AWSRequest(method=method, url=self.moto.url + path, data=body,
                                 headers={"Content-Type": ctype})
                SigV4Auth(Credentials(self.moto.access_key, self.moto.secret_key), "sts",
                          REGION).add_auth(req)
                keep = [(n, v) for n, v in headers if n.lower() not in (
                    "host", "authorization", "x-amz-date", "content-type")]
                headers = keep + [("Host", f"127.0.0.1:{self.moto.port}")] + [
                    (n, v) for n, v in req.headers.items() if n.lower() != "host"]
        return headers, body

    def observe(self, entry, body, status, reply):
        issued = None
        text = reply.decode("utf-8", "replace")
        m = re.search(r"<Credentials>(.*?)</Credentials>", text, re.S)
        if m and status == 200:
            def field(name):
                f = re.search(rf"<{name}>(.*?)</{name}>", m.group(1), re.S)
                return f.group(1).strip() if f else None
            issued = field("AccessKeyId")
            exp = field("Expiration")
            expiration = None
            if exp:
                try:
                    expiration = datetime.datetime.fromisoformat(
                        exp.replace("Z", "+00:00")).timestamp()
                except ValueError:
                    expiration = None
            self.registry.add(issued, field("SecretAccessKey"), field("SessionToken"),
                              expiration, "sts")
        with self._lock:
            self.calls.append({"action": entry.sts_action,
                               "access_key_id": entry.access_key_id,
                               "params": entry.sts_params,
                               "status": status, "issued": issued})

    def actions(self, name=None):
        with self._lock:
            return [c for c in self.calls if name is None or c["action"] == name]
