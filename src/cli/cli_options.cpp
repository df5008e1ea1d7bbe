#include "cli/cli_options.hpp"

#include <cxxopts.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <string_view>

#include "cli/env_options.hpp"
#include "cli/log.hpp"
#include "cli/option_docs.hpp"
#include "engine/progress.hpp"
#include "s3/checksum.hpp"
#include "s3/object_settings.hpp"
#include "util/units.hpp"
#include "util/utf8.hpp"

namespace s3up::cli {
namespace {

std::uint64_t size_option(const cxxopts::ParseResult& r, const char* name) {
  if (!r.count(name)) return 0;
  const auto text = r[name].as<std::string>();
  const auto value = util::parse_size(text);
  if (!value || *value == 0)
    throw UsageError(std::string("--") + name + ": '" + text +
                     "' is not a size (examples: 8MiB, 64MB, 1GiB, 5242880)");
  return *value;
}

template <class T>
T positive(const cxxopts::ParseResult& r, const char* name, T fallback) {
  if (!r.count(name)) return fallback;
  const auto v = r[name].as<T>();
  if (v <= 0) throw UsageError(std::string("--") + name + " must be greater than 0");
  return v;
}

// Timeouts are at most this many seconds (about 11.6 days; --request-timeout 0 sets no limit):
// far past any sensible wait, and well within what the clocks' durations hold.
constexpr double kMaxTimeoutSeconds = 1'000'000;

// A number of seconds (util::parse_seconds: a decimal number, a leading '-' read so that a
// negative value gets the range message; the range is the caller's to check). Throws UsageError
// naming the option.
double seconds_option(const cxxopts::ParseResult& r, const char* name) {
  const auto text = r[name].as<std::string>();
  const auto value = util::parse_seconds(text);
  if (!value)
    throw UsageError(std::string("--") + name + ": '" + text +
                     "' is not a number of seconds (examples: 10, 0.5)");
  if (*value > kMaxTimeoutSeconds)
    throw UsageError(std::string("--") + name + " must be at most 1000000 seconds");
  return *value;
}

// --retries: a whole number from 0 to kMaxRetries.
constexpr long long kMaxRetries = 100;

int retries_option(const cxxopts::ParseResult& r) {
  const auto text = r["retries"].as<std::string>();
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size() || text.empty() ||
      (ec != std::errc{} && ec != std::errc::result_out_of_range))
    throw UsageError("--retries: '" + text + "' is not a whole number");
  const bool negative = text.front() == '-';
  if (negative) throw UsageError("--retries must be 0 or more");
  if (ec == std::errc::result_out_of_range || value > kMaxRetries)
    throw UsageError("--retries must be at most " + std::to_string(kMaxRetries));
  return static_cast<int>(value);
}

// The values of the options named in `flags` ("--include"), in command-line order, each with the
// index of its flag: "--flag VALUE" and "--flag=VALUE", up to "--". Read from argv as given, since
// cxxopts keeps each option's values, not their interleaving (the order decides which filter rule
// wins), and splits a vector option's values at commas (a glob or a metadata value may hold some).
std::vector<std::pair<std::size_t, std::string>> values_in_order(
    int argc, char** argv, std::initializer_list<std::string_view> flags) {
  std::vector<std::pair<std::size_t, std::string>> values;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    std::size_t index = 0;
    for (const std::string_view flag : flags) {
      if (arg == flag && i + 1 < argc) {
        values.emplace_back(index, argv[++i]);
        break;
      }
      if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
          arg[flag.size()] == '=') {
        values.emplace_back(index, std::string(arg.substr(flag.size() + 1)));
        break;
      }
      ++index;
    }
  }
  return values;
}

// --include and --exclude in the order given.
std::vector<std::pair<bool, std::string>> ordered_filters(int argc, char** argv) {
  std::vector<std::pair<bool, std::string>> rules;
  for (auto& [index, glob] : values_in_order(argc, argv, {"--include", "--exclude"}))
    rules.emplace_back(index == 0, std::move(glob));
  return rules;
}

