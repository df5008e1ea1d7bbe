"""--log-format json, the -v levels and S3UP_<OPTION> settings, end to end against s3-testserver
(SigV4 checked, with a secret that must never appear): every stderr line of a JSON run is one
JSON object with time, level and event; the per-file failures, retries, requests, notes,
progress and dry-run lines carry their fields; -v, -vv and -vvv add credentials, retries and
requests; the environment sets options the command line leaves out."""
import json
import os
import shutil
import unittest

from s3fixtures import fresh_dir, rmtree, run_s3up
from testserver import TestServer

SECRET = "logging-test-secret-never-printed"
ACCESS_KEY = "AKIDLOGGING"


def write_tree(root, files):
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def base_env(server):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not (k.startswith("S3UP_") and k != "S3UP_ENGINE")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def json_lines(stderr):
    """Every stderr line parsed; fails on a line that is not one JSON object."""
    events = []
    for line in stderr.splitlines():
        event = json.loads(line)
        assert isinstance(event, dict), line
        for field in ("time", "level", "event"):
            assert field in event, line
        assert event["level"] in ("debug", "info", "warning", "error"), line
        events.append(event)
    return events


def of(events, name):
    return [e for e in events if e["event"] == name]


class LoggingCase(unittest.TestCase):
    server_args = {}

    def setUp(self):
        self.src = fresh_dir("s3up-logging-")
        self.srv = TestServer(access_key=ACCESS_KEY, secret=SECRET, **self.server_args)
        self.env = base_env(self.srv)

    def tearDown(self):
        self.srv.stop()
        rmtree(self.src)

    def s3up(self, *args, env=None):
        proc = run_s3up(["--endpoint-url", self.srv.url, *args], env or self.env,
                        check_secret=SECRET)
        return proc


