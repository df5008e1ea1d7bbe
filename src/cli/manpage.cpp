#include "cli/manpage.hpp"

#include <cctype>
#include <utility>
#include <vector>

namespace s3up::cli {
namespace {

// Whether position `i` of `text` starts a word ("--x" after a space, a '(' or a quote).
bool word_start(std::string_view text, std::size_t i) {
  if (i == 0) return true;
  const char before = text[i - 1];
  return before == ' ' || before == '(' || before == '\'' || before == '"' || before == '`' ||
         before == '[' || before == '/' || before == '\n';
}

// Paragraphs of running text: each line of `text` escaped; blank lines become .PP.
std::string paragraphs(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    out += line.empty() ? std::string(".PP") : roff_escape(line);
    out += '\n';
    start = end + 1;
  }
  return out;
}

// One .TP entry: a bold tag (escaped) and its text.
std::string item(std::string_view tag, std::string_view text) {
  return ".TP\n.B " + roff_escape(tag) + "\n" + roff_escape(text) + "\n";
}

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += separator;
    out += w;
  }
  return out;
}

constexpr std::string_view kDescription =
    "s3up uploads every regular file under SOURCE_DIR to the object PREFIX/<path relative to "
    "SOURCE_DIR> in BUCKET, on Amazon S3 or any S3-compatible endpoint (MinIO, Ceph RGW, "
    "moto...). SOURCE_DIR may also be a single file, uploaded as PREFIX/<its name>. Hidden files "
    "are included; symbolic links are skipped unless --follow-symlinks; empty directories are "
    "skipped unless --dir-markers.\n"
    "\n"
    "Every request is signed with SigV4 and sent over keep-alive HTTP or HTTPS connections, "
    "many at once (--concurrency). Files larger than --multipart-threshold are uploaded in parts. "
    "Every body carries a checksum the store verifies (--checksum, CRC32C by default); where the "
    "store does not verify it or refuses it, Content-MD5 or the ETag is used instead, and s3up "
    "says so once. Failed requests are retried with exponential backoff; errors that concern "
    "every file (wrong credentials, unknown bucket, untrusted certificate) stop the run at once "
    "with one message.\n"
    "\n"
    "Every file is either uploaded or reported as failed with its reason; the summary (files, "
    "bytes, time, rate, failures, retries) is printed at the end, and --json writes a "
    "machine-readable report. Messages go to standard error, as text or, with --log-format json, "
    "one JSON object per line; no secret (secret key, session token, web-identity or SSO token) "
    "is ever printed, logged or written to the report.";

constexpr std::string_view kSizes =
    "SIZE values accept binary and decimal units: 8MiB, 64MB, 1GiB, or plain bytes.";

// CREDENTIALS: the provider chain, as auth/chain.cpp walks it.
constexpr std::pair<std::string_view, std::string_view> kCredentials[] = {
    {"1. environment",
     "AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys)."},
    {"2. web identity",
     "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (EKS IRSA, GitHub Actions OIDC): STS "
     "AssumeRoleWithWebIdentity, the token file re-read at every renewal; "
     "AWS_ROLE_SESSION_NAME names the session."},
    {"3. the profile",
     "--profile, AWS_PROFILE or AWS_DEFAULT_PROFILE, else \"default\", in ~/.aws/credentials and "
     "~/.aws/config: role_arn with source_profile or credential_source (AssumeRole, chains "
     "followed, cycles refused), web_identity_token_file, SSO (sso_session, or the legacy "
     "sso_start_url, with the token `aws sso login` cached), static aws_access_key_id and "
     "aws_secret_access_key, or credential_process."},
    {"4. container",
     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS task role) or "
     "AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity), with "
     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN."},
    {"5. EC2 instance metadata",
     "IMDSv2 (a session token, then the instance role's credentials); "
     "AWS_EC2_METADATA_DISABLED=true turns it off."},
};

constexpr std::string_view kCredentialsIntro =
    "s3up finds credentials where aws-cli v2 does, with the same configuration files. The "
    "first provider that applies supplies them:";
constexpr std::string_view kCredentialsOutro =
    "--profile turns the first two off, as in botocore. Temporary credentials are renewed in "
    "the background before they expire; a request refused with ExpiredToken is signed again "
    "with renewed credentials. No secret is accepted on the command line. -v names the provider "
    "used and every renewal, never a value. Without any credentials, s3up exits with status 2 "
    "before sending anything, listing every provider tried and why it did not apply.";

constexpr std::pair<std::string_view, std::string_view> kExitStatus[] = {
    {"0", "Every file was uploaded (or was already there, with --sync)."},
    {"1", "Some files failed; each is listed on standard error (failed: PATH -> s3://BUCKET/KEY: "
          "reason) and in the --json report."},
    {"2", "A usage, configuration or credential error, or an error that concerns every file "
          "(wrong secret, unknown bucket, untrusted certificate, unreachable endpoint): one line "
          "says what to fix."},
    {"130", "Interrupted (SIGINT or SIGTERM): requests in flight were finished and open multipart "
            "uploads aborted."},
};