// --engine's values (the engines app.cpp runs).
constexpr std::array<std::string_view, 2> kEngines{"async", "threaded"};

// The groups --help shows, in order; the options of any other group are hidden (the generators).
constexpr std::array<const char*, 5> kHelpGroups{"Destination", "Transfer", "Selection", "Object",
                                                 "Output"};

constexpr const char* kSummary =
    "Upload a directory tree to Amazon S3 or an S3-compatible endpoint,\n"
    "keeping its structure as object keys.\n";
constexpr const char* kPositionals = "SOURCE_DIR s3://BUCKET[/PREFIX]";

// After --help's options: where else settings come from.
constexpr const char* kHelpFooter =
    "\nEnvironment:\n"
    "  Every option can also be set as S3UP_<OPTION>: --max-memory as S3UP_MAX_MEMORY,\n"
    "  --dry-run as S3UP_DRY_RUN=true (flags take true/false or 1/0), --exclude as\n"
    "  S3UP_EXCLUDE='*.tmp,*.bak' (repeatable options: comma-separated), -vv as S3UP_VERBOSE=2.\n"
    "  The command line comes first, then the environment, then the defaults.\n"
    "  Credentials, region and endpoint also come from AWS_* variables and ~/.aws (see man s3up).\n";

// The only values an option accepts, read from the code that checks them; empty when free.
std::vector<std::string> fixed_values(std::string_view option) {
  std::vector<std::string_view> values;
  if (option == "checksum") values = s3::checksum_algorithm_names();
  else if (option == "engine") values.assign(kEngines.begin(), kEngines.end());
  else if (option == "trailing-checksum") values = {"auto", "on", "off"};
  else if (option == "progress") values = engine::progress_mode_names();
  else if (option == "storage-class") values = s3::storage_class_names();
  else if (option == "sse") values = s3::sse_algorithm_names();
  else if (option == "acl") values = s3::canned_acl_names();
  else if (option == "log-format") values = log_format_names();
  return {values.begin(), values.end()};
}

