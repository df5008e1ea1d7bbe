"""HTTPS against moto on loopback with a self-signed certificate."""
import os
import unittest

from s3fixtures import Moto, make_tree, fresh_dir, rmtree, run_s3up, BUCKET


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(check_signatures=False, tls=True)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.src = fresh_dir("s3up-tls-")
        self.files = make_tree(self.src, names=["a.txt", "b c.bin"], sizes=(0, 3000, 200000))

    def tearDown(self):
        rmtree(self.src)

    def test_with_ca_bundle_uploads(self):
        proc = run_s3up(["--endpoint-url", self.moto.url, "--ca-bundle", self.moto.cert, self.src,
                         f"s3://{BUCKET}/tls"], self.moto.env(), check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = self.moto.objects("tls/")
        self.assertEqual({k[4:]: v for k, v in got.items()}, self.files)

    def test_aws_ca_bundle_variable_is_honoured(self):
        env = self.moto.env()
        env["AWS_CA_BUNDLE"] = self.moto.cert
        proc = run_s3up(["--endpoint-url", self.moto.url, self.src, f"s3://{BUCKET}/tlsenv"], env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(self.moto.keys("tlsenv/")), len(self.files))

    def test_without_ca_bundle_fails_with_a_certificate_error(self):
        proc = run_s3up(["--endpoint-url", self.moto.url, "--retries", "1", self.src,
                         f"s3://{BUCKET}/untrusted"], self.moto.env())
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("certificate", proc.stderr)
        self.assertIn("--ca-bundle", proc.stderr)
        self.assertEqual(self.moto.keys("untrusted/"), [])

    def test_no_verify_ssl_warns_and_uploads(self):
        proc = run_s3up(["--endpoint-url", self.moto.url, "--no-verify-ssl", self.src,
                         f"s3://{BUCKET}/noverify"], self.moto.env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("warning", proc.stderr)
        self.assertEqual(len(self.moto.keys("noverify/")), len(self.files))


if __name__ == "__main__":
    unittest.main()
