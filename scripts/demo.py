"""Starts moto with signature checking on 127.0.0.1, uploads a directory with build/s3up and
lists the bucket with boto3. Used by scripts/demo.sh."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from s3fixtures import Moto, make_tree, fresh_dir, rmtree, BUCKET  # noqa: E402

S3UP_BIN = os.path.join(os.path.dirname(__file__), "..", "build", "s3up")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else None
    sample = None
    if source is None:
        sample = source = fresh_dir("s3up-demo-")
        make_tree(source)
        print(f"sample tree: {source}")
    moto = Moto(check_signatures=True)
    try:
        print(f"moto (SigV4 checked) on {moto.url}, bucket {BUCKET}")
        cmd = [S3UP_BIN, "--endpoint-url", moto.url, source, f"s3://{BUCKET}/demo/"]
        print("$ " + " ".join(cmd[:1] + ["--endpoint-url", moto.url, source, f"s3://{BUCKET}/demo/"]))
        rc = subprocess.call(cmd, env=moto.env())
        print(f"exit code {rc}\nwhat arrived in s3://{BUCKET}/demo/ (listed with boto3):")
        client = moto.client()
        total = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="demo/"):
            for o in page.get("Contents", []):
                total += 1
                print(f"  {o['Size']:>10}  {o['Key']}")
        print(f"{total} objects")
        return rc
    finally:
        moto.stop()
        if sample:
            rmtree(sample)


if __name__ == "__main__":
    sys.exit(main())