// The option table: what parses the command line, prints --help and is described by
// command_doc() (the manual page, the shell completions).
cxxopts::Options option_spec() {
  cxxopts::Options spec("s3up", kSummary);
  spec.custom_help("[OPTIONS]");
  spec.positional_help(kPositionals);
  // clang-format off
  spec.add_options("Destination")
    ("endpoint-url", "S3 endpoint, e.g. http://127.0.0.1:9000 (env AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)", cxxopts::value<std::string>(), "URL")
    ("region", "signing region (env AWS_REGION, AWS_DEFAULT_REGION, profile; default us-east-1)", cxxopts::value<std::string>(), "REGION")
    ("profile", "profile in ~/.aws/credentials and ~/.aws/config (env AWS_PROFILE); credentials come from the AWS provider chain: environment, web identity, the profile (keys, role, SSO, credential_process), container, EC2 instance metadata", cxxopts::value<std::string>(), "NAME")
    ("path-style", "address the bucket in the path (automatic for IP and localhost endpoints and dotted bucket names)")
    ("ca-bundle", "PEM file of CAs to trust for HTTPS (env AWS_CA_BUNDLE)", cxxopts::value<std::string>(), "FILE")
    ("no-verify-ssl", "do not verify TLS certificates (insecure; prints a warning)");
  spec.add_options("Transfer")
    ("concurrency", "requests in flight, or 'auto' (the default) to adapt to the endpoint: start at 64, fewer for large parts; double while throughput rises as TCP's slow start does, then grow by a quarter while it still rises; never grow while the machine's cores are 85% busy; when requests queue (latency 25% over the lowest seen), come down to what the throughput needs at that latency; halve on SlowDown", cxxopts::value<std::string>()->default_value("auto"), "N|auto")
    ("engine", "async (coroutines, the default) or threaded (blocking requests on a thread pool, for comparison)", cxxopts::value<std::string>()->default_value("async"), "NAME")
    ("threads", "threads running the I/O loop (default: number of cores)", cxxopts::value<long>(), "N")
    ("checksum", "checksum sent with every body for the store to verify: crc32c, crc32, crc64nvme, sha256, md5 (Content-MD5) or none; with crc32c, crc32 and crc64nvme a multipart object stores the checksum of the whole file (FULL_OBJECT); where the store does not verify or refuses it, Content-MD5 is sent as well (said once; the report's 'integrity' tells what each file got)", cxxopts::value<std::string>()->default_value("crc32c"), "ALGO")
    ("trailing-checksum", "auto, on or off: send the checksum of a multipart part or a large single PUT after its bytes, in an aws-chunked trailer (HTTPS), so that the file is read once, not twice; auto: on AWS's endpoints from the first file, elsewhere once the store's replies echo the checksum; a store that does not take it gets the checksum in a header again (said once)", cxxopts::value<std::string>()->default_value("auto"), "WHEN")
    ("multipart-threshold", "files larger than this use multipart upload (default 8MiB, as aws-cli)", cxxopts::value<std::string>(), "SIZE")
    ("part-size", "multipart part size, grown as needed to stay within 10,000 parts (default 16MiB; without this option a file under 64MiB goes in four parts, fewer under 20MiB, each at least 5MiB, so that 8-64MiB files use several connections)", cxxopts::value<std::string>(), "SIZE")
    ("max-memory", "file data held in memory at once (default 512MiB): whole files up to 8MiB; a part or a larger single PUT is streamed from the file, 1MiB at a time", cxxopts::value<std::string>(), "SIZE")
    ("retries", "retries of a failed request, 0 to 100 (backoff with jitter)", cxxopts::value<std::string>()->default_value("5"), "N")
    ("connect-timeout", "seconds to connect (and TLS handshake), e.g. 10 or 0.5", cxxopts::value<std::string>()->default_value("10"), "S")
    ("read-timeout", "seconds without progress on a request before it is retried", cxxopts::value<std::string>()->default_value("30"), "S")
    ("request-timeout", "seconds for a whole request, 0 for no limit", cxxopts::value<std::string>()->default_value("0"), "S")
    ("follow-symlinks", "follow symbolic links (with loop detection); skipped otherwise");
  spec.add_options("Selection")
    ("include", "upload only matching files again after an --exclude (glob on the relative path; '*' stays in a folder, '**' crosses folders); repeatable, applied in order", cxxopts::value<std::vector<std::string>>(), "GLOB")
    ("exclude", "leave out matching files (see --include); repeatable", cxxopts::value<std::vector<std::string>>(), "GLOB")
    ("dry-run", "print what would be uploaded (path -> s3://bucket/key (size)) and send nothing that changes anything")
    ("sync", "skip files already in the bucket unchanged: same size, and the object newer than the file or carrying its mtime")
    ("size-only", "with --sync: compare sizes only")
    ("sync-checksum", "with --sync: compare the checksum S3 stores (--checksum algorithm) with the file's; objects the store keeps none for are compared by MD5 ETag, else by size and mtime (said once)")
    ("sync-checksum-strict", "with --sync-checksum: upload again the objects the store keeps no checksum or MD5 ETag for, rather than compare their size and mtime")
    ("shard", "upload only the files whose key hashes to shard K of N (0 <= K < N)", cxxopts::value<std::string>(), "K/N")
    ("journal", "resume journal: a rerun skips finished files, continues open multipart uploads and aborts those it cannot continue", cxxopts::value<std::string>(), "FILE")
    ("abort-stale-uploads", "before a key is uploaded as multipart, abort the multipart uploads earlier runs left open for it (always done with --journal)")
    ("dir-markers", "upload empty directories as zero-byte 'key/' objects");
  spec.add_options("Object")
    ("content-type", "Content-Type for every object (default: guessed from the extension)", cxxopts::value<std::string>(), "TYPE")
    ("no-guess-mime-type", "do not guess Content-Type from the extension")
    ("cache-control", "Cache-Control header", cxxopts::value<std::string>(), "VALUE")
    ("content-encoding", "Content-Encoding header", cxxopts::value<std::string>(), "VALUE")
    ("metadata", "user metadata x-amz-meta-KEY: VALUE; repeatable", cxxopts::value<std::vector<std::string>>(), "KEY=VALUE")
    ("storage-class", "STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, ...", cxxopts::value<std::string>(), "CLASS")
    ("sse", "server-side encryption: AES256 or aws:kms", cxxopts::value<std::string>(), "ALGO")
    ("sse-kms-key-id", "KMS key for --sse aws:kms", cxxopts::value<std::string>(), "ID")
    ("acl", "canned ACL: private, public-read, bucket-owner-full-control, ...", cxxopts::value<std::string>(), "ACL")
    ("limit-rate", "cap the upload bandwidth over the whole run, in bytes per second (8MiB = 8 MiB/s)", cxxopts::value<std::string>(), "SIZE");
  spec.add_options("Output")
    ("progress", "auto (a live line on a terminal, a log line every 5 s otherwise), bar, log or none", cxxopts::value<std::string>()->default_value("auto"), "MODE")
    ("json", "write a machine-readable report to FILE ('-' for stdout)", cxxopts::value<std::string>(), "FILE")
    ("quiet", "print only errors and the summary")
    ("log-format", "stderr lines (failures, notes, progress log, -v) as text, or as one JSON object per line (time, level, event and its fields) for log collectors", cxxopts::value<std::string>()->default_value("text"), "FORMAT")
    ("v,verbose", "say more on stderr (never a secret): -v which credentials are used and when they are renewed, -vv every retry and its reason, -vvv every request (method, key, status, time)")
    ("h,help", "show this help")
    ("version", "show the version, the commit and the libraries built with");
  // Hidden (not in --help): what the build runs to write the manual page and the completions.
  spec.add_options("Generate")
    ("generate-man", "print the manual page (roff)")
    ("generate-completion", "print the completion script for SHELL", cxxopts::value<std::string>(), "SHELL");
  spec.add_options()
    ("source", "", cxxopts::value<std::string>())
    ("destination", "", cxxopts::value<std::string>())
    ("extra", "", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  spec.parse_positional({"source", "destination", "extra"});
  return spec;
}

cxxopts::ParseResult parse_arguments(int argc, char** argv) {
  cxxopts::Options spec = option_spec();
  try {
    return spec.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(e.what());
  }
}

// The options from a parsed command line (argv: the arguments parsed, environment's included).
CliOptions convert(const cxxopts::ParseResult& r, int argc, char** argv) {
  CliOptions o;
  o.show_help = r.count("help") > 0;
  o.show_version = r.count("version") > 0;
  o.generate_man = r.count("generate-man") > 0;
  if (r.count("generate-completion")) o.generate_completion = r["generate-completion"].as<std::string>();
  if (o.show_help || o.show_version || o.generate_man || o.generate_completion) return o;

  if (r.count("extra"))
    throw UsageError("too many arguments: expected SOURCE_DIR s3://BUCKET[/PREFIX]");
  if (!r.count("source") || !r.count("destination"))
    throw UsageError("expected SOURCE_DIR s3://BUCKET[/PREFIX] (see --help)");
  o.source = r["source"].as<std::string>();
  o.destination = r["destination"].as<std::string>();
  const auto opt_string = [&](const char* name) -> std::optional<std::string> {
    if (!r.count(name)) return std::nullopt;
    return r[name].as<std::string>();
  };
  o.endpoint_url = opt_string("endpoint-url");
  o.region = opt_string("region");
  o.profile = opt_string("profile");
  o.ca_bundle = opt_string("ca-bundle");
  o.json_path = opt_string("json");
  o.path_style = r.count("path-style") > 0;
  o.no_verify_ssl = r.count("no-verify-ssl") > 0;
  o.quiet = r.count("quiet") > 0;
  o.verbose = static_cast<int>(std::min<std::size_t>(r.count("verbose"), kVerboseRequests));
  o.log_format = r["log-format"].as<std::string>();
  if (!parse_log_format(o.log_format))
    throw UsageError("--log-format: '" + o.log_format + "' is not text or json");
  o.follow_symlinks = r.count("follow-symlinks") > 0;
  try {
    const auto concurrency = r["concurrency"].as<std::string>();
    if (concurrency == "auto") {
      o.concurrency_auto = true;
    } else {
      std::size_t used = 0;
      long value = 0;
      try {
        value = std::stol(concurrency, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != concurrency.size() || value <= 0)
        throw UsageError("--concurrency: '" + concurrency + "' is not a positive number or 'auto'");
      o.concurrency = static_cast<std::size_t>(value);
    }
    o.threads = static_cast<std::size_t>(positive<long>(r, "threads", 0));
    o.retries = retries_option(r);
    o.connect_timeout = seconds_option(r, "connect-timeout");
    o.read_timeout = seconds_option(r, "read-timeout");
    o.request_timeout = seconds_option(r, "request-timeout");
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(e.what());
  }
  if (o.connect_timeout <= 0) throw UsageError("--connect-timeout must be greater than 0");
  if (o.read_timeout <= 0) throw UsageError("--read-timeout must be greater than 0");
  if (o.request_timeout < 0) throw UsageError("--request-timeout must be 0 or more");
  o.checksum = r["checksum"].as<std::string>();
  o.trailing_checksum = r["trailing-checksum"].as<std::string>();
  if (o.trailing_checksum != "auto" && o.trailing_checksum != "on" && o.trailing_checksum != "off")
    throw UsageError("--trailing-checksum: '" + o.trailing_checksum + "' is not one of auto, on, off");
  o.filters = ordered_filters(argc, argv);
  o.dry_run = r.count("dry-run") > 0;
  o.sync = r.count("sync") > 0;
  o.size_only = r.count("size-only") > 0;
  o.sync_checksum = r.count("sync-checksum") > 0;
  o.sync_checksum_strict = r.count("sync-checksum-strict") > 0;
  if ((o.size_only || o.sync_checksum) && !o.sync)
    throw UsageError("--size-only and --sync-checksum go with --sync");
  if (o.size_only && o.sync_checksum)
    throw UsageError("choose one of --size-only and --sync-checksum");
  if (o.sync_checksum_strict && !o.sync_checksum)
    throw UsageError("--sync-checksum-strict goes with --sync --sync-checksum");
  if (o.sync_checksum && o.checksum == "none")
    throw UsageError("--sync-checksum compares checksums: choose a --checksum algorithm, not none");
  o.dir_markers = r.count("dir-markers") > 0;
  o.shard = opt_string("shard");
  o.journal = opt_string("journal");
  o.abort_stale_uploads = r.count("abort-stale-uploads") > 0;
  o.content_type = opt_string("content-type");
  o.no_guess_mime_type = r.count("no-guess-mime-type") > 0;
  o.cache_control = opt_string("cache-control");
  o.content_encoding = opt_string("content-encoding");
  o.storage_class = opt_string("storage-class");
  o.sse = opt_string("sse");
  o.sse_kms_key_id = opt_string("sse-kms-key-id");
  o.acl = opt_string("acl");
  // Each --metadata is one KEY=VALUE, split at its first '=': the value is free text.
  for (const auto& value : values_in_order(argc, argv, {"--metadata"})) {
    const std::string& item = value.second;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--metadata: '" + item + "' is not KEY=VALUE");
    o.metadata.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  o.limit_rate = size_option(r, "limit-rate");
  o.progress = r["progress"].as<std::string>();
  o.engine = r["engine"].as<std::string>();
  if (std::find(kEngines.begin(), kEngines.end(), o.engine) == kEngines.end())
    throw UsageError("--engine: '" + o.engine + "' is not async or threaded");
  o.multipart_threshold = size_option(r, "multipart-threshold");
  o.part_size = size_option(r, "part-size");
  o.max_memory = size_option(r, "max-memory");
  return o;
}

}  // namespace

CommandDoc command_doc() {
  cxxopts::Options spec = option_spec();
  CommandDoc doc;
  doc.name = "s3up";
  doc.summary = kSummary;
  while (!doc.summary.empty() && doc.summary.back() == '\n') doc.summary.pop_back();
  doc.usage = std::string("[OPTIONS] ") + kPositionals;
  for (const char* group : kHelpGroups) {
    doc.groups.emplace_back(group);
    for (const auto& h : spec.group_help(group).options) {
      OptionDoc d;
      d.group = group;
      d.name = h.l.empty() ? std::string() : h.l.front();
      d.short_name = h.s.empty() ? 0 : h.s.front();
      d.description = h.desc;
      if (!h.is_boolean) {
        d.arg = h.arg_help;
        if (h.has_default) d.default_value = h.default_value;
      }
      d.repeatable = h.is_container || d.name == "verbose";
      d.values = fixed_values(d.name);
      if (d.name != "help" && d.name != "version") d.env = env_name(d.name);
      doc.options.push_back(std::move(d));
    }
  }
  return doc;
}

std::string help_text() {
  cxxopts::Options spec = option_spec();
  return spec.help({kHelpGroups.begin(), kHelpGroups.end()}) + kHelpFooter;
}

namespace {

CliOptions parse_unchecked(int argc, char** argv, const Environment& env) {
  const cxxopts::ParseResult given = parse_arguments(argc, argv);
  EnvArguments from_env;
  const bool informational = given.count("help") || given.count("version") ||
                             given.count("generate-man") || given.count("generate-completion");
  if (!env.empty() && !informational)
    from_env = environment_arguments(command_doc(), env, [&given](const std::string& name) {
      return given.count(name) > 0;
    });
  if (from_env.args.empty()) {
    CliOptions o = convert(given, argc, argv);
    o.help_text = help_text();
    return o;
  }
  // The environment's arguments go first: the command line's own (and "--") keep their places.
  std::vector<std::string> storage;
  storage.reserve(static_cast<std::size_t>(argc) + from_env.args.size());
  storage.emplace_back(argc > 0 ? argv[0] : "s3up");
  for (auto& a : from_env.args) storage.push_back(std::move(a));
  for (int i = 1; i < argc; ++i) storage.emplace_back(argv[i]);
  std::vector<char*> args;
  for (auto& a : storage) args.push_back(a.data());
  args.push_back(nullptr);
  const int count = static_cast<int>(storage.size());
  CliOptions o;
  try {
    o = convert(parse_arguments(count, args.data()), count, args.data());
  } catch (const UsageError& e) {
    // Say which variable gave the value refused, when the message names its option.
    std::string message = e.what();
    std::string from;
    for (std::size_t i = 0; i < from_env.used.size() && from.empty(); ++i) {
      const std::string option = "--" + from_env.options[i];
      for (auto at = message.find(option); at != std::string::npos;
           at = message.find(option, at + 1)) {
        const std::size_t end = at + option.size();
        if (end == message.size() ||
            !(std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) {
          from = " (from " + from_env.used[i] + ")";
          break;
        }
      }
    }
    if (from.empty()) {
      from = " (settings from the environment:";
      for (const auto& variable : from_env.used) from += " " + variable;
      from += ")";
    }
    throw UsageError(message + from);
  }
  o.help_text = help_text();
  o.from_environment = std::move(from_env.used);
  return o;
}

}  // namespace

CliOptions parse_command_line(int argc, char** argv, const Environment& env) {
  try {
    return parse_unchecked(argc, argv, env);
  } catch (const UsageError& e) {
    // The messages quote what was typed: an argument with a line break or bytes that are not
    // UTF-8 (found by tests/fuzz/fuzz_cli_options) is shown escaped, so that the error stays
    // one line of text.
    throw UsageError(util::printable(e.what()));
  }
}

}  // namespace s3up::cli
