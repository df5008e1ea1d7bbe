#include "cli/app.hpp"

#include <fstream>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "cli/cli_options.hpp"
#include "engine/engine.hpp"
#include "engine/file_data.hpp"
#include "engine/journal.hpp"
#include "engine/part_plan.hpp"
#include "auth/chain.hpp"
#include "auth/refreshing_credentials.hpp"
#include "s3/aws_config.hpp"
#include "s3/s3_error.hpp"
#include "s3/location.hpp"
#include "util/version.hpp"
#include "walker/walker.hpp"

namespace s3up::cli {
namespace {

constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
  std::cerr << "s3up: error: " << message << "\n";
  return kExitUsage;
}

// A hint for run-wide errors, by the typed error of the reply that stopped the run.
std::string hint_for(std::error_code error) {
  using s3::S3Errc;
  if (error == S3Errc::signature_does_not_match)
    return "the secret access key does not match the access key id: check the credentials "
           "(AWS_SECRET_ACCESS_KEY, the profile's aws_secret_access_key, or the provider's)";
  if (error == S3Errc::invalid_access_key_id)
    return "the access key id is unknown to this endpoint: check the credentials";
  if (error == S3Errc::access_denied)
    return "the credentials are not allowed to write to this bucket";
  if (error == S3Errc::no_such_bucket)
    return "the bucket does not exist: check the s3:// URL and the endpoint";
  if (error == S3Errc::request_time_too_skewed)
    return "this machine's clock is off: synchronise it (NTP)";
  if (error == S3Errc::expired_token || error == S3Errc::token_refresh_required)
    return "the session token has expired and could not be renewed: refresh the credentials";
  if (error == S3Errc::invalid_token)
    return "the session token is invalid: refresh the credentials";
  // (S3Errc::certificate: the transport's message already says how to trust the CA.)
  return {};
}

void print_failures(const engine::RunSummary& s, const std::string& bucket) {
  // Files cut short by the run's error share one line (the error itself follows, once).
  std::size_t stopped = 0;
  for (const auto& f : s.failed) {
    const std::string stopped_reason(engine::kStoppedByFatal);
    if (s.fatal && (f.reason == stopped_reason ||
                    f.reason == stopped_reason + "; multipart upload aborted")) {
      ++stopped;
      continue;
    }
    std::cerr << "failed: " << f.path;
    if (!f.key.empty()) std::cerr << " -> s3://" << bucket << "/" << f.key;
    std::cerr << ": " << f.reason << "\n";
  }
  if (stopped > 0)
    std::cerr << "failed: " << stopped << (stopped == 1 ? " file" : " files")
              << " under way when the run stopped (listed in --json)\n";
}

// Walks the credential provider chain and fetches the first credentials. Returns the exit code
// when that fails (after one message), nullopt when `out` holds the run's credentials.
std::optional<int> find_credentials(const s3::ResolvedConfig& config, const http::TlsSettings& tls,
                                    bool verbose,
                                    std::shared_ptr<auth::RefreshingCredentials>& out) {
  const s3::Environment env = s3::Environment::process();
  auth::HttpSettings http;
  http.tls = tls;
  auth::Resolution found;
  try {
    found = auth::resolve_credentials(config, env, http);
  } catch (const s3::ConfigError& e) {
    return usage_error(e.what());
  }
  auth::RefreshingCredentials::Options options;
  if (verbose) options.log = [](const std::string& line) { std::cerr << "s3up: " << line << "\n"; };
  options.initial = std::move(found.first);
  try {
    out = std::make_shared<auth::RefreshingCredentials>(found.provider, std::move(options));
  } catch (const std::exception& e) {
    return usage_error("could not get credentials from " + found.provider->describe() + " (" +
                       found.provider->name() + "): " + e.what());
  }
  return std::nullopt;
}

}  // namespace

