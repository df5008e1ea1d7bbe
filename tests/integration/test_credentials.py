"""The AWS credential provider chain, end to end: s3up finds credentials in each place aws-cli
looks (instance metadata, the container endpoint, IAM Identity Center, web identity, AssumeRole
profiles, credential_process), renews short-lived ones during a long upload, refreshes on
ExpiredToken, and stops with one clear message when there are none or they lapse for good.

moto checks every SigV4 signature (TESTING.md sections 1 and 7). The local emulators of
cred_servers.py hand out real moto session credentials that they advertise as living a few
seconds, and every S3 request goes through a recording proxy that answers ExpiredToken, as S3
does, to a request signed with a key past its advertised expiration: each rotating test proves
that s3up never sent one. Every run is read back byte for byte with boto3, and no secret key,
session token or bearer token may appear in s3up's output or report.

Before each successful s3up run, botocore is given the same environment and files (an
independent oracle: if botocore fails too, the test's setup is wrong, not s3up)."""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unittest

from s3fixtures import S3UP, engine_args, fresh_dir, free_port, rmtree
from cred_servers import (BUCKET, REGION, ContainerEmulator, ImdsEmulator, KeyRegistry,
                          MotoIam, RecordingProxy, SsoPortalEmulator, StsFront, StsIssuer,
                          iso8601)

KiB = 1024
MOTO = None  # one moto (IAM, STS, S3) for the whole file
# A port nobody listens on: the default instance metadata endpoint of every run, so that a chain
# that wrongly falls through to IMDS fails at once instead of waiting on 169.254.169.254.
CLOSED_PORT = free_port()

# botocore as an oracle: the credentials it finds with the same environment and files.
ORACLE = r"""
import json, sys, botocore.session
session = botocore.session.Session(profile=sys.argv[1] or None)
creds = session.get_credentials()
if creds is None:
    print(json.dumps(None))
else:
    frozen = creds.get_frozen_credentials()
    print(json.dumps({"method": creds.method, "access_key": frozen.access_key}))
"""


def setUpModule():
    global MOTO
    MOTO = MotoIam()


def tearDownModule():
    MOTO.stop()


class Run:
    def __init__(self, returncode, stdout, stderr, report, elapsed):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.report, self.elapsed = report, elapsed

    def __str__(self):
        return (f"exit {self.returncode} after {self.elapsed:.1f}s\n--- stdout\n{self.stdout}"
                f"--- stderr\n{self.stderr}")