constexpr std::pair<std::string_view, std::string_view> kAwsEnvironment[] = {
    {"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
     "Static or temporary credentials (see CREDENTIALS). AWS_SECURITY_TOKEN is read as an old "
     "name of AWS_SESSION_TOKEN."},
    {"AWS_PROFILE, AWS_DEFAULT_PROFILE", "The profile, when --profile is not given."},
    {"AWS_REGION, AWS_DEFAULT_REGION",
     "The signing region, when --region is not given (then the profile's region, then "
     "us-east-1)."},
    {"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL",
     "The S3 endpoint, when --endpoint-url is not given. AWS_ENDPOINT_URL_STS and "
     "AWS_ENDPOINT_URL_SSO do the same for STS and the SSO portal; "
     "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores them all."},
    {"AWS_CA_BUNDLE", "PEM file of CAs to trust, when --ca-bundle is not given."},
    {"AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE",
     "Other paths for ~/.aws/config and ~/.aws/credentials."},
    {"AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME",
     "Web identity federation (see CREDENTIALS)."},
    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI, "
     "AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
     "Container credentials (ECS, EKS Pod Identity)."},
    {"AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT, "
     "AWS_EC2_METADATA_V1_DISABLED, AWS_METADATA_SERVICE_TIMEOUT, "
     "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
     "EC2 instance metadata: off, another address, no IMDSv1 fallback, the timeout in seconds "
     "(1) and the attempts (2)."},
};

constexpr std::string_view kS3upEnvironment =
    "Every option --NAME can also be set as the variable S3UP_NAME, upper case with '-' as '_' "
    "(rclone's convention): --max-memory as S3UP_MAX_MEMORY. The command line comes first, "
    "then the environment, then the defaults; an option given on the command line ignores its "
    "variable. Flags take true or false (also 1/0, yes/no, on/off): S3UP_DRY_RUN=true. "
    "Repeatable options take comma-separated values, a value holding a comma in double quotes: "
    "S3UP_EXCLUDE='*.tmp,\"a,b\"'; S3UP_EXCLUDE's rules come before S3UP_INCLUDE's, and both "
    "before the command line's (the last matching rule decides). S3UP_VERBOSE takes 0 to 3 (the number of -v). An empty "
    "variable counts as unset, and S3UP_ variables that name no option are ignored. -v lists "
    "the variables used (names only). Each option above names its variable.";

constexpr std::pair<std::string_view, std::string_view> kDebugEnvironment[] = {
    {"S3UP_DEBUG_SIGNING=FILE",
     "Appends every request's canonical request, string to sign and signature to FILE as JSON "
     "lines (a session token redacted; the secret never enters it)."},
    {"S3UP_DEBUG_CONCURRENCY=1",
     "Prints every sampling window of --concurrency auto (measures and decision) on standard "
     "error."},
};

constexpr std::pair<std::string_view, std::string_view> kFiles[] = {
    {"~/.aws/config",
     "Profiles ([profile NAME], [default]): region, endpoint_url, services, roles, SSO "
     "settings, credential_process (AWS_CONFIG_FILE overrides the path)."},
    {"~/.aws/credentials",
     "Static keys per profile (AWS_SHARED_CREDENTIALS_FILE overrides the path)."},
    {"~/.aws/sso/cache/", "The SSO tokens `aws sso login` caches, read for SSO profiles."},
    {"--journal FILE",
     "The resume journal: a rerun with the same journal skips the files already uploaded "
     "unchanged, continues open multipart uploads and aborts the ones it cannot continue, or "
     "that an earlier run left without a record. It belongs to one destination."},
    {"--json FILE", "The report of the run, written at its end."},
};

constexpr std::pair<std::string_view, std::string_view> kExamples[] = {
    {"Upload a folder to AWS, credentials and region from the environment or ~/.aws:",
     "s3up ./site s3://my-bucket/www/"},
    {"A named profile and region:",
     "s3up --profile backup --region eu-west-1 /data s3://backups-eu/2026-11-24"},
    {"MinIO or another S3-compatible endpoint (path-style is automatic for IPs and localhost):",
     "s3up --endpoint-url http://127.0.0.1:9000 ./photos s3://photos"},
    {"See what would be uploaded, without sending anything:",
     "s3up --dry-run --exclude '**/*.tmp' ./logs s3://logs/host1/"},
    {"Upload only what changed since the last run, with a report:",
     "s3up --sync --json report.json ./site s3://my-bucket/www/"},
    {"Settings from the environment, logs as JSON lines, every retry explained:",
     "S3UP_CONCURRENCY=128 S3UP_LOG_FORMAT=json s3up -vv /data s3://datasets/run-42/"},
    {"One of 8 shards of a tree, resumable (e.g. a Kubernetes Indexed Job):",
     "s3up --shard 3/8 --journal /data/.s3up-3 /data s3://datasets/run-42/"},
};

