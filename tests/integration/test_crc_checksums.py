"""--checksum crc64nvme and full-object checksums of multipart uploads (x-amz-checksum-type:
FULL_OBJECT for crc32, crc32c and crc64nvme, so that a multipart object stores the file's own CRC):
every object read back byte for byte, the checksum the store keeps compared with the file's CRC
computed here (crc_helpers, independent of s3up), and --sync-checksum's second run sending nothing.

s3-testserver verifies, stores and returns full-object checksums as S3 does (FullObjectOnTestServer
checks every value, and that a wrong full-object checksum is refused with BadDigest). moto 5.2
accepts FULL_OBJECT but checks nothing it is sent and computes the multipart value itself, as
CRC32 for CRC32C and CRC64NVME when awscrt is missing (as here): CrcOnMoto asserts only what moto
gets right, and runs against s3-testserver too (integration.testserver.crc_checksums)."""
import json
import os
import unittest

from botocore.exceptions import ClientError

from crc_helpers import s3_checksum
from feature_helpers import assert_stored
from s3fixtures import MotoCase, fresh_dir, rmtree, run_s3up
from testserver import TestServer

MiB = 1024 * 1024
CRCS = ["crc64nvme", "crc32c", "crc32"]
# Single PUTs, and big.bin above the 8 MiB threshold in three parts (5, 5 and 1 MiB + 7 bytes).
SIZES = {"empty.bin": 0, "small.bin": 1000, "dir/big.bin": 11 * MiB + 7}
MULTIPART = {"dir/big.bin"}
PARTS = ["--multipart-threshold", "8MiB", "--part-size", "5MiB"]


def write_tree(root):
    files = {}
    for rel, size in SIZES.items():
        files[rel] = os.urandom(size)
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(files[rel])
    return files


class Checks:
    """Assertions shared by both classes; self.files maps relative paths to their bytes."""

    def assert_read_back(self, client, bucket, prefix):
        assert_stored(self, client, bucket, prefix.rstrip("/"), self.files)

    def stored(self, client, bucket, key, algorithm):
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        return head.get("Checksum" + algorithm.upper()), head.get("ChecksumType"), head["ETag"]

    def expected(self, algorithm, rel):
        key = (algorithm, rel)
        if key not in self.crc_cache:  # pure Python: about 1.5 s for big.bin
            self.crc_cache[key] = s3_checksum(algorithm, self.files[rel])
        return self.crc_cache[key]


@unittest.skipIf(os.environ.get("S3UP_BACKEND") == "testserver",
                 "already run by integration.crc_checksums")