class CredentialCase(unittest.TestCase):
    """Per test: a temp HOME (nothing of the machine's ~/.aws), a source tree, a key registry and
    a recording proxy in front of moto; key prefix cred/<test name>/."""

    def setUp(self):
        self.root = fresh_dir("s3up-cred-")
        self.addCleanup(rmtree, self.root)
        self.home = os.path.join(self.root, "home")
        self.src = os.path.join(self.root, "src")
        self.work = os.path.join(self.root, "work")
        for d in (self.home, self.src, self.work):
            os.makedirs(d)
        self.registry = KeyRegistry()
        # The IAM user's long-term key: known to the proxy (never expires), never printable.
        self.registry.add(MOTO.access_key, MOTO.secret_key, None, None, "iam-user")
        self.proxy = RecordingProxy(MOTO.url, self.registry)
        self.addCleanup(self.proxy.stop)
        self.issuer = StsIssuer(MOTO, session_name="s3up-" + self._testMethodName[:40])
        self.prefix = f"cred/{self._testMethodName}/"
        self.runs = 0

    # --- environment and files
    def env(self, **extra):
        """The environment s3up (and the oracle) runs with: nothing of AWS from the machine
        (which exports AWS_CA_BUNDLE), HOME in the temp dir, the region, and `extra` (a None
        value removes the variable)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        # botocore (the oracle) reads AWS_DEFAULT_REGION only; s3up reads both.
        env.update(HOME=self.home, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
                   AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{CLOSED_PORT}")
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def aws_file(self, name, text):
        path = os.path.join(self.home, ".aws", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def work_file(self, name, data, mode=0o600):
        path = os.path.join(self.work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def make_files(self, count, size):
        files = {}
        for i in range(count):
            rel = f"d{i % 3}/f{i:03}.bin"
            data = os.urandom(size)
            path = os.path.join(self.src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            files[rel] = data
        return files

    # --- running s3up
    def start(self, env, *extra):
        """Starts s3up on self.src -> s3://BUCKET/prefix through the proxy. Returns a handle for
        finish()."""
        self.runs += 1
        report = os.path.join(self.work, f"report-{self.runs}.json")
        out = open(os.path.join(self.work, f"stdout-{self.runs}"), "w+")
        err = open(os.path.join(self.work, f"stderr-{self.runs}"), "w+")
        args = [S3UP, *engine_args(), "--endpoint-url", self.proxy.url, "--progress", "none",
                "--json", report, *extra, self.src, f"s3://{BUCKET}/{self.prefix}"]
        started = time.monotonic()
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        return proc, out, err, report, started

    def finish(self, handle, timeout=120):
        proc, out, err, report, started = handle
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        out.close()
        err.close()
        report_text, doc = "", None
        if os.path.exists(report):
            with open(report) as f:
                report_text = f.read()
            doc = json.loads(report_text) if report_text.strip() else None
        for secret in self.registry.secrets():
            for name, text in (("stdout", stdout), ("stderr", stderr), ("report", report_text)):
                self.assertNotIn(secret, text, f"a secret appeared in s3up's {name}")
        return Run(proc.returncode, stdout, stderr, doc, elapsed)

    def run_s3up(self, env, *extra, timeout=120):
        return self.finish(self.start(env, *extra), timeout)

    # --- the oracle
    def oracle(self, env, profile=None, methods=None):
        """botocore's credentials for the same environment and files; asserts it found some
        (of one of `methods` when given) and returns its access key id."""
        proc = subprocess.run([sys.executable, "-c", ORACLE, profile or ""], env=env,
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, "botocore (oracle) failed: " + proc.stderr[-2000:])
        doc = json.loads(proc.stdout)
        self.assertIsNotNone(doc, "botocore (oracle) found no credentials: the setup is wrong")
        if methods:
            self.assertIn(doc["method"], methods, "botocore (oracle) used another provider")
        return doc["access_key"]

    # --- what arrived
    def assert_uploaded(self, files, run):
        got = MOTO.objects(self.prefix)
        self.assertEqual(sorted(got), sorted(self.prefix + rel for rel in files), str(run))
        for rel, data in files.items():
            self.assertEqual(got[self.prefix + rel], data, rel)

    def assert_ok(self, run, files, provider):
        self.assertEqual(run.returncode, 0, str(run))
        self.assert_uploaded(files, run)
        self.assertIsNotNone(run.report, "no JSON report\n" + str(run))
        self.assertEqual(run.report.get("credentials"), provider, run.report)
        self.assertEqual(run.report["totals"]["files"], len(files))
        self.assertEqual(run.report["totals"]["failed"], 0)

    def assert_no_expired_key(self):
        expired = self.proxy.expired()
        self.assertEqual(expired, [], "s3up sent requests signed with expired credentials")

    def assert_all_forwarded_ok(self):
        bad = [r for r in self.proxy.requests() if r.answered != "forwarded" or r.status >= 300]
        self.assertEqual(bad, [], "requests that did not succeed")

    def assert_rotated(self, source, at_least):
        """Every S3 request was signed with a key `source` issued, at least `at_least` distinct
        ones were used, and none after its advertised expiration."""
        self.assert_no_expired_key()
        keys = self.proxy.access_keys()
        self.assertGreaterEqual(len(keys), at_least,
                                f"credentials were not renewed: keys used {keys}, issued "
                                f"{self.registry.issued(source)}")
        for k in keys:
            issued = self.registry.lookup(k)
            self.assertIsNotNone(issued, f"{k} was issued by nobody here")
            self.assertEqual(issued.source, source, k)

    def assert_failed_fast(self, run, *patterns, limit=10.0):
        """Exit 2 with "s3up: error:" and every pattern (case-insensitive) on stderr, nothing
        uploaded, no S3 request sent."""
        self.assertEqual(run.returncode, 2, str(run))
        self.assertIn("s3up: error:", run.stderr)
        for p in patterns:
            self.assertRegex(run.stderr, re.compile(p, re.I))
        self.assertLess(run.elapsed, limit, str(run))
        self.assertEqual(MOTO.keys(self.prefix), [])
        self.assertEqual(self.proxy.requests(), [], "S3 requests were sent")

    def sts_front(self):
        front = StsFront(MOTO, self.registry)
        self.addCleanup(front.stop)
        return front


# ---------------------------------------------------------------------------------------------
class InstanceMetadata(CredentialCase):
    def test_rotating_credentials_renewed_during_a_long_upload(self):
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=6)
        self.addCleanup(imds.stop)
        env = self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url)
        self.oracle(env, methods=["iam-role"])
        files = self.make_files(40, 64 * KiB)  # 2.5 MiB at 128 KiB/s: about 20 s
        served = imds.credentials_served
        run = self.run_s3up(env, "--limit-rate", "128KiB", "-v")
        self.assert_ok(run, files, "imds")
        self.assertGreater(run.elapsed, 15, "the rate limit did not stretch the run")
        self.assert_rotated("imds", 3)
        self.assert_all_forwarded_ok()
        self.assertLessEqual(imds.credentials_served - served, 12,
                             "far more fetches than a 20 s run of 6 s credentials needs")
        # -v: which provider, and the renewals (never a secret: checked in finish()).
        self.assertRegex(run.stderr, re.compile(r"instance metadata|imds", re.I))
        self.assertRegex(run.stderr, re.compile(r"refresh|renew", re.I))

    def test_expired_token_refreshes_and_retries_without_counting_a_retry(self):
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=3600)
        self.addCleanup(imds.stop)
        self.proxy.reject_first_request_of(source="imds")
        files = self.make_files(8, 2 * KiB)
        run = self.run_s3up(self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url))
        self.assert_ok(run, files, "imds")
        self.assertEqual(run.report["totals"]["retries"], 0, run.report)
        first = self.registry.issued("imds")[0].access_key_id
        forced = [r for r in self.proxy.requests() if r.answered == "forced"]
        self.assertEqual(len(forced), 1)
        self.assertEqual(forced[0].access_key_id, first)
        keys = self.proxy.access_keys()
        self.assertGreaterEqual(len(keys), 2, "no new credentials after ExpiredToken")
        self.assertGreaterEqual(imds.credentials_served, 2)
        # The refused request went again, signed with a newer key, and succeeded.
        again = [r for r in self.proxy.requests() if r.method == forced[0].method
                 and r.path == forced[0].path and r.answered == "forwarded"]
        self.assertTrue(again, "the refused request was not sent again")
        self.assertNotEqual(again[-1].access_key_id, first)
        self.assertEqual(again[-1].status, 200)
        self.assert_no_expired_key()

    def test_credentials_that_lapse_and_cannot_be_renewed_stop_the_run(self):
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=4, fail_after=1,
                            fail_status=500)
        self.addCleanup(imds.stop)
        files = self.make_files(30, 64 * KiB)  # about 15 s at 128 KiB/s: outlives them
        run = self.run_s3up(self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url),
                            "--limit-rate", "128KiB")
        self.assertEqual(run.returncode, 2, str(run))
        self.assertIn("s3up: error:", run.stderr)
        self.assertRegex(run.stderr, re.compile(r"instance metadata|imds", re.I))
        self.assertRegex(run.stderr, re.compile(r"500|expire", re.I))
        # Once they lapsed, no new request goes out signed with them: at most the one or two
        # in flight at that moment (the rate limit lets one 64 KiB body out every 0.5 s).
        late = self.proxy.expired()
        self.assertLessEqual(len(late), 3, f"{len(late)} requests went out with the lapsed "
                             f"credentials, the last {late[-1].time - late[0].time:.1f}s after "
                             f"the first: {late[:3]}...\n{run}" if late else "")
        self.assertLess(run.elapsed, 13, "the run went on long after the credentials lapsed")
        self.assertEqual(imds.credentials_served, 1)
        self.assertGreater(len([r for r in imds.requests if r[3] == 500]), 0,
                           "no renewal was attempted")
        # What did arrive is whole; not everything did; nothing is left open.
        got = MOTO.objects(self.prefix)
        self.assertLess(len(got), len(files))
        for key, data in got.items():
            self.assertEqual(data, files[key[len(self.prefix):]], key)
        self.assertEqual([u for u in MOTO.open_multipart_uploads()
                          if u["Key"].startswith(self.prefix)], [])
        if run.report is not None:
            self.assertEqual(run.report["exit_code"], 2)
            self.assertIn("error", run.report)


# ---------------------------------------------------------------------------------------------
class ContainerEndpoint(CredentialCase):
    TOKEN = "Bearer s3up-container-authorization-token-0001"

    def test_full_uri_and_token_rotating(self):
        c = ContainerEmulator(self.issuer, self.registry, token=self.TOKEN, lifetime=6)
        self.addCleanup(c.stop)
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=c.url,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN=self.TOKEN)
        self.oracle(env, methods=["container-role"])
        files = self.make_files(28, 64 * KiB)  # about 14 s at 128 KiB/s
        run = self.run_s3up(env, "--limit-rate", "128KiB", "-v")
        self.assert_ok(run, files, "container")
        self.assert_rotated("container", 3)
        self.assert_all_forwarded_ok()
        self.assertEqual([r for r in c.requests if r[3] != 200], [])

    def test_token_file_is_read_again_at_every_renewal(self):
        c = ContainerEmulator(self.issuer, self.registry, token=self.TOKEN, lifetime=6)
        self.addCleanup(c.stop)
        token_file = self.work_file("eks-pod-identity-token", self.TOKEN)
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=c.url,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file)
        self.oracle(env, methods=["container-role"])
        served = c.credentials_served
        files = self.make_files(18, 64 * KiB)  # about 9 s at 128 KiB/s
        handle = self.start(env, "--limit-rate", "128KiB")
        deadline = time.monotonic() + 10
        while c.credentials_served == served and time.monotonic() < deadline:
            time.sleep(0.02)
        # The agent rotates the token: the file changes (atomically) and the old one is refused.
        rotated = "Bearer s3up-container-authorization-token-0002"
        c.set_token(rotated)
        tmp = self.work_file("eks-pod-identity-token.new", rotated)
        os.replace(tmp, token_file)
        run = self.finish(handle)
        self.assert_ok(run, files, "container")
        self.assert_rotated("container", 2)
        self.assertEqual([r for r in c.requests if r[3] != 200], [],
                         "a renewal sent the old token: the file was not read again")

    def test_wrong_token_is_an_error_naming_the_endpoint(self):
        c = ContainerEmulator(self.issuer, self.registry, token=self.TOKEN, lifetime=60)
        self.addCleanup(c.stop)
        wrong = "Bearer s3up-wrong-container-token-9999"
        self.registry.add_secret(wrong)
        self.make_files(3, 1 * KiB)
        run = self.run_s3up(self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=c.url,
                                     AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong))
        self.assert_failed_fast(run, r"container", re.escape(f"127.0.0.1:{c.port}"))
        self.assertEqual(c.credentials_served, 0)
        self.assertTrue(c.requests, "the endpoint was never asked")


# ---------------------------------------------------------------------------------------------
class IdentityCenter(CredentialCase):
    ACCOUNT = "111122223333"
    ROLE = "s3up-sso-role"
    ACCESS_TOKEN = "s3up-sso-access-token-aoeu-0123456789"
    SESSION_CONFIG = f"""[profile dev]