int run(int argc, char** argv) {
  CliOptions cli;
  try {
    cli = parse_command_line(argc, argv);
  } catch (const UsageError& e) {
    return usage_error(std::string(e.what()) + " (see s3up --help)");
  }
  if (cli.show_help) {
    std::cout << cli.help_text;
    return 0;
  }
  if (cli.show_version) {
    std::cout << "s3up " << s3up::version() << "\n";
    return 0;
  }

  engine::ServiceOptions service;
  engine::UploadOptions upload;
  std::optional<s3::ResolvedConfig> resolved;
  try {
    const s3::S3Url url = s3::parse_s3_url(cli.destination);
    const auto checksum = s3::parse_checksum_algorithm(cli.checksum);
    if (!checksum)
      return usage_error("--checksum: '" + cli.checksum +
                         "' is not one of crc32c, crc32, crc64nvme, sha256, md5, none");
    resolved = s3::resolve_config({cli.profile, cli.region, cli.endpoint_url, cli.ca_bundle},
                                  s3::Environment::process());
    const s3::ResolvedConfig& config = *resolved;

    service.endpoint = config.endpoint_url ? s3::parse_endpoint(*config.endpoint_url)
                                           : s3::default_endpoint(config.region);
    service.path_style = s3::should_use_path_style(service.endpoint, url.bucket, cli.path_style);
    service.region = config.region;
    service.tls.ca_bundle = config.ca_bundle;
    service.tls.verify_peer = !cli.no_verify_ssl;
    service.timeouts.connect = std::chrono::milliseconds(static_cast<long>(cli.connect_timeout * 1000));
    service.timeouts.idle = std::chrono::milliseconds(static_cast<long>(cli.read_timeout * 1000));
    service.timeouts.request = std::chrono::milliseconds(static_cast<long>(cli.request_timeout * 1000));

    upload.source = cli.source;
    upload.bucket = url.bucket;
    upload.prefix = url.prefix;
    // --concurrency auto starts where the default is, and doubles from there (slow start).
    upload.concurrency = cli.concurrency_auto ? 64 : cli.concurrency;
    upload.adaptive_concurrency = cli.concurrency_auto;
    upload.threads = cli.threads ? cli.threads : std::max(1u, std::thread::hardware_concurrency());
    upload.checksum = *checksum;
    upload.retries = cli.retries;
    upload.follow_symlinks = cli.follow_symlinks;
    if (cli.multipart_threshold) upload.multipart_threshold = cli.multipart_threshold;
    if (cli.part_size) upload.part_size = cli.part_size;
    if (cli.max_memory) upload.max_memory = cli.max_memory;
    for (const auto& [include, pattern] : cli.filters) upload.filter.add({include, pattern});
    upload.dry_run = cli.dry_run;
    upload.print = [](const std::string& line) { std::cout << line << "\n"; };
    upload.note = [](const std::string& line) { std::cerr << "s3up: " << line << "\n"; };
    upload.sync = !cli.sync           ? engine::SyncMode::Off
                  : cli.size_only     ? engine::SyncMode::SizeOnly
                  : cli.sync_checksum ? engine::SyncMode::Checksum
                                      : engine::SyncMode::SizeAndMtime;
    upload.sync_checksum_strict = cli.sync_checksum_strict;
    upload.dir_markers = cli.dir_markers;
    if (cli.shard) {
      upload.shard = engine::parse_shard(*cli.shard);
      if (!upload.shard)
        return usage_error("--shard: '" + *cli.shard + "' is not K/N with 0 <= K < N");
    }
    if (cli.journal) upload.journal = *cli.journal;
    upload.object.content_type = cli.content_type;
    upload.object.guess_content_type = !cli.no_guess_mime_type;
    upload.object.cache_control = cli.cache_control;
    upload.object.content_encoding = cli.content_encoding;
    upload.object.metadata = cli.metadata;
    upload.object.storage_class = cli.storage_class;
    upload.object.sse = cli.sse;
    upload.object.sse_kms_key_id = cli.sse_kms_key_id;
    upload.object.acl = cli.acl;
    if (auto problem = s3::settings_problem(upload.object)) return usage_error(*problem);
    upload.limit_rate = cli.limit_rate;
    try {
      upload.progress = engine::choose_progress_mode(cli.progress, ::isatty(STDERR_FILENO) != 0,
                                                     cli.quiet);
    } catch (const std::invalid_argument&) {
      return usage_error("--progress: '" + cli.progress + "' is not auto, bar, log or none");
    }
    if (upload.multipart_threshold > engine::kMaxSinglePut)
      return usage_error("--multipart-threshold cannot exceed S3's 5 GiB single-upload limit");
    if (upload.part_size < engine::kMinPartSize || upload.part_size > engine::kMaxPartSize)
      return usage_error("--part-size must be between 5MiB and 5GiB (S3's part limits)");
    // Parts are held in memory; single PUTs above engine::kStreamFrom are streamed from the
    // file, so --multipart-threshold does not count here.
    const std::uint64_t largest_buffer =
        std::max(std::min(upload.multipart_threshold, engine::kStreamFrom), upload.part_size);
    if (upload.max_memory < largest_buffer)
      return usage_error("--max-memory must be at least --part-size (" +
                         std::to_string(largest_buffer) + " bytes)");
  } catch (const s3::UsageError& e) {
    return usage_error(e.what());
  } catch (const s3::ConfigError& e) {
    return usage_error(e.what());
  }

  if (cli.no_verify_ssl && service.endpoint.scheme == "https")
    std::cerr << "s3up: warning: --no-verify-ssl: TLS certificates are not verified; anyone on "
                 "the path can read and change this upload\n";

  // Credentials last, once every option is known to be valid: finding them may take network
  // round trips (STS, instance metadata).
  std::shared_ptr<auth::RefreshingCredentials> credentials;
  if (auto code = find_credentials(*resolved, service.tls, cli.verbose, credentials)) return *code;
  service.credentials = credentials;

  engine::RunSummary summary;
  try {
    summary = cli.engine == "threaded" ? engine::run_threaded(service, upload)
                                       : engine::run_async(service, upload);
  } catch (const walker::WalkError& e) {
    return usage_error(e.what());
  } catch (const engine::JournalError& e) {
    return usage_error(e.what());
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }

  summary.credentials = credentials->provider();
  summary.credential_refreshes = credentials->refreshes();
  credentials->stop();
  print_failures(summary, upload.bucket);
  const bool json_to_stdout = cli.json_path && *cli.json_path == "-";
  std::ostream& out = json_to_stdout ? std::cerr : std::cout;
  if (summary.fatal) {
    std::cerr << "s3up: error: " << *summary.fatal;
    if (const auto hint = hint_for(summary.fatal_error); !hint.empty())
      std::cerr << " (" << hint << ")";
    std::cerr << "\n";
  }
  out << engine::summary_line(summary) << "\n";
  if (cli.json_path) {
    if (json_to_stdout) {
      engine::write_json(summary, std::cout);
    } else {
      std::ofstream file(*cli.json_path);
      engine::write_json(summary, file);
      if (!file) std::cerr << "s3up: error: cannot write the report to " << *cli.json_path << "\n";
    }
  }
  return summary.exit_code();
}

}  // namespace s3up::cli