class FullObjectOnTestServer(unittest.TestCase, Checks):
    @classmethod
    def setUpClass(cls):
        cls.server = TestServer(access_key="AKIDCRC64", secret="crc64-secret-never-shown",
                                min_part_size="64KiB")
        cls.src = fresh_dir("s3up-crc-")
        cls.files = write_tree(cls.src)
        cls.crc_cache = {}

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        rmtree(cls.src)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.server.access_key,
                   AWS_SECRET_ACCESS_KEY=self.server.secret, AWS_CONFIG_FILE="/nonexistent",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        return env

    def upload(self, algorithm, prefix, *extra):
        proc = run_s3up(["--endpoint-url", self.server.url, "--checksum", algorithm, *PARTS,
                         "--json", "-", *extra, self.src, f"s3://{self.server.bucket}/{prefix}"],
                        self.env(), check_secret=self.server.secret)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def test_each_crc_is_stored_as_the_files_own_crc(self):
        client = self.server.client()
        for algorithm in CRCS:
            with self.subTest(algorithm=algorithm):
                prefix = f"{algorithm}/"
                report = self.upload(algorithm, prefix)
                self.assertEqual(report["totals"]["multipart_uploads"], 1)
                self.assert_read_back(client, self.server.bucket, prefix)
                for rel in self.files:
                    value, kind, etag = self.stored(client, self.server.bucket, prefix + rel,
                                                    algorithm)
                    # No "-N": the CRC of the whole object, multipart or not.
                    self.assertEqual(value, self.expected(algorithm, rel), rel)
                    self.assertEqual(kind, "FULL_OBJECT", rel)
                    self.assertEqual(etag.strip('"').endswith("-3"), rel in MULTIPART, rel)

    def test_sha256_multipart_stays_composite(self):
        client = self.server.client()
        self.upload("sha256", "sha256/")
        self.assert_read_back(client, self.server.bucket, "sha256/")
        value, kind, _ = self.stored(client, self.server.bucket, "sha256/dir/big.bin", "sha256")
        self.assertTrue(value.endswith("-3"), value)
        self.assertEqual(kind, "COMPOSITE")

    def test_sync_checksum_second_run_sends_nothing(self):
        for algorithm in ["crc64nvme", "crc32c"]:
            with self.subTest(algorithm=algorithm):
                prefix = f"sync-{algorithm}/"
                self.upload(algorithm, prefix)
                self.server.reset_stats()
                report = self.upload(algorithm, prefix, "--sync", "--sync-checksum")
                self.assertEqual((report["totals"]["files"], report["totals"]["unchanged"]),
                                 (0, len(self.files)))
                ops = self.server.stats()["by_operation"]
                self.assertEqual(ops["PutObject"] + ops["UploadPart"] +
                                 ops["CreateMultipartUpload"], 0, ops)
                # The multipart object too was compared by its stored full-object value.
                self.assertEqual(ops["HeadObject"], len(self.files), ops)

    def test_wrong_full_object_checksum_is_refused_with_bad_digest(self):
        client = self.server.client()
        bucket, key = self.server.bucket, "manual/object.bin"
        part1, part2 = os.urandom(64 * 1024), os.urandom(1234)
        up = client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC64NVME",
                                            ChecksumType="FULL_OBJECT")
        self.assertEqual(up["ChecksumType"], "FULL_OBJECT")
        parts = []
        for number, data in [(1, part1), (2, part2)]:
            r = client.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                   PartNumber=number, Body=data,
                                   ChecksumCRC64NVME=s3_checksum("crc64nvme", data))
            parts.append({"PartNumber": number, "ETag": r["ETag"]})
        with self.assertRaises(ClientError) as ctx:
            client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=up["UploadId"],
                MultipartUpload={"Parts": parts}, ChecksumCRC64NVME="AAAAAAAAAAA=",
                ChecksumType="FULL_OBJECT")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "BadDigest")
        # Refused, not completed: the upload is still open and completes with the right value.
        self.assertEqual(len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])), 1)
        full = s3_checksum("crc64nvme", part1 + part2)
        done = client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts},
            ChecksumCRC64NVME=full, ChecksumType="FULL_OBJECT")
        self.assertEqual((done["ChecksumCRC64NVME"], done["ChecksumType"]), (full, "FULL_OBJECT"))
        self.assertEqual(client.get_object(Bucket=bucket, Key=key)["Body"].read(), part1 + part2)
        # Types S3 does not have for an algorithm are refused at creation.
        for algorithm, kind in [("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")]:
            with self.assertRaises(ClientError) as ctx:
                client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm,
                                               ChecksumType=kind)
            self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidRequest")


class CrcOnMoto(MotoCase, Checks):
    """What holds on moto 5.2 (and on s3-testserver): moto's signature check mishandles a listed
    prefix, so each test uploads to the root of its own bucket."""
    src_prefix = "s3up-crc-moto-"

    def setUp(self):
        super().setUp()
        self.files = write_tree(self.src)
        self.crc_cache = {}

    def bucket(self, name):
        self.moto.client().create_bucket(Bucket=name)
        return name

    def upload(self, algorithm, bucket, *extra):
        proc = run_s3up(["--endpoint-url", self.moto.url, "--checksum", algorithm, *PARTS,
                         "--json", "-", *extra, self.src, f"s3://{bucket}"],
                        self.moto.env(), check_secret=self.moto.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def test_crc64nvme_single_put_and_multipart(self):
        bucket = self.bucket("crc64nvme-moto")
        report = self.upload("crc64nvme", bucket)
        self.assertEqual((report["totals"]["files"], report["totals"]["multipart_uploads"]),
                         (len(self.files), 1))
        client = self.moto.client()
        self.assert_read_back(client, bucket, "")
        # A single PUT's value is the one s3up sent (moto stores it as given).
        value, _, _ = self.stored(client, bucket, "small.bin", "crc64nvme")
        self.assertEqual(value, self.expected("crc64nvme", "small.bin"))

    def test_crc32_full_object_multipart_and_sync_checksum(self):
        bucket = self.bucket("crc32-moto")
        self.upload("crc32", bucket)
        client = self.moto.client()
        self.assert_read_back(client, bucket, "")
        value, kind, _ = self.stored(client, bucket, "dir/big.bin", "crc32")
        self.assertEqual((value, kind), (self.expected("crc32", "dir/big.bin"), "FULL_OBJECT"))
        report = self.upload("crc32", bucket, "--sync", "--sync-checksum")
        self.assertEqual((report["totals"]["files"], report["totals"]["unchanged"]),
                         (0, len(self.files)))


if __name__ == "__main__":
    unittest.main()
