"""The manual page and the shell completions the build writes (build/doc) against `s3up --help`:
every option --help lists is in the manual and is completed by bash, zsh and fish; the options
with fixed values complete exactly those values, and s3up accepts each of them; the manual's
sections are there and groff has nothing to say about it. The completions run in the real
shells (bash with and without bash-completion, zsh through a zpty, fish's `complete -C`).
ctest: package.docs."""
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("S3UP_BUILD", os.path.join(HERE, "../../build"))
S3UP = os.environ.get("S3UP_BIN", os.path.join(BUILD, "s3up"))
DOC = os.path.join(BUILD, "doc")
SOURCE = os.path.abspath(os.path.join(HERE, "../.."))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def help_options():
    """{long name: short letter or None} of every option --help lists, in order, and the help."""
    text = run([S3UP, "--help"]).stdout
    options = {}
    for m in re.finditer(r"^ +(?:-([a-z]), )?--([a-z0-9-]+)", text, re.M):
        options[m.group(2)] = m.group(1)
    return options, text


def man_text():
    """The manual page rendered as plain text (ASCII, long lines)."""
    env = dict(os.environ, MANWIDTH="250", LC_ALL="C", MAN_KEEP_FORMATTING="0")
    out = run(["man", "-l", os.path.join(DOC, "s3up.1")], env=env).stdout
    return re.sub(r".\x08", "", out)  # no overstrike, whatever the pager setting


def sections(text):
    """{SECTION NAME: its text} of a rendered manual page."""
    found, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name = line.strip()
            found[name] = []
        elif name:
            found[name].append(line)
    return {k: "\n".join(v) for k, v in found.items()}


def fixed_values(man):
    """{option: [values]} from the manual's "Values:" lines (written from the code's checks)."""
    values = {}
    options = sections(man)["OPTIONS"]
    for m in re.finditer(r"^ {7}(?:-[a-z], )?--([a-z0-9-]+)[^\n]*\n(.*?)(?=^ {7}-|\Z)", options,
                         re.M | re.S):
        v = re.search(r"Values: (.*?)\.(?: Default| Environment| Repeatable|$)",
                      " ".join(m.group(2).split()))
        if v:
            values[m.group(1)] = v.group(1).split(", ")
    return values