sso_session = my-sso
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {REGION}

[sso-session my-sso]
sso_start_url = https://my-sso.awsapps.com/start
sso_region = {REGION}
sso_registration_scopes = sso:account:access
"""
    LEGACY_URL = "https://legacy-sso.awsapps.com/start"
    LEGACY_CONFIG = f"""[profile dev]
sso_start_url = {LEGACY_URL}
sso_region = {REGION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {REGION}
"""

    def portal(self, lifetime=6):
        p = SsoPortalEmulator(self.issuer, self.registry, self.ACCESS_TOKEN, self.ACCOUNT,
                              self.ROLE, lifetime=lifetime)
        self.addCleanup(p.stop)
        return p

    def cache(self, name, start_url, expires_at):
        path = os.path.join(self.home, ".aws", "sso", "cache",
                            hashlib.sha1(name.encode()).hexdigest() + ".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"startUrl": start_url, "region": REGION,
                       "accessToken": self.ACCESS_TOKEN, "expiresAt": expires_at}, f)
        return path

    def test_sso_session_profile_rotating(self):
        portal = self.portal(lifetime=6)
        self.aws_file("config", self.SESSION_CONFIG)
        self.cache("my-sso", "https://my-sso.awsapps.com/start", iso8601(time.time() + 3600))
        env = self.env(AWS_ENDPOINT_URL_SSO=portal.url)
        self.oracle(env, "dev", methods=["sso"])
        files = self.make_files(28, 64 * KiB)  # about 14 s at 128 KiB/s
        run = self.run_s3up(env, "--profile", "dev", "--limit-rate", "128KiB", "-v")
        self.assert_ok(run, files, "sso")
        self.assert_rotated("sso", 3)
        self.assert_all_forwarded_ok()
        self.assertEqual([r for r in portal.requests if r[3] != 200], [])

    def test_legacy_profile_cache_named_by_start_url(self):
        portal = self.portal(lifetime=600)
        self.aws_file("config", self.LEGACY_CONFIG)
        # The older aws-cli v2 form of expiresAt.
        self.cache(self.LEGACY_URL, self.LEGACY_URL,
                   time.strftime("%Y-%m-%dT%H:%M:%SUTC", time.gmtime(time.time() + 3600)))
        env = self.env(AWS_ENDPOINT_URL_SSO=portal.url)
        self.oracle(env, "dev", methods=["sso"])
        files = self.make_files(4, 3 * KiB)
        run = self.run_s3up(env, "--profile", "dev")
        self.assert_ok(run, files, "sso")
        self.assert_rotated("sso", 1)

    def test_missing_cache_says_to_log_in(self):
        portal = self.portal()
        self.aws_file("config", self.SESSION_CONFIG)
        self.make_files(2, 1 * KiB)
        run = self.run_s3up(self.env(AWS_ENDPOINT_URL_SSO=portal.url), "--profile", "dev")
        self.assert_failed_fast(run, re.escape("aws sso login --profile dev"))
        self.assertEqual(portal.requests, [])

    def test_expired_cached_token_says_to_log_in(self):
        portal = self.portal()
        self.aws_file("config", self.SESSION_CONFIG)
        self.cache("my-sso", "https://my-sso.awsapps.com/start", iso8601(time.time() - 120))
        self.make_files(2, 1 * KiB)
        run = self.run_s3up(self.env(AWS_ENDPOINT_URL_SSO=portal.url), "--profile", "dev")
        self.assert_failed_fast(run, re.escape("aws sso login --profile dev"))
        self.assertEqual(portal.requests, [])


# ---------------------------------------------------------------------------------------------
class WebIdentity(CredentialCase):
    TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzM3VwLXRlc3QifQ.s3up-web-identity-signature"

    def check(self, front, run, files, session_name):
        self.assert_ok(run, files, "web-identity")
        calls = front.actions("AssumeRoleWithWebIdentity")
        self.assertGreaterEqual(len(calls), 1)
        for call in calls:
            self.assertIsNone(call["access_key_id"], "AssumeRoleWithWebIdentity was signed")
            self.assertEqual(call["params"].get("RoleArn"), MOTO.role_arn)
            self.assertEqual(call["params"].get("RoleSessionName"), session_name)
        self.assertEqual(set(front.web_identity_tokens), {self.TOKEN})
        issued = {c["issued"] for c in calls}
        keys = self.proxy.access_keys()
        self.assertTrue(keys)
        for k in keys:
            self.assertTrue(k.startswith("ASIA"), k)
            self.assertNotEqual(k, MOTO.access_key)
            self.assertIn(k, issued, "a key STS did not issue to s3up")
        self.assert_all_forwarded_ok()

    def test_environment_variables(self):
        front = self.sts_front()
        token_file = self.work_file("web-identity-token", self.TOKEN)
        env = self.env(AWS_WEB_IDENTITY_TOKEN_FILE=token_file, AWS_ROLE_ARN=MOTO.role_arn,
                       AWS_ROLE_SESSION_NAME="s3up-wi-env", AWS_ENDPOINT_URL_STS=front.url)
        self.oracle(env, methods=["assume-role-with-web-identity"])
        front.calls.clear()
        files = self.make_files(6, 5 * KiB)
        run = self.run_s3up(env, "-v")
        self.check(front, run, files, "s3up-wi-env")

    def test_profile(self):
        front = self.sts_front()
        token_file = self.work_file("web-identity-token", self.TOKEN)
        self.aws_file("config", f"""[profile wi]
web_identity_token_file = {token_file}
role_arn = {MOTO.role_arn}
role_session_name = s3up-wi-profile
region = {REGION}
""")
        env = self.env(AWS_ENDPOINT_URL_STS=front.url)
        self.oracle(env, "wi", methods=["assume-role-with-web-identity"])
        front.calls.clear()
        files = self.make_files(6, 5 * KiB)
        run = self.run_s3up(env, "--profile", "wi")
        self.check(front, run, files, "s3up-wi-profile")


# ---------------------------------------------------------------------------------------------
class AssumeRoleProfiles(CredentialCase):
    def setUp(self):
        super().setUp()
        self.front = self.sts_front()
        self.aws_file("credentials", f"""[base]
aws_access_key_id = {MOTO.access_key}
aws_secret_access_key = {MOTO.secret_key}
""")

    def config(self, text):
        self.aws_file("config", text)
        return self.env(AWS_ENDPOINT_URL_STS=self.front.url)

    def assume_calls(self):
        return self.front.actions("AssumeRole")

    def assert_used_assumed_keys(self, session_name):
        """Every S3 request was signed with a key STS issued to s3up for the role session
        `session_name` (the last role of the chain), never with the base key."""
        issued = {c["issued"] for c in self.assume_calls()
                  if c["params"].get("RoleSessionName") == session_name and c["issued"]}
        keys = self.proxy.access_keys()
        self.assertTrue(keys)
        for k in keys:
            self.assertNotEqual(k, MOTO.access_key, "the base key signed S3 requests")
            self.assertTrue(k.startswith("ASIA"), k)
            self.assertIn(k, issued, f"{k} is not a key of the role session {session_name}")
        self.assert_all_forwarded_ok()

    def test_source_profile(self):
        env = self.config(f"""[profile up]
role_arn = {MOTO.role_arn}
source_profile = base
role_session_name = s3up-assumed
region = {REGION}
""")
        self.oracle(env, "up", methods=["assume-role"])
        self.front.calls.clear()
        files = self.make_files(6, 5 * KiB)
        run = self.run_s3up(env, "--profile", "up")
        self.assert_ok(run, files, "assume-role")
        calls = self.assume_calls()
        self.assertGreaterEqual(len(calls), 1)
        self.assertEqual(calls[0]["access_key_id"], MOTO.access_key)
        self.assertEqual(calls[0]["params"]["RoleArn"], MOTO.role_arn)
        self.assertEqual(calls[0]["params"]["RoleSessionName"], "s3up-assumed")
        self.assert_used_assumed_keys("s3up-assumed")

    def test_chain_of_two_roles(self):
        env = self.config(f"""[profile a]
role_arn = {MOTO.role_arn}
source_profile = b
role_session_name = s3up-role-a

[profile b]
role_arn = {MOTO.role_arn}
source_profile = base
role_session_name = s3up-role-b
""")
        self.oracle(env, "a", methods=["assume-role"])
        self.front.calls.clear()
        files = self.make_files(4, 5 * KiB)
        run = self.run_s3up(env, "--profile", "a", "-v")
        self.assert_ok(run, files, "assume-role")
        calls = self.assume_calls()
        self.assertGreaterEqual(len(calls), 2, calls)
        # b first, signed with the base key; then a, signed with what b got.
        self.assertEqual(calls[0]["params"]["RoleSessionName"], "s3up-role-b")
        self.assertEqual(calls[0]["access_key_id"], MOTO.access_key)
        self.assertEqual(calls[1]["params"]["RoleSessionName"], "s3up-role-a")
        self.assertEqual(calls[1]["access_key_id"], calls[0]["issued"])
        self.assert_used_assumed_keys("s3up-role-a")

    def test_cycle_is_an_error(self):
        env = self.config(f"""[profile cyc-a]
role_arn = {MOTO.role_arn}
source_profile = cyc-b

[profile cyc-b]
role_arn = {MOTO.role_arn}
source_profile = cyc-a
""")
        self.make_files(2, 1 * KiB)
        run = self.run_s3up(env, "--profile", "cyc-a")
        self.assert_failed_fast(run, r"cycl|circular|loop", r"cyc-[ab]")
        self.assertEqual(self.front.calls, [])

    def test_credential_source_environment(self):
        env = self.config(f"""[profile envrole]
role_arn = {MOTO.role_arn}
credential_source = Environment
role_session_name = s3up-from-env
""")
        env.update(AWS_ACCESS_KEY_ID=MOTO.access_key, AWS_SECRET_ACCESS_KEY=MOTO.secret_key)
        self.oracle(env, "envrole", methods=["assume-role"])
        self.front.calls.clear()
        files = self.make_files(4, 5 * KiB)
        run = self.run_s3up(env, "--profile", "envrole")
        self.assert_ok(run, files, "assume-role")
        calls = self.assume_calls()
        self.assertGreaterEqual(len(calls), 1)
        self.assertEqual(calls[0]["access_key_id"], MOTO.access_key)
        self.assertEqual(calls[0]["params"]["RoleSessionName"], "s3up-from-env")
        self.assert_used_assumed_keys("s3up-from-env")

    def test_mfa_serial_is_refused_clearly(self):
        env = self.config(f"""[profile mfa]
role_arn = {MOTO.role_arn}
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/up
""")
        self.make_files(2, 1 * KiB)
        run = self.run_s3up(env, "--profile", "mfa")
        self.assert_failed_fast(run, r"mfa_serial")
        self.assertEqual(self.front.calls, [])

    def test_external_id_and_duration_seconds(self):
        env = self.config(f"""[profile ext]
role_arn = {MOTO.role_arn}
source_profile = base
role_session_name = s3up-external
external_id = s3up-external-id-42
duration_seconds = 900
""")
        self.oracle(env, "ext", methods=["assume-role"])
        self.front.calls.clear()
        files = self.make_files(4, 5 * KiB)
        run = self.run_s3up(env, "--profile", "ext")
        self.assert_ok(run, files, "assume-role")
        calls = self.assume_calls()
        self.assertGreaterEqual(len(calls), 1)
        self.assertEqual(calls[0]["params"].get("ExternalId"), "s3up-external-id-42")
        self.assertEqual(calls[0]["params"].get("DurationSeconds"), "900")
        self.assert_used_assumed_keys("s3up-external")


# ---------------------------------------------------------------------------------------------
class CredentialProcess(CredentialCase):
    SCRIPT = r"""#!{python}
import json, sys, time, urllib.request
with open({log!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "time": time.time()}}) + "\n")
mode = {mode!r}
if mode == "fail":
    sys.stderr.write("s3up-test-helper: no credentials today\n")
    sys.exit(1)