std::string code_block(std::string_view text) {
  return ".PP\n.RS 4\n.nf\n" + roff_escape(text) + "\n.fi\n.RE\n";
}

}  // namespace

std::string roff_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_option = false;  // within a word that starts with '-': its hyphens are escaped
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (word_start(text, i)) in_option = c == '-';
    if (c == ' ' || c == '\n') in_option = false;
    if ((i == 0 || text[i - 1] == '\n') && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-' && in_option) out += "\\-";
    else out += c;
  }
  return out;
}

std::string manual_page(const CommandDoc& doc, std::string_view version, std::string_view date) {
  std::string s;
  s += ".\\\" The manual page of s3up, written by `s3up --generate-man` from the option table\n";
  s += ".\\\" --help prints (src/cli/cli_options.cpp) and src/cli/manpage.cpp: edit those.\n";
  s += ".TH S3UP 1 \"" + std::string(date) + "\" \"s3up " + roff_escape(version) +
       "\" \"User Commands\"\n";
  s += ".nh\n.ad l\n";  // no hyphenation of names, ragged right
  s += ".SH NAME\ns3up \\- upload a directory tree to Amazon S3 or an S3-compatible endpoint\n";
  s += ".SH SYNOPSIS\n.B s3up\n[\\fIOPTIONS\\fR] \\fISOURCE_DIR\\fR "
       "\\fBs3://\\fR\\fIBUCKET\\fR[\\fB/\\fR\\fIPREFIX\\fR]\n";
  s += ".SH DESCRIPTION\n" + paragraphs(kDescription);

  s += ".SH OPTIONS\n" + paragraphs(kSizes);
  std::string group;
  for (const auto& o : doc.options) {
    if (o.group != group) {
      group = o.group;
      s += ".SS " + roff_escape(group) + "\n";
    }
    s += ".TP\n";
    if (o.short_name) s += "\\fB\\-" + std::string(1, o.short_name) + "\\fR, ";
    s += "\\fB" + roff_escape("--" + o.name) + "\\fR";
    if (!o.arg.empty()) s += " \\fI" + roff_escape(o.arg) + "\\fR";
    s += "\n" + roff_escape(o.description);
    if (!o.description.empty() && o.description.back() != '.') s += ".";
    s += "\n";
    std::vector<std::string> facts;
    if (!o.values.empty()) facts.push_back("Values: " + roff_escape(joined(o.values, ", ")) + ".");
    if (!o.default_value.empty())
      facts.push_back("Default: " + roff_escape(o.default_value) + ".");
    if (o.repeatable) facts.push_back("Repeatable.");
    if (!o.env.empty()) facts.push_back("Environment: \\fB" + roff_escape(o.env) + "\\fR.");
    if (!facts.empty()) s += ".br\n" + joined(facts, " ") + "\n";
  }

  s += ".SH CREDENTIALS\n" + paragraphs(kCredentialsIntro);
  for (const auto& [tag, text] : kCredentials) s += item(tag, text);
  s += ".PP\n" + paragraphs(kCredentialsOutro);

  s += ".SH EXIT STATUS\n";
  for (const auto& [code, text] : kExitStatus) s += item(code, text);

  s += ".SH ENVIRONMENT\n.SS AWS\n";
  for (const auto& [names, text] : kAwsEnvironment) s += item(names, text);
  s += ".SS S3UP_<OPTION>\n" + paragraphs(kS3upEnvironment);
  std::vector<std::string> variables;
  for (const auto& o : doc.options)
    if (!o.env.empty()) variables.push_back(o.env);
  s += ".PP\n" + roff_escape(joined(variables, ", ")) + ".\n";
  s += ".SS Debugging\n";
  for (const auto& [name, text] : kDebugEnvironment) s += item(name, text);

  s += ".SH FILES\n";
  for (const auto& [path, text] : kFiles) s += item(path, text);

  s += ".SH EXAMPLES\n";
  for (const auto& [what, command] : kExamples) s += ".PP\n" + roff_escape(what) + "\n" + code_block(command);

  s += ".SH SEE ALSO\n.BR aws (1),\n.BR rclone (1)\n";
  s += ".PP\nREADME.md in share/doc/s3up/ under the installation prefix (/usr/share/doc/s3up/ "
       "from the Debian package) describes the checks, the engines and the benchmarks.\n";
  return s;
}

}  // namespace s3up::cli
