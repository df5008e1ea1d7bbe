"""The Debian package, installed into a clean root and used from there. ctest: package.install.

1. The .deb: $S3UP_DEB when set (e.g. dist/s3up_*.deb from scripts/package.sh), else CPack's DEB
   generator run on the build folder under test (a few seconds: the build is already there).
2. Its Depends, computed by dpkg-shlibdeps, name the package of every shared library the binary
   needs (readelf NEEDED -> ldconfig -> dpkg -S).
3. A clean root holds nothing but the packages of those Depends and of their own dependencies,
   their files copied from this machine (the same Debian 12 packages apt would unpack) and
   their entries in the root's dpkg database: nothing offline gives a fresher Debian root (no
   mirror, no debootstrap), and this proves the same thing: the Depends are enough. `dpkg --root
   ROOT -i` installs the .deb there, checking its Depends against that database.
4. In the root (chroot): `s3up --version`, and an upload of a small tree (a multipart file
   included) to s3-testserver on 127.0.0.1 (SigV4 checked), every byte read back with boto3.
   On the host, against the root: `man -w s3up` with MANPATH into it finds the page; the
   completions and the README and licence are where Debian users look for them.
Needs root (dpkg --root, chroot); skipped otherwise."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
BUILD = os.environ.get("S3UP_BUILD", os.path.join(HERE, "../../build"))

from testserver import TestServer  # noqa: E402  (build/s3-testserver)

CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


def run(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{args} exited {r.returncode}: {r.stdout}{r.stderr}")
    return r


def depends_field(deb, field="Depends"):
    """[(package, version constraint)] of a .deb's field."""
    text = run(["dpkg-deb", "-f", deb, field]).stdout.strip()
    return [parse_relation(item) for item in text.split(",") if item.strip()]


def parse_relation(item):
    """'libc6 (>= 2.34)' -> ('libc6', '>= 2.34'); alternatives keep their first."""
    first = item.split("|")[0].strip()
    m = re.match(r"([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?\s*(?:\((.*)\))?", first)
    return m.group(1), (m.group(2) or "")


def installed(package):
    r = run(["dpkg-query", "-W", "-f=${Status}", package], check=False)
    return r.returncode == 0 and "install ok installed" in r.stdout


def package_dependencies(package):
    """The packages `package` (installed here) depends on, pre-depends included; of each list of
    alternatives the first installed one."""
    text = run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", package]).stdout
    out = []
    for item in text.split(","):
        if not item.strip():
            continue
        choices = [parse_relation(alt)[0] for alt in item.split("|")]
        chosen = next((c for c in choices if installed(c)), None)
        if chosen is None:
            raise AssertionError(f"{package} depends on {item.strip()}, not installed here")
        out.append(chosen)
    return out


def closure(packages):
    seen, todo = [], list(packages)
    while todo:
        p = todo.pop(0)
        if p not in seen:
            seen.append(p)
            todo += package_dependencies(p)
    return seen


def owner_of(path):
    """The package that installed `path` (following the merged /usr of Debian 12)."""
    for candidate in (path, os.path.realpath(path), re.sub(r"^/usr", "", path),
                      re.sub(r"^/usr", "", os.path.realpath(path))):
        r = run(["dpkg", "-S", candidate], check=False)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise AssertionError(f"no package owns {path}")


def make_clean_root(root, packages):
    """A root with only `packages`: their files copied from this machine, their dpkg entries."""
    for link in ("bin", "sbin", "lib", "lib64"):  # Debian 12's merged /usr
        if os.path.islink("/" + link):
            os.makedirs(os.path.join(root, "usr", link), exist_ok=True)
            os.symlink(os.readlink("/" + link), os.path.join(root, link))
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log",
              "etc", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    status = []
    for p in packages:
        for path in run(["dpkg", "-L", p]).stdout.splitlines():
            if not path.startswith("/") or path == "/." or os.path.isdir(path) and \
                    not os.path.islink(path):
                continue
            target = os.path.join(root, path.lstrip("/"))
            if os.path.lexists(target) or not os.path.lexists(path):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.islink(path):
                os.symlink(os.readlink(path), target)
            else:
                shutil.copy2(path, target)
        status.append(run(["dpkg", "-s", p]).stdout.strip() + "\n")
        full = run(["dpkg-query", "-W", "-f=${binary:Package}", p]).stdout.strip()
        with open(os.path.join(root, "var/lib/dpkg/info", full + ".list"), "w") as f:
            f.write(run(["dpkg", "-L", p]).stdout)
    with open(os.path.join(root, "var/lib/dpkg/status"), "w") as f:
        f.write("\n".join(status))
    open(os.path.join(root, "var/lib/dpkg/available"), "w").close()