if mode == "static":
    print(json.dumps({{"Version": 1, "AccessKeyId": {ak!r}, "SecretAccessKey": {sk!r}}}))
else:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
    d = json.load(opener.open({url!r}, timeout=10))
    print(json.dumps({{"Version": 1, "AccessKeyId": d["AccessKeyId"],
                      "SecretAccessKey": d["SecretAccessKey"], "SessionToken": d["Token"],
                      "Expiration": d["Expiration"]}}))
"""

    def script(self, mode, url=""):
        """The helper, in a folder whose name holds a space; returns (path, invocation log)."""
        log = os.path.join(self.work, "invocations.log")
        path = self.work_file(os.path.join("helper dir", "cred helper.py"), self.SCRIPT.format(
            python=sys.executable, log=log, mode=mode, ak=MOTO.access_key, sk=MOTO.secret_key,
            url=url), mode=0o700)
        return path, log

    def invocations(self, log, since=0.0):
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [json.loads(l) for l in f if l.strip() and json.loads(l)["time"] >= since]

    def config(self, path):
        self.aws_file("config", f"""[profile proc]
credential_process = "{path}" "arg with spaces" --flag
region = {REGION}
""")
        return self.env()

    def test_static_keys_and_quoted_arguments(self):
        path, log = self.script("static")
        env = self.config(path)
        self.assertEqual(self.oracle(env, "proc", methods=["custom-process"]), MOTO.access_key)
        since = time.time()
        files = self.make_files(5, 4 * KiB)
        run = self.run_s3up(env, "--profile", "proc")
        self.assert_ok(run, files, "process")
        calls = self.invocations(log, since)
        self.assertGreaterEqual(len(calls), 1)
        self.assertEqual(calls[0]["argv"], ["arg with spaces", "--flag"])
        self.assertEqual(self.proxy.access_keys(), [MOTO.access_key])
        self.assert_all_forwarded_ok()

    def test_expiring_output_runs_the_command_again(self):
        vendor = ContainerEmulator(self.issuer, self.registry, lifetime=6, source="process")
        self.addCleanup(vendor.stop)
        path, log = self.script("rotating", vendor.url)
        env = self.config(path)
        self.oracle(env, "proc", methods=["custom-process"])
        since = time.time()
        files = self.make_files(24, 64 * KiB)  # about 12 s at 128 KiB/s
        run = self.run_s3up(env, "--profile", "proc", "--limit-rate", "128KiB", "-v")
        self.assert_ok(run, files, "process")
        self.assertGreaterEqual(len(self.invocations(log, since)), 2,
                                "credential_process was not run again before expiry")
        self.assert_rotated("process", 2)
        self.assert_all_forwarded_ok()

    def test_failing_command_is_an_error(self):
        path, _ = self.script("fail")
        env = self.config(path)
        self.make_files(2, 1 * KiB)
        run = self.run_s3up(env, "--profile", "proc")
        self.assert_failed_fast(run, r"credential_process")


# ---------------------------------------------------------------------------------------------
class NoCredentials(CredentialCase):
    def test_every_provider_is_named(self):
        self.make_files(3, 1 * KiB)
        run = self.run_s3up(self.env())  # IMDS: a closed port on 127.0.0.1
        self.assert_failed_fast(run, r"environment", r"web.identity", r"credential",
                                r"profile|shared|config", r"container", r"instance metadata",
                                limit=4.0)

    def test_metadata_disabled_is_not_asked(self):
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=600)
        self.addCleanup(imds.stop)
        self.make_files(3, 1 * KiB)
        run = self.run_s3up(self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url,
                                     AWS_EC2_METADATA_DISABLED="true"))
        self.assert_failed_fast(run, r"disabled", limit=4.0)
        self.assertEqual(imds.requests, [], "instance metadata was asked although disabled")


# ---------------------------------------------------------------------------------------------
class EmulatorsSpeakTheProtocols(CredentialCase):
    """The emulators and the proxy checked against botocore alone (no s3up): they speak the
    protocols the SDKs speak, and the proxy forwards, keeps connections alive and refuses what
    it should."""

    def test_botocore_reads_every_emulator(self):
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=600)
        self.addCleanup(imds.stop)
        key = self.oracle(self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url),
                          methods=["iam-role"])
        self.assertEqual(self.registry.lookup(key).source, "imds")
        paths = [r[2] for r in imds.requests]
        self.assertEqual(paths[0], "/latest/api/token")
        self.assertIn(ImdsEmulator.PREFIX + imds.role, paths)

        c = ContainerEmulator(self.issuer, self.registry, token="Bearer oracle-token-1",
                              lifetime=600)
        self.addCleanup(c.stop)
        key = self.oracle(self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=c.url,
                                   AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer oracle-token-1"),
                          methods=["container-role"])
        self.assertEqual(self.registry.lookup(key).source, "container")

        portal = SsoPortalEmulator(self.issuer, self.registry, "oracle-sso-token-123",
                                   "111122223333", "r", lifetime=600)
        self.addCleanup(portal.stop)
        self.aws_file("config", """[profile s]
