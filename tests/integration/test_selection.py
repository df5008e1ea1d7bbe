"""What gets uploaded, against moto with SigV4 checking on: --dry-run, --include/--exclude in
order, --sync (size+mtime, --size-only, --sync-checksum) with the stored mtime, --shard and
--dir-markers. Results are read back with boto3 and from moto's request log.

moto's signature check trips on an encoded '/' in a query string, so the --sync runs (which list
the destination with prefix=...) upload to the root of a bucket of their own."""
import os
import time
import unittest

from s3fixtures import MotoCase, run_s3up, BUCKET
from feature_helpers import RequestLog, mtime_meta, read_json, write_files

# Paths for the filter cases: top-level and nested .txt and .tmp, a build/ folder.
FILTER_TREE = {
    "a.txt": b"a", "b.tmp": b"bb", "c.log": b"ccc", "docs/x.txt": b"x", "docs/y.tmp": b"yy",
    "build/out.txt": b"out", "build/sub/z.txt": b"z", "src/m.c": b"int m;",
    "src/deep/n.txt": b"n",
}


class Selection(MotoCase):
    src_prefix = "s3up-sel-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.log = RequestLog(cls.moto)
        cls.buckets = 0

    def s3up(self, *args, dest):
        return run_s3up(["--endpoint-url", self.moto.url, *args, self.src, dest],
                        self.moto.env(), check_secret=self.moto.secret_key)

    def new_bucket(self):
        Selection.buckets += 1
        name = f"sel-{Selection.buckets}-{os.getpid()}"
        self.moto.client().create_bucket(Bucket=name)
        return name

    def listing(self, bucket):
        c = self.moto.client()
        out = {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                out[o["Key"]] = c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        return out

    def report_path(self, name):
        return self.src + f"-{name}.json"

    # --dry-run -------------------------------------------------------------------------------

    def test_dry_run_prints_the_plan_and_sends_nothing(self):
        files = write_files(self.src, {"one.txt": b"1", "d/two.bin": b"22" * 50,
                                       "d/e/three.json": b"{}", "empty.dat": b""})
        before = sorted(self.moto.keys())
        report = self.report_path("dry")
        self.log.mark()
        proc = self.s3up("--dry-run", "--json", report, dest=f"s3://{BUCKET}/dry")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.mutating(), [])
        self.assertEqual(sorted(self.moto.keys()), before)
        lines = proc.stdout.splitlines()
        expected = sorted(f"{self.src}/{rel} -> s3://{BUCKET}/dry/{rel} ({len(data)} bytes)"
                          for rel, data in files.items())
        self.assertEqual(sorted(lines[:-1]), expected)
        total = sum(len(d) for d in files.values())
        self.assertEqual(lines[-1], f"Dry run: would upload 4 files ({total} B); 0 failed; "
                                    "nothing was sent")
        doc = read_json(report)
        self.assertEqual(doc["exit_code"], 0)
        self.assertEqual(doc["totals"]["files"], 0)
        self.assertEqual(doc["dry_run"], {"files": 4, "bytes": total})

    def test_sync_dry_run_lists_only_changed_files_and_sends_nothing(self):
        bucket = self.new_bucket()
        write_files(self.src, {f"f{i}.txt": b"same %d" % i for i in range(5)})
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        stored = self.listing(bucket)
        write_files(self.src, {"f2.txt": b"changed, and longer", "new/added.txt": b"added"})
        self.log.mark()
        proc = self.s3up("--sync", "--dry-run", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.mutating(), [])
        self.assertEqual(self.listing(bucket), stored)
        lines = proc.stdout.splitlines()
        self.assertEqual(sorted(lines[:-1]), sorted([
            f"{self.src}/f2.txt -> s3://{bucket}/f2.txt (19 bytes)",
            f"{self.src}/new/added.txt -> s3://{bucket}/new/added.txt (5 bytes)"]))
        self.assertEqual(lines[-1], "Dry run: would upload 2 files (24 B); 4 unchanged; 0 failed; "
                                    "nothing was sent")

    # --include / --exclude -------------------------------------------------------------------

    def test_include_exclude_in_order(self):
        write_files(self.src, FILTER_TREE)
        everything = set(FILTER_TREE)
        cases = [
            # Everything out, then every .txt at any depth back in.
            (["--exclude", "**", "--include", "**/*.txt"],
             {"a.txt", "docs/x.txt", "build/out.txt", "build/sub/z.txt", "src/deep/n.txt"}),
            # '*' stays within a folder (documented in --help): only the top-level .tmp goes.
            (["--exclude", "*.tmp"], everything - {"b.tmp"}),
            (["--exclude", "**/*.tmp"], everything - {"b.tmp", "docs/y.tmp"}),
            (["--exclude", "build/**"], everything - {"build/out.txt", "build/sub/z.txt"}),
            # The same two rules as the first case in the other order: the last match wins.
            (["--include", "**/*.txt", "--exclude", "**"], set()),
            # --name=value spelling, mixed with the other.
            (["--exclude=**", "--include", "docs/**", "--exclude=**/*.tmp"], {"docs/x.txt"}),
        ]
        for i, (args, expected) in enumerate(cases):
            prefix = f"filter{i}/"
            report = self.report_path(f"filter{i}")
            proc = self.s3up(*args, "--json", report, dest=f"s3://{BUCKET}/{prefix}")
            self.assertEqual(proc.returncode, 0, f"{args}: {proc.stderr}")
            got = self.moto.objects(prefix)
            self.assertEqual(set(got), {prefix + rel for rel in expected}, args)
            for rel in expected:
                self.assertEqual(got[prefix + rel], FILTER_TREE[rel])
            self.assertEqual(read_json(report)["totals"]["files"], len(expected), args)

    # --sync ----------------------------------------------------------------------------------

    def test_sync_skips_unchanged_and_uploads_changed_and_new_files(self):
        bucket = self.new_bucket()
        files = write_files(self.src, {f"d{i % 3}/f{i}.txt": b"content %02d" % i
                                       for i in range(12)})
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.listing(bucket), files)
        # Every object carries the file's mtime, seconds with 9 decimals.
        c = self.moto.client()
        for rel in files:
            meta = c.head_object(Bucket=bucket, Key=rel)["Metadata"]
            self.assertEqual(meta.get("mtime"), mtime_meta(os.path.join(self.src, rel)), rel)
            self.assertRegex(meta["mtime"], r"^\d+\.\d{9}$")

        # Unchanged: nothing uploaded, and the summary says so.
        report = self.report_path("sync2")
        self.log.mark()
        proc = self.s3up("--sync", "--json", report, dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Nothing to upload", proc.stdout)
        self.assertEqual(self.log.mutating(), [])
        totals = read_json(report)["totals"]
        self.assertEqual((totals["files"], totals["unchanged"]), (0, len(files)))

        # One file rewritten (same size, newer mtime) and one added: exactly those two go.
        changed = os.path.join(self.src, "d1/f4.txt")
        old_mtime = os.stat(changed).st_mtime_ns
        write_files(self.src, {"d1/f4.txt": b"CONTENT 04", "d2/added.txt": b"new file"})
        now = time.time_ns()
        os.utime(changed, ns=(now, max(now, old_mtime + 1)))
        report = self.report_path("sync3")
        self.log.mark()
        proc = self.s3up("--sync", "--json", report, dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.put_keys(bucket), ["d1/f4.txt", "d2/added.txt"])
        totals = read_json(report)["totals"]
        self.assertEqual((totals["files"], totals["unchanged"]), (2, len(files) - 1))
        files.update({"d1/f4.txt": b"CONTENT 04", "d2/added.txt": b"new file"})
        self.assertEqual(self.listing(bucket), files)
        self.assertEqual(c.head_object(Bucket=bucket, Key="d1/f4.txt")["Metadata"]["mtime"],
                         mtime_meta(changed))

    def test_size_only_ignores_an_mtime_change(self):
        bucket = self.new_bucket()
        files = write_files(self.src, {f"f{i}.bin": bytes([i]) * (i + 1) for i in range(6)})
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        touched = os.path.join(self.src, "f3.bin")
        future = time.time_ns() + 3600 * 10**9
        os.utime(touched, ns=(future, future))

        report = self.report_path("sizeonly")
        self.log.mark()
        proc = self.s3up("--sync", "--size-only", "--json", report, dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Nothing to upload", proc.stdout)
        self.assertEqual(self.log.mutating(), [])
        self.assertEqual(read_json(report)["totals"]["unchanged"], len(files))

        # Without --size-only the newer mtime counts as a change.
        self.log.mark()
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.put_keys(bucket), ["f3.bin"])
        self.assertEqual(self.moto.client().head_object(Bucket=bucket, Key="f3.bin")
                         ["Metadata"]["mtime"], mtime_meta(touched))

    def test_sync_checksum_finds_a_same_size_change_with_an_old_mtime(self):
        bucket = self.new_bucket()
        files = write_files(self.src, {f"c{i}.txt": b"checksum me %d" % i for i in range(5)})
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # Same size, new content, an mtime long before the object was written.
        changed = os.path.join(self.src, "c2.txt")
        write_files(self.src, {"c2.txt": b"CHECKSUM ME 2"})
        os.utime(changed, ns=(10**18, 10**18))  # 2001

        # size + mtime cannot see it (the object is newer than the file)...
        self.log.mark()
        proc = self.s3up("--sync", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.mutating(), [])
        # ...the stored checksum can; identical files are skipped.
        report = self.report_path("cksum")
        self.log.mark()
        proc = self.s3up("--sync", "--sync-checksum", "--json", report, dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.log.put_keys(bucket), ["c2.txt"])
        totals = read_json(report)["totals"]
        self.assertEqual((totals["files"], totals["unchanged"]), (1, len(files) - 1))
        files["c2.txt"] = b"CHECKSUM ME 2"
        self.assertEqual(self.listing(bucket), files)
        # And a rerun finds everything identical.
        self.log.mark()
        proc = self.s3up("--sync", "--sync-checksum", dest=f"s3://{bucket}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Nothing to upload", proc.stdout)
        self.assertEqual(self.log.mutating(), [])

    # --shard ---------------------------------------------------------------------------------

    def test_shards_partition_the_tree(self):
        files = write_files(self.src, {f"s{i % 4}/file-{i:02}.txt": b"shard %d" % i
                                       for i in range(30)})
        prefix = "sharded/"
        runs = []
        for k in range(3):
            report = self.report_path(f"shard{k}")
            self.log.mark()
            proc = self.s3up("--shard", f"{k}/3", "--json", report, dest=f"s3://{BUCKET}/{prefix}")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            sent = self.log.put_keys(BUCKET)
            self.assertTrue(sent, f"shard {k}/3 uploaded nothing")
            self.assertEqual(len(sent), len(set(sent)))
            self.assertEqual(read_json(report)["totals"]["files"], len(sent))
            runs.append(set(sent))
        for a in range(3):
            for b in range(a + 1, 3):
                self.assertEqual(runs[a] & runs[b], set(), f"shards {a} and {b} overlap")
        self.assertEqual(set().union(*runs), {prefix + rel for rel in files})
        got = self.moto.objects(prefix)
        self.assertEqual(got, {prefix + rel: data for rel, data in files.items()})

    # --dir-markers ---------------------------------------------------------------------------

    def test_empty_directories_skipped_or_uploaded_as_markers(self):
        files = write_files(self.src, {"full/a.txt": b"a", "nest/f.txt": b"f"})
        for d in ["empty1", "nest/empty2", "nest/holder/empty3"]:
            os.makedirs(os.path.join(self.src, d))

        report = self.report_path("nomarkers")
        proc = self.s3up("--json", report, dest=f"s3://{BUCKET}/nomark")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(set(self.moto.keys("nomark/")), {"nomark/" + r for r in files})
        doc = read_json(report)
        skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
        self.assertEqual(set(skipped), {os.path.join(self.src, d) for d in
                                        ["empty1", "nest/empty2", "nest/holder/empty3"]})
        for reason in skipped.values():
            self.assertIn("empty directory", reason)
        self.assertEqual(doc["totals"]["skipped"], 3)

        report = self.report_path("markers")
        proc = self.s3up("--dir-markers", "--json", report, dest=f"s3://{BUCKET}/mark")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = self.moto.objects("mark/")
        markers = {"mark/empty1/", "mark/nest/empty2/", "mark/nest/holder/empty3/"}
        self.assertEqual(set(got), {"mark/" + r for r in files} | markers)
        for key in markers:
            self.assertEqual(got[key], b"")
        doc = read_json(report)
        self.assertEqual(doc["totals"]["dir_markers"], 3)
        self.assertEqual(doc["skipped"], [])
        self.assertEqual(doc["totals"]["files"], len(files))


if __name__ == "__main__":
    unittest.main()