def bash_complete(line, with_bash_completion):
    """COMPREPLY for `line`, the cursor at its end, as bash's default word breaks make it."""
    script = f"""
        {'source /usr/share/bash-completion/bash_completion' if with_bash_completion else ''}
        source {os.path.join(DOC, 's3up.bash')}
        COMP_WORDBREAKS=$' \\t\\n"\\'><=;|&(:'
        COMP_LINE=$1; COMP_POINT=${{#1}}
        read -ra COMP_WORDS <<< "$1"
        [[ $1 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
        _s3up s3up "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    out = run(["bash", "-c", script, "bash", line]).stdout
    return [w for w in out.splitlines() if w]


def zsh_complete(line):
    out = run(["zsh", "-f", os.path.join(HERE, "zsh_capture.zsh"), line, DOC]).stdout
    return [w for w in out.splitlines() if w.strip()]


def fish_complete(line):
    out = run(["fish", "--no-config", "-c",
               f"source {os.path.join(DOC, 's3up.fish')}; complete -C {quote_fish(line)}"]).stdout
    return [w.split("\t")[0] for w in out.splitlines() if w]


def quote_fish(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class GeneratedDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.options, cls.help = help_options()
        cls.man = man_text()
        cls.values = fixed_values(cls.man)

    def test_help_lists_the_options_and_the_environment(self):
        self.assertGreater(len(self.options), 40)
        for name in ("endpoint-url", "checksum", "log-format", "verbose", "version"):
            self.assertIn(name, self.options)
        self.assertEqual(self.options["verbose"], "v")
        self.assertNotIn("generate-man", self.options)  # hidden
        self.assertIn("S3UP_<OPTION>", self.help)
        self.assertIn("S3UP_MAX_MEMORY", self.help)

    def test_manual_page_lists_every_option_in_the_help_groups(self):
        s = sections(self.man)
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "CREDENTIALS", "EXIT STATUS",
                     "ENVIRONMENT", "FILES", "EXAMPLES"):
            self.assertIn(name, s, name)
        documented = re.findall(r"^ {7}(?:-[a-z], )?--([a-z0-9-]+)", s["OPTIONS"], re.M)
        self.assertEqual(documented, list(self.options))  # all, in --help's order
        groups = re.findall(r"^ ([A-Z][a-z]+) options:$", self.help, re.M)
        self.assertEqual(re.findall(r"^   ([A-Z][a-z]+)$", s["OPTIONS"], re.M), groups)
        for name in self.options:
            if name not in ("help", "version"):
                self.assertIn("S3UP_" + name.upper().replace("-", "_"), s["ENVIRONMENT"])
        for code in ("0", "1", "2", "130"):
            self.assertRegex(s["EXIT STATUS"], rf"(?m)^ {{7}}{code} ")
        for path in ("~/.aws/config", "~/.aws/credentials"):
            self.assertIn(path, s["FILES"])
        for variable in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL",
                         "AWS_CA_BUNDLE", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            self.assertIn(variable, s["ENVIRONMENT"])

    def test_manual_page_is_clean_roff_and_gzipped(self):
        page = os.path.join(DOC, "s3up.1")
        warnings = run(["groff", "-ww", "-man", "-Tutf8", "-z", page])
        self.assertEqual(warnings.stderr, "")
        with gzip.open(page + ".gz", "rb") as gz, open(page, "rb") as plain:
            self.assertEqual(gz.read(), plain.read())

    def test_fixed_values_are_what_s3up_accepts(self):
        self.assertEqual(set(self.values), {"engine", "checksum", "storage-class", "sse", "acl",
                                            "progress", "log-format", "trailing-checksum"})
        self.assertIn("crc32c", self.values["checksum"])
        src = tempfile.mkdtemp(prefix="s3up-docs-")
        try:
            with open(os.path.join(src, "f"), "w") as f:
                f.write("x")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3UP_"))}
            env.update(AWS_ACCESS_KEY_ID="AKIDDOCS", AWS_SECRET_ACCESS_KEY="docs-secret",
                       AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                       AWS_EC2_METADATA_DISABLED="true")
            for option, values in self.values.items():
                for value in values:
                    r = run([S3UP, "--dry-run", "--endpoint-url", "http://127.0.0.1:9",
                             f"--{option}", value, src, "s3://bucket/p"], env=env)
                    self.assertEqual(r.returncode, 0, f"--{option} {value}: {r.stderr}")
                r = run([S3UP, "--dry-run", f"--{option}", "not-a-value", src, "s3://bucket/p"],
                        env=env)
                self.assertEqual(r.returncode, 2, f"--{option} not-a-value")
        finally:
            shutil.rmtree(src)

    def test_bash(self):
        for with_bash_completion in (False, True):
            with self.subTest(bash_completion=with_bash_completion):
                offered = bash_complete("s3up -", with_bash_completion)
                for name, short in self.options.items():
                    self.assertIn("--" + name, offered)
                    if short:
                        self.assertIn("-" + short, offered)
                self.assertEqual(bash_complete("s3up --ch", with_bash_completion), ["--checksum"])
                for option, values in self.values.items():
                    self.assertEqual(bash_complete(f"s3up --{option} ", with_bash_completion),
                                     values, option)
                # --option=value and values holding a ':' (bash breaks words at both).
                self.assertEqual(bash_complete("s3up --checksum=crc", with_bash_completion),
                                 [v for v in self.values["checksum"] if v.startswith("crc")])
                self.assertEqual(bash_complete("s3up --sse aws:", with_bash_completion), ["kms"])
                self.assertEqual(bash_complete("s3up --region ", with_bash_completion), [])
                self.assertIn("/etc/hostname",
                              bash_complete("s3up --ca-bundle /etc/hostn", with_bash_completion))
                self.assertIn("/etc/hostname", bash_complete("s3up /etc/hostn",
                                                              with_bash_completion))

    @unittest.skipUnless(shutil.which("zsh"), "zsh is not installed (scripts/install-deps.sh)")
    def test_zsh(self):
        r = run(["zsh", "-n", os.path.join(DOC, "_s3up")])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        offered = zsh_complete("s3up --")
        for name in self.options:
            self.assertIn("--" + name, offered)
        for option, values in self.values.items():
            self.assertEqual(sorted(zsh_complete(f"s3up --{option} ")), sorted(values), option)
        self.assertEqual(sorted(zsh_complete("s3up --checksum=crc")),
                         sorted(v for v in self.values["checksum"] if v.startswith("crc")))

    @unittest.skipUnless(shutil.which("fish"), "fish is not installed (scripts/install-deps.sh)")
    def test_fish(self):
        offered = fish_complete("s3up --")
        for name in self.options:
            self.assertIn("--" + name, offered)
        self.assertIn("-v", fish_complete("s3up -"))
        for option, values in self.values.items():
            self.assertEqual(sorted(fish_complete(f"s3up --{option} ")), sorted(values), option)
        self.assertIn("/etc/hostname", fish_complete("s3up --json /etc/hostn"))

    def test_version(self):
        out = run([S3UP, "--version"]).stdout
        self.assertRegex(out, r"^s3up \d+\.\d+\.\d+")
        self.assertRegex(out, r"(?m)^Boost: +1\.\d+\.\d+$")
        self.assertRegex(out, r"(?m)^OpenSSL: +OpenSSL 3\.")
        self.assertRegex(out, r"(?m)^ISA-L: +")
        head = run(["git", "-C", SOURCE, "rev-parse", "HEAD"])
        if head.returncode == 0:
            self.assertIn("commit:   " + head.stdout.strip(), out)


if __name__ == "__main__":
    unittest.main()