sso_session = x
sso_account_id = 111122223333
sso_role_name = r
[sso-session x]
sso_start_url = https://x.awsapps.com/start
sso_region = us-east-1
""")
        cache = os.path.join(self.home, ".aws", "sso", "cache",
                             hashlib.sha1(b"x").hexdigest() + ".json")
        os.makedirs(os.path.dirname(cache))
        with open(cache, "w") as f:
            json.dump({"startUrl": "https://x.awsapps.com/start", "region": REGION,
                       "accessToken": "oracle-sso-token-123",
                       "expiresAt": iso8601(time.time() + 3600)}, f)
        key = self.oracle(self.env(AWS_ENDPOINT_URL_SSO=portal.url), "s", methods=["sso"])
        self.assertEqual(self.registry.lookup(key).source, "sso")

    def test_emulators_refuse_bad_requests(self):
        import urllib.error
        import urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def status(url, method="GET", headers=None):
            try:
                return opener.open(urllib.request.Request(url, method=method,
                                                          headers=headers or {}),
                                   timeout=5).status
            except urllib.error.HTTPError as e:
                return e.code

        imds = ImdsEmulator(self.issuer, self.registry)
        self.addCleanup(imds.stop)
        self.assertEqual(status(imds.url + ImdsEmulator.PREFIX), 401)  # IMDSv1: refused
        self.assertEqual(status(imds.url + "/latest/api/token", "PUT"), 400)  # no TTL
        c = ContainerEmulator(self.issuer, self.registry, token="Bearer t-1")
        self.addCleanup(c.stop)
        self.assertEqual(status(c.url, headers={"Authorization": "Bearer t-2"}), 401)
        p = SsoPortalEmulator(self.issuer, self.registry, "tok-abc", "1", "r")
        self.addCleanup(p.stop)
        self.assertEqual(status(p.url + "/federation/credentials?account_id=1&role_name=r",
                                headers={"x-amz-sso_bearer_token": "tok-xyz"}), 401)
        self.assertEqual(c.credentials_served + imds.credentials_served +
                         p.credentials_served, 0)

    def test_proxy_forwards_keeps_alive_and_refuses_expired_keys(self):
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError
        imds = ImdsEmulator(self.issuer, self.registry, lifetime=2)
        self.addCleanup(imds.stop)
        creds, expiration = imds.new_credentials()
        s3 = boto3.client("s3", endpoint_url=self.proxy.url, region_name=REGION,
                          aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"],
                          config=Config(s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
        body = os.urandom(300 * KiB)
        for i in range(4):
            s3.put_object(Bucket=BUCKET, Key=f"{self.prefix}k{i}", Body=body)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key=f"{self.prefix}k1")["Body"].read(),
                         body)
        self.assertEqual(s3.head_object(Bucket=BUCKET, Key=f"{self.prefix}k2")
                         ["ContentLength"], len(body))
        self.assertEqual(len(self.proxy.requests()), 6)
        self.assertLess(self.proxy.connections, 6, "the proxy did not keep connections alive")
        self.assertEqual(self.proxy.access_keys(), [creds["AccessKeyId"]])
        time.sleep(max(0.0, expiration - time.time()) + 0.05)
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=BUCKET, Key=f"{self.prefix}late", Body=b"late")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "ExpiredToken")
        self.assertEqual(len(self.proxy.expired()), 1)
        self.assertNotIn(f"{self.prefix}late", MOTO.keys(self.prefix))

        # Forced: the first request of a valid key is refused once, the next one goes.
        self.proxy.reject_first_request_of(access_key_id=MOTO.access_key)
        s3 = boto3.client("s3", endpoint_url=self.proxy.url, region_name=REGION,
                          aws_access_key_id=MOTO.access_key,
                          aws_secret_access_key=MOTO.secret_key,
                          config=Config(s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=BUCKET, Key=f"{self.prefix}forced", Body=b"x")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "ExpiredToken")
        s3.put_object(Bucket=BUCKET, Key=f"{self.prefix}forced", Body=b"x")
        self.assertEqual([r.answered for r in self.proxy.requests()][-2:],
                         ["forced", "forwarded"])


if __name__ == "__main__":
    unittest.main()
