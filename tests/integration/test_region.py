"""A wrong region is corrected from the region S3 names in its reply, once, for the whole run."""
import os
import unittest

from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer


class Region(unittest.TestCase):
    def test_wrong_region_is_followed(self):
        src = fresh_dir("s3up-region-")
        try:
            for i in range(30):
                with open(os.path.join(src, f"f{i:02}.txt"), "wb") as f:
                    f.write(os.urandom(100 + i))
            with TestServer(access_key="AKIDREGION", secret="region-secret-xyz",
                            region="eu-west-3") as server:
                env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
                env.update(AWS_ACCESS_KEY_ID=server.access_key,
                           AWS_SECRET_ACCESS_KEY=server.secret,
                           AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
                proc = run_s3up(["--endpoint-url", server.url, "--region", "us-east-1",
                                 "--concurrency", "4", "--progress", "none", "--json", "-",
                                 src, f"s3://{server.bucket}/reg/"], env,
                                check_secret=server.secret)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn('"files":30', proc.stdout)
                self.assertIn('"retries":0', proc.stdout)  # a region switch is not a retry
                stats = server.stats()["by_operation"]
                # At most the first requests in flight (4) were signed for the wrong region.
                self.assertLessEqual(stats["PutObject"], 30 + 4)
                keys = [o["Key"] for o in server.client().list_objects_v2(
                    Bucket=server.bucket)["Contents"]]
                self.assertEqual(len(keys), 30)
        finally:
            rmtree(src)


if __name__ == "__main__":
    unittest.main()
