"""s3up's signatures for awkward keys, compared with botocore's S3SigV4Auth as an independent
oracle. moto's own check decodes the path before re-signing and so rejects correct signatures
for such keys (aws-cli fails there too); botocore signs the path exactly as sent, as S3 does."""
import json
import os
import unittest

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from s3fixtures import Moto, AWKWARD_NAMES, make_tree, fresh_dir, rmtree, run_s3up, BUCKET, REGION


def botocore_sign(record, moto, access_key, secret_key, session_token=None):
    query = ("?" + record["query"]) if record["query"] else ""
    request = AWSRequest(method=record["method"], url=moto.url + record["path"] + query)
    timestamp = None
    for name, value in record["headers"]:
        request.headers[name] = value
        if name.lower() == "x-amz-date":
            timestamp = value
    request.context["timestamp"] = timestamp
    auth = S3SigV4Auth(Credentials(access_key, secret_key, session_token), "s3", REGION)
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    return canonical, string_to_sign, auth.signature(string_to_sign, request)


class BotocoreOracle(unittest.TestCase):
    def test_awkward_keys_sign_identically(self):
        moto = Moto(check_signatures=False)
        src = fresh_dir("s3up-oracle-")
        trace = src + "-trace.jsonl"
        try:
            files = make_tree(src, names=AWKWARD_NAMES, dirs=["", "dir with space/é"])
            for transport in ["http"]:
                env = moto.env()
                env["S3UP_DEBUG_SIGNING"] = trace
                proc = run_s3up(["--endpoint-url", moto.url, src, f"s3://{BUCKET}/odd key+/"],
                                env, check_secret=moto.secret_key)
                self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(trace) as f:
                records = [json.loads(line) for line in f]
            self.assertEqual(len(records), len(files))
            # Every awkward key went through the signer, percent-encoded on the wire.
            paths = {r["path"] for r in records}
            self.assertIn("/test-bucket/odd%20key%2B/plus%2Bsign.txt", paths)
            self.assertIn("/test-bucket/odd%20key%2B/emoji%F0%9F%9A%80.txt", paths)
            for record in records:
                canonical, sts, signature = botocore_sign(record, moto, moto.access_key,
                                                          moto.secret_key)
                self.assertEqual(record["canonical_request"], canonical, record["path"])
                self.assertEqual(record["string_to_sign"], sts, record["path"])
                self.assertEqual(record["signature"], signature, record["path"])
            # And the objects arrived under the right keys (read back through boto3).
            got = moto.objects("odd key+/")
            self.assertEqual(set(got), {"odd key+/" + rel for rel in files})
        finally:
            moto.stop()
            rmtree(src)
            if os.path.exists(trace):
                os.unlink(trace)

    def test_session_token_is_signed_and_redacted(self):
        moto = Moto(check_signatures=False)
        src = fresh_dir("s3up-token-")
        trace = src + "-trace.jsonl"
        token = "FQoGZXIvYXdzEXAMPLE-session-token-value"
        try:
            with open(os.path.join(src, "one file.txt"), "wb") as f:
                f.write(b"x" * 10)
            env = moto.env()
            env["AWS_SESSION_TOKEN"] = token
            env["S3UP_DEBUG_SIGNING"] = trace
            proc = run_s3up(["--endpoint-url", moto.url, src, f"s3://{BUCKET}/tok"], env,
                            check_secret=moto.secret_key)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertNotIn(token, proc.stdout + proc.stderr)
            with open(trace) as f:
                text = f.read()
            self.assertNotIn(token, text)
            record = json.loads(text.splitlines()[0])
            self.assertIn(["x-amz-security-token", "<redacted>"], record["headers"])
            for i, (name, value) in enumerate(record["headers"]):
                if name == "x-amz-security-token":
                    record["headers"][i] = [name, token]
            canonical, sts, signature = botocore_sign(record, moto, moto.access_key,
                                                      moto.secret_key, token)
            self.assertEqual(record["signature"], signature)
        finally:
            moto.stop()
            rmtree(src)
            if os.path.exists(trace):
                os.unlink(trace)


if __name__ == "__main__":
    unittest.main()
