"""Against moto with SigV4 verification on: plain names upload; a wrong secret stops at once."""
import json
import os
import unittest

from s3fixtures import MotoCase, make_tree, run_s3up, BUCKET

PLAIN = ["alpha.txt", "beta.bin", "gamma-1.dat", "delta_2.json", "UPPER.TXT", "dots.in.name.txt"]


class SignatureChecked(MotoCase):
    src_prefix = "s3up-sig-"

    def test_plain_tree_uploads_with_verified_signatures(self):
        files = make_tree(self.src, names=PLAIN, dirs=["", "sub", "sub/deeper/deepest", ".hidden-dir"])
        for transport_args in [[], ["--checksum", "sha256"], ["--checksum", "md5"]]:
            prefix = "signed" + "".join(transport_args).replace("-", "")
            proc = run_s3up(["--endpoint-url", self.moto.url, *transport_args, self.src,
                             f"s3://{BUCKET}/{prefix}"], self.moto.env(),
                            check_secret=self.moto.secret_key)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            got = self.moto.objects(prefix + "/")
            self.assertEqual({k[len(prefix) + 1:]: v for k, v in got.items()}, files)

    def test_wrong_secret_exits_2_naming_the_signature_problem(self):
        make_tree(self.src, names=PLAIN, nested=False)
        wrong = "this-is-not-the-secret-key-0123456789"
        report = self.src + "-wrong.json"
        proc = run_s3up(["--endpoint-url", self.moto.url, "--json", report, self.src,
                         f"s3://{BUCKET}/wrong"], self.moto.env(secret=wrong),
                        check_secret=wrong)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("SignatureDoesNotMatch", proc.stderr)
        self.assertEqual(self.moto.keys("wrong/"), [])
        with open(report) as f:
            doc = json.load(f)
        os.unlink(report)
        self.assertEqual(doc["totals"]["files"], 0)
        self.assertIn("SignatureDoesNotMatch", doc["error"])
        # Nothing arrived, and the report says so: the files under way are listed as failed.
        self.assertGreater(doc["totals"]["failed"], 0)
        self.assertEqual({f["reason"] for f in doc["failed"]}, {"not uploaded: the run stopped"})
        self.assertNotIn(wrong, json.dumps(doc))
        self.assertIn("Uploaded 0 files", proc.stdout)

    def test_unknown_access_key_exits_2(self):
        make_tree(self.src, names=PLAIN[:2], nested=False)
        env = self.moto.env()
        env["AWS_ACCESS_KEY_ID"] = "AKIDNOSUCHKEY0000000"
        proc = run_s3up(["--endpoint-url", self.moto.url, self.src, f"s3://{BUCKET}/nokey"], env,
                        check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertRegex(proc.stderr, "InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied")
        self.assertEqual(self.moto.keys("nokey/"), [])


if __name__ == "__main__":
    unittest.main()
