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
        # Plain names: moto's signature check mishandles keys with characters such as '+' or
        # spaces (the integration tests cover those against botocore's signer instead).
        make_tree(source, names=["index.html", "style.css", "app.js", "logo.png", "notes.txt"],
                  dirs=["", "assets", "assets/img/2026", ".well-known"])
        print(f"sample tree: {source}")
    moto = Moto(check_signatures=True)
    try:
        print(f"moto (SigV4 checked) on {moto.url}, bucket {BUCKET}")
        cmd = [S3UP_BIN, "--endpoint-url", moto.url, source, f"s3://{BUCKET}/demo/"]
        print("$ " + " ".join(cmd[:1] + ["--endpoint-url", moto.url, source, f"s3://{BUCKET}/demo/"]))
        rc = subprocess.call(cmd, env=moto.env())
        print(f"exit code {rc}\nwhat arrived in s3://{BUCKET}/demo/ (listed with boto3):")
        objects = moto.objects("demo/")
        for key in sorted(objects):
            print(f"  {len(objects[key]):>10}  {key}")
        print(f"{len(objects)} objects, read back and compared with the source:", end=" ")
        same = all(open(os.path.join(source, k[len("demo/"):]), "rb").read() == v
                   for k, v in objects.items())
        print("identical" if same else "DIFFERENT")
        return rc if same else 1
        return rc
    finally:
        moto.stop()
        if sample:
            rmtree(sample)


if __name__ == "__main__":
    sys.exit(main())
