"""--sync under a prefix, with neighbouring keys that sort around the prefix's own ('/' sorts
after '-' and '.'), against s3-testserver (moto mis-verifies listings with an encoded '/')."""
import os
import time
import unittest

from s3fixtures import fresh_dir, rmtree, run_s3up, engine_args
from testserver import TestServer


class SyncPrefix(unittest.TestCase):
    def test_second_run_sends_nothing_and_a_change_sends_one(self):
        src = fresh_dir("s3up-syncp-")
        try:
            names = ["a-b.txt", "a.txt", "a/x.txt", "a0/y.txt", "b c/d.txt", "z.txt"]
            for rel in names:
                os.makedirs(os.path.dirname(os.path.join(src, rel)) or src, exist_ok=True)
                with open(os.path.join(src, rel), "wb") as f:
                    f.write(os.urandom(300))
            with TestServer(access_key="AKIDSYNC", secret="sync-secret-not-shown") as server:
                client = server.client()
                # Neighbours of the prefix that a listing must not confuse with ours.
                for key in ["data/p-other/a.txt", "data/p.x", "data/pa/a.txt", "data/p/zz-extra"]:
                    client.put_object(Bucket=server.bucket, Key=key, Body=b"n")
                env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
                env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret,
                           AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
                args = ["--endpoint-url", server.url, "--progress", "none", "--sync", *engine_args(),
                        src, f"s3://{server.bucket}/data/p/"]
                proc = run_s3up(args, env, check_secret=server.secret)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("Uploaded 6 files", proc.stdout)

                server.reset_stats()
                proc = run_s3up(args, env, check_secret=server.secret)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("Nothing to upload: 6 files", proc.stdout)
                self.assertEqual(server.stats()["by_operation"]["PutObject"], 0)

                time.sleep(0.01)
                with open(os.path.join(src, "a0/y.txt"), "wb") as f:
                    f.write(os.urandom(301))
                server.reset_stats()
                proc = run_s3up(args, env, check_secret=server.secret)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("Uploaded 1 file", proc.stdout)
                self.assertIn("5 unchanged", proc.stdout)
                self.assertEqual(server.stats()["by_operation"]["PutObject"], 1)
                body = client.get_object(Bucket=server.bucket, Key="data/p/a0/y.txt")["Body"].read()
                with open(os.path.join(src, "a0/y.txt"), "rb") as f:
                    self.assertEqual(body, f.read())
        finally:
            rmtree(src)


if __name__ == "__main__":
    unittest.main()