@unittest.skipUnless(os.geteuid() == 0, "needs root: dpkg --root and chroot")
class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="s3up-package-")
        started = time.monotonic()
        cls.deb = os.environ.get("S3UP_DEB")
        if not cls.deb:
            out = os.path.join(cls.work, "cpack")
            run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD)
            cls.deb = next(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".deb"))
        cls.timings = {"package": time.monotonic() - started}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        print("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in cls.timings.items()),
              file=sys.stderr)

    def test_control_fields(self):
        info = run(["dpkg-deb", "-I", self.deb]).stdout
        for field in ("Package: s3up", "Section: utils", "Priority: optional", "Maintainer: ",
                      "Description: upload a directory tree", "Recommends: ca-certificates"):
            self.assertIn(field, info)
        self.assertRegex(os.path.basename(self.deb), r"^s3up_\d+\.\d+\.\d+.*-1_[a-z0-9]+\.deb$")
        files = run(["dpkg-deb", "-c", self.deb]).stdout
        for path in ("./usr/bin/s3up", "./usr/share/man/man1/s3up.1.gz",
                     "./usr/share/bash-completion/completions/s3up",
                     "./usr/share/zsh/vendor-completions/_s3up",
                     "./usr/share/fish/vendor_completions.d/s3up.fish",
                     "./usr/share/doc/s3up/README.md", "./usr/share/doc/s3up/LICENSE",
                     "./usr/share/doc/s3up/copyright"):
            self.assertIn(path, files)

    def test_depends_cover_every_shared_library(self):
        depends = dict(depends_field(self.deb))
        for package in ("libc6", "libssl3", "libisal2", "libpugixml1v5", "libstdc++6"):
            self.assertIn(package, depends)
            self.assertTrue(depends[package].startswith(">= "), package)  # from the symbols
        unpacked = os.path.join(self.work, "unpacked")
        run(["dpkg-deb", "-x", self.deb, unpacked])
        binary = os.path.join(unpacked, "usr/bin/s3up")
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                            run(["readelf", "-d", binary]).stdout)
        self.assertIn("libssl.so.3", needed)
        cache = run(["ldconfig", "-p"]).stdout
        for lib in needed:
            m = re.search(rf"^\s+{re.escape(lib)} \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M)
            self.assertIsNotNone(m, lib)
            self.assertIn(owner_of(m.group(1)), depends, f"{lib} ({m.group(1)})")
        # Boost is compiled in (header-only parts and Boost.JSON): no Boost library at run time.
        self.assertFalse([lib for lib in needed if "boost" in lib])
        self.assertNotIn(" not stripped", run(["file", binary]).stdout)

    def test_install_into_a_clean_root_and_upload(self):
        started = time.monotonic()
        root = os.path.join(self.work, "root")
        packages = closure(p for p, _ in depends_field(self.deb))
        print(f"clean root: {' '.join(packages)}", file=sys.stderr)
        make_clean_root(root, packages)
        self.timings["root"] = time.monotonic() - started
        # Nothing but those packages: no shell, no coreutils, no s3up yet.
        self.assertFalse(os.path.exists(os.path.join(root, "bin/sh")))
        self.assertFalse(os.path.exists(os.path.join(root, "usr/bin/s3up")))

        r = run(["dpkg", "--root", root, "--log", os.path.join(self.work, "dpkg.log"), "-i",
                 self.deb])
        self.assertIn("Setting up s3up", r.stdout)
        status = run(["dpkg", "--root", root, "-s", "s3up"]).stdout
        self.assertIn("Status: install ok installed", status)
        self.timings["dpkg -i"] = time.monotonic() - started - self.timings["root"]

        # What a Debian user finds where they look.
        for path in ("usr/share/bash-completion/completions/s3up",
                     "usr/share/zsh/vendor-completions/_s3up",
                     "usr/share/fish/vendor_completions.d/s3up.fish",
                     "usr/share/doc/s3up/README.md", "usr/share/doc/s3up/LICENSE"):
            self.assertTrue(os.path.isfile(os.path.join(root, path)), path)
        man = run(["man", "-w", "s3up"],
                  env=dict(os.environ, MANPATH=os.path.join(root, "usr/share/man")))
        self.assertEqual(man.stdout.strip(), os.path.join(root, "usr/share/man/man1/s3up.1.gz"))

        # The installed binary, run inside the root: only the Depends' libraries are there.
        version = run([CHROOT, root, "/usr/bin/s3up", "--version"])
        self.assertRegex(version.stdout, r"^s3up \d+\.\d+\.\d+")
        self.assertIn("OpenSSL", version.stdout)
        help_text = run([CHROOT, root, "/usr/bin/s3up", "--help"]).stdout
        self.assertIn("S3UP_<OPTION>", help_text)

        files = {"a.txt": b"hello from the package\n", "dir/b.bin": os.urandom(70_000),
                 "dir/with space/c": b"", "big.bin": os.urandom(6 * 1024 * 1024 + 17)}
        for rel, data in files.items():
            path = os.path.join(root, "tmp/tree", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        secret = "package-test-secret-never-printed"
        with TestServer(access_key="AKIDPACKAGE", secret=secret, min_part_size="5MiB") as srv:
            env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIDPACKAGE",
                   "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1",
                   "AWS_EC2_METADATA_DISABLED": "true", "HOME": "/tmp",
                   "S3UP_LOG_FORMAT": "json"}
            upload = run([CHROOT, root, "/usr/bin/s3up", "--endpoint-url", srv.url,
                          "--multipart-threshold", "5MiB", "--part-size", "5MiB", "-v",
                          "/tmp/tree", f"s3://{srv.bucket}/pkg/"], check=False, env=env)
            self.assertEqual(upload.returncode, 0, upload.stderr)
            self.assertNotIn(secret, upload.stdout + upload.stderr)
            self.assertIn("Uploaded 4 files", upload.stdout)
            s3 = srv.client()
            for rel, data in files.items():
                got = s3.get_object(Bucket=srv.bucket, Key="pkg/" + rel)["Body"].read()
                self.assertEqual(got, data, rel)
        self.timings["install and upload"] = time.monotonic() - started


if __name__ == "__main__":
    unittest.main()