class FaultsAndFailures(LoggingCase):
    # 20% of the requests fail with 500 (retried; the server's faults are a function of the
    # request, so runs repeat), and deny/* always fails (retries exhausted).
    server_args = dict(faults="500", fault_rate=0.2, fail_keys=("*deny/*",))

    def setUp(self):
        super().setUp()
        self.files = {f"f{i:02d}.txt": os.urandom(100 + i) for i in range(20)}
        self.files["deny/x.bin"] = b"never stored"
        self.files["sp ace/\u00e9t\u00e9.txt"] = b"unicode"
        write_tree(self.src, self.files)

    def test_json_lines_carry_each_event(self):
        proc = self.s3up("--log-format", "json", "-vvv", "--retries", "5", "--concurrency", "4",
                         self.src, f"s3://{self.srv.bucket}/j/")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        events = json_lines(proc.stderr)
        # -v: which credentials (never a value).
        credentials = of(events, "credentials")
        self.assertEqual(len(credentials), 1)
        self.assertIn("environment", credentials[0]["message"])
        self.assertNotIn(ACCESS_KEY + "x", credentials[0]["message"])
        # -vv: every retry with its reason; -vvv: every request with method, key, status, time.
        retries = of(events, "retry")
        self.assertTrue(retries)
        for r in retries:
            self.assertEqual(r["level"], "debug")
            self.assertIn(r["method"], ("PUT", "POST", "GET", "HEAD", "DELETE"))
            self.assertIn("500", r["reason"])
            self.assertLessEqual(r["attempt"], 5)
            self.assertEqual(r["max_retries"], 5)
        self.assertTrue(any(r["key"] == "j/deny/x.bin" for r in retries))
        requests = of(events, "request")
        puts = [r for r in requests if r["operation"] == "PutObject" and r["ok"]]
        self.assertEqual(sorted(r["key"] for r in puts),
                         sorted("j/" + k for k in self.files if not k.startswith("deny/")))
        for r in requests:
            self.assertIsInstance(r["latency_ms"], (int, float))
            self.assertIn("status", r)
        failed_requests = [r for r in requests if not r["ok"]]
        self.assertTrue(all(r["status"] == 500 and r["error"] for r in failed_requests))
        # The file that failed for good: its own event, path and key and reason.
        failed = of(events, "failed")
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0]["key"], "j/deny/x.bin")
        self.assertEqual(failed[0]["url"], f"s3://{self.srv.bucket}/j/deny/x.bin")
        self.assertEqual(failed[0]["path"], os.path.join(self.src, "deny/x.bin"))
        self.assertIn("500", failed[0]["reason"])
        self.assertEqual(failed[0]["level"], "error")
        summary = of(events, "summary")
        self.assertEqual(len(summary), 1)
        self.assertEqual((summary[0]["files"], summary[0]["failed"], summary[0]["exit_code"]),
                         (len(self.files) - 1, 1, 1))
        self.assertEqual(summary[0]["retries"], len([r for r in retries if r["counted"]]))
        # The summary line itself stays on stdout, as text.
        self.assertIn(summary[0]["message"], proc.stdout)
        self.assertNotIn("{", proc.stdout)

    def test_text_levels(self):
        dest = f"s3://{self.srv.bucket}/t/"
        quiet = self.s3up("--retries", "3", "--progress", "none", self.src, dest)
        self.assertEqual(quiet.returncode, 1)
        self.assertIn("failed: " + os.path.join(self.src, "deny/x.bin") + " -> " + dest +
                      "deny/x.bin: ", quiet.stderr)
        self.assertNotIn("s3up: retry", quiet.stderr)
        self.assertNotIn("s3up: credentials", quiet.stderr)
        v1 = self.s3up("-v", "--retries", "3", "--progress", "none", self.src, dest)
        self.assertIn("s3up: credentials: ", v1.stderr)
        self.assertNotIn("s3up: retry", v1.stderr)
        v2 = self.s3up("-vv", "--retries", "3", "--progress", "none", self.src, dest)
        self.assertRegex(v2.stderr, r"(?m)^s3up: retry [123]/3: PUT t/deny/x\.bin: PutObject: HTTP 500")
        self.assertNotIn("s3up: request: ", v2.stderr)
        v3 = self.s3up("-vvv", "--retries", "3", "--progress", "none", self.src, dest)
        self.assertRegex(v3.stderr, r"(?m)^s3up: request: PUT t/f00\.txt -> 200 \(\d+\.\d ms\)$")
        self.assertRegex(v3.stderr, r"(?m)^s3up: request: PUT t/deny/x\.bin -> 500: ")
        for line in v3.stderr.splitlines():
            self.assertFalse(line.startswith("{"), line)


class NotesProgressDryRun(LoggingCase):
    # A store that verifies no flexible checksum: s3up says so in a note.
    server_args = dict(extra_args=["--checksum-support", "ignored"])

    def test_progress_and_notes_as_json(self):
        # About 7 s at 512 KiB/s: at least one progress sample (every 5 s).
        write_tree(self.src, {f"p{i}.bin": os.urandom(300_000) for i in range(12)})
        proc = self.s3up("--log-format", "json", "--progress", "log", "--limit-rate", "512KiB",
                         self.src, f"s3://{self.srv.bucket}/p/")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        events = json_lines(proc.stderr)
        progress = of(events, "progress")
        self.assertTrue(progress, proc.stderr)
        for p in progress:
            for field in ("files_done", "files_total", "bytes_done", "bytes_total", "in_flight",
                          "bytes_per_second", "elapsed_seconds", "totals_final"):
                self.assertIn(field, p)
            self.assertLessEqual(p["bytes_done"], 3_600_000)
        notes = of(events, "note")
        self.assertTrue(notes)
        self.assertIn("does not verify", notes[0]["message"])
        self.assertFalse(notes[0]["message"].startswith("note:"))

    def test_progress_auto_gives_json_lines_not_a_bar(self):
        # "auto" on a pipe is the log mode anyway; the JSON format never draws a bar.
        write_tree(self.src, {"a": b"1"})
        proc = self.s3up("--log-format", "json", self.src, f"s3://{self.srv.bucket}/a/")
        self.assertEqual(proc.returncode, 0)
        self.assertNotIn("\r", proc.stderr)
        json_lines(proc.stderr)

    def test_dry_run_as_json(self):
        write_tree(self.src, {"a.txt": b"12345", "d/b.txt": b"1"})
        os.makedirs(os.path.join(self.src, "empty"))
        proc = self.s3up("--log-format", "json", "--dry-run", "--dir-markers", self.src,
                         f"s3://{self.srv.bucket}/d/")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        planned = {e["key"]: e for e in of(json_lines(proc.stderr), "dry-run")}
        self.assertEqual(set(planned), {"d/a.txt", "d/d/b.txt", "d/empty/"})
        self.assertEqual(planned["d/a.txt"]["size"], 5)
        self.assertEqual(planned["d/a.txt"]["path"], os.path.join(self.src, "a.txt"))
        self.assertTrue(planned["d/empty/"]["marker"])
        self.assertEqual(self.srv.client().list_objects_v2(Bucket=self.srv.bucket).get("KeyCount"), 0)
        # In text, the dry-run lines are on stdout, as before.
        text = self.s3up("--dry-run", self.src, f"s3://{self.srv.bucket}/d/")
        self.assertIn(os.path.join(self.src, "a.txt") + f" -> s3://{self.srv.bucket}/d/a.txt (5 bytes)",
                      text.stdout)


