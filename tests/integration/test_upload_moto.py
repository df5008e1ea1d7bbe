"""Uploads a tree of awkward names to moto and reads every object back with boto3."""
import json
import os
import unittest

from s3fixtures import Moto, make_tree, fresh_dir, rmtree, run_s3up, BUCKET


class UploadTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(check_signatures=False)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.src = fresh_dir("s3up-src-")

    def tearDown(self):
        rmtree(self.src)

    def upload(self, dest, *extra):
        return run_s3up(["--endpoint-url", self.moto.url, *extra, self.src, dest],
                        self.moto.env(), check_secret=self.moto.secret_key)

    def test_awkward_names_round_trip(self):
        files = make_tree(self.src)
        report = os.path.join(self.src + "-report.json")
        proc = self.upload(f"s3://{BUCKET}/awkward", "--json", report)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = self.moto.objects("awkward/")
        self.assertEqual(set(got), {"awkward/" + rel for rel in files})
        for rel, data in files.items():
            self.assertEqual(got["awkward/" + rel], data, rel)
        with open(report) as f:
            doc = json.load(f)
        os.unlink(report)
        self.assertEqual(doc["totals"]["files"], len(files))
        self.assertEqual(doc["totals"]["bytes"], sum(len(d) for d in files.values()))
        self.assertEqual(doc["totals"]["failed"], 0)
        self.assertEqual(doc["failed"], [])
        self.assertIn("Uploaded", proc.stdout)

    def test_prefix_forms(self):
        with open(os.path.join(self.src, "a.txt"), "wb") as f:
            f.write(b"a")
        os.makedirs(os.path.join(self.src, "d"))
        with open(os.path.join(self.src, "d", "b.txt"), "wb") as f:
            f.write(b"b")
        for dest, prefix in [(f"s3://{BUCKET}/p1", "p1/"), (f"s3://{BUCKET}/p2/", "p2/"),
                             (f"s3://{BUCKET}/x/y/", "x/y/")]:
            proc = self.upload(dest)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(sorted(self.moto.keys(prefix)), [prefix + "a.txt", prefix + "d/b.txt"])
        proc = self.upload(f"s3://{BUCKET}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("a.txt", self.moto.keys("a.txt"))
        self.assertIn("d/b.txt", self.moto.keys("d/"))

    def test_every_checksum_algorithm(self):
        files = make_tree(self.src, names=["x.bin", "y.bin"], nested=False, sizes=(0, 5, 70000))
        for algo in ["crc32c", "crc32", "sha256", "md5", "none"]:
            proc = self.upload(f"s3://{BUCKET}/ck-{algo}", "--checksum", algo)
            self.assertEqual(proc.returncode, 0, algo + ": " + proc.stderr)
            got = self.moto.objects(f"ck-{algo}/")
            self.assertEqual({k.split("/", 1)[1]: v for k, v in got.items()}, files, algo)

    def test_invalid_utf8_and_long_keys_fail_and_the_rest_go_on(self):
        with open(os.path.join(self.src, "good.txt"), "wb") as f:
            f.write(b"good")
        with open(os.path.join(os.fsencode(self.src), b"bad-\xff\xfe.txt"), "wb") as f:
            f.write(b"bad")
        long_name = "n" * 250
        d = self.src
        for _ in range(5):
            d = os.path.join(d, long_name)
        os.makedirs(d)
        with open(os.path.join(d, "f.txt"), "wb") as f:
            f.write(b"long")
        proc = self.upload(f"s3://{BUCKET}/mixed")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(self.moto.keys("mixed/"), ["mixed/good.txt"])
        self.assertIn("not valid UTF-8", proc.stderr)
        self.assertIn("1024", proc.stderr)
        self.assertEqual(proc.stderr.count("failed: "), 2, proc.stderr)

    def test_symlinks_skipped_unless_followed(self):
        with open(os.path.join(self.src, "real.txt"), "wb") as f:
            f.write(b"real")
        os.symlink("real.txt", os.path.join(self.src, "link.txt"))
        proc = self.upload(f"s3://{BUCKET}/links1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.moto.keys("links1/"), ["links1/real.txt"])
        proc = self.upload(f"s3://{BUCKET}/links2", "--follow-symlinks")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(self.moto.keys("links2/")), ["links2/link.txt", "links2/real.txt"])
        self.assertEqual(self.moto.objects("links2/")["links2/link.txt"], b"real")


if __name__ == "__main__":
    unittest.main()