class EnvironmentSettings(LoggingCase):
    def test_environment_then_command_line(self):
        write_tree(self.src, {"keep.txt": b"k", "skip.tmp": b"s", "also.tmp": b"a",
                              "back.tmp": b"b"})
        env = dict(self.env, S3UP_EXCLUDE="*.tmp", S3UP_INCLUDE="back.tmp",
                   S3UP_CONCURRENCY="not-a-number", S3UP_LOG_FORMAT="json", S3UP_VERBOSE="1",
                   S3UP_ENDPOINT_URL="http://127.0.0.1:9")  # the command line's endpoint wins
        # S3UP_CONCURRENCY would be refused, but the command line gives --concurrency.
        proc = self.s3up("--concurrency", "2", self.src, f"s3://{self.srv.bucket}/e/", env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        events = json_lines(proc.stderr)  # S3UP_LOG_FORMAT=json
        used = of(events, "environment")
        self.assertEqual(len(used), 1)
        self.assertEqual(used[0]["variables"], "S3UP_EXCLUDE, S3UP_INCLUDE, S3UP_LOG_FORMAT, "
                                               "S3UP_VERBOSE")
        keys = sorted(o["Key"] for o in self.srv.client().list_objects_v2(
            Bucket=self.srv.bucket)["Contents"])
        self.assertEqual(keys, ["e/back.tmp", "e/keep.txt"])

    def test_a_bad_variable_is_named(self):
        write_tree(self.src, {"a": b"1"})
        env = dict(self.env, S3UP_CONCURRENCY="lots")
        proc = self.s3up(self.src, f"s3://{self.srv.bucket}/x/", env=env)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--concurrency: 'lots' is not a positive number or 'auto' "
                      "(from S3UP_CONCURRENCY)", proc.stderr)
        env = dict(self.env, S3UP_DRY_RUN="maybe")
        proc = self.s3up(self.src, f"s3://{self.srv.bucket}/x/", env=env)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("S3UP_DRY_RUN: 'maybe' is not true or false", proc.stderr)

    def test_flags_and_unknown_variables(self):
        write_tree(self.src, {"a": b"1"})
        env = dict(self.env, S3UP_DRY_RUN="true", S3UP_NOT_AN_OPTION="x", S3UP_QUIET="0")
        proc = self.s3up(self.src, f"s3://{self.srv.bucket}/f/", env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Dry run", proc.stdout)
        self.assertNotIn("NOT_AN_OPTION", proc.stderr)
        self.assertEqual(self.srv.client().list_objects_v2(Bucket=self.srv.bucket).get("KeyCount"), 0)


if __name__ == "__main__":
    unittest.main()
