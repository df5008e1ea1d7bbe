#include "cli/app.hpp"

#include <fstream>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "cli/cli_options.hpp"
#include "cli/completions.hpp"
#include "cli/events.hpp"
#include "cli/log.hpp"
#include "cli/manpage.hpp"
#include "engine/engine.hpp"
#include "engine/file_data.hpp"
#include "engine/journal.hpp"
#include "engine/part_plan.hpp"
#include "auth/chain.hpp"
#include "auth/refreshing_credentials.hpp"
#include "s3/aws_config.hpp"
#include "s3/s3_error.hpp"
#include "s3/location.hpp"
#include "util/open_files.hpp"
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

// The hidden generators: the manual page and the completion scripts, on stdout.
int generate(const CliOptions& cli) {
  const CommandDoc doc = command_doc();
  if (cli.generate_man) {
    std::cout << manual_page(doc, s3up::version(), s3up::commit_date());
    return 0;
  }
  const auto script = completion_script(*cli.generate_completion, doc);
  if (!script) return usage_error("--generate-completion: '" + *cli.generate_completion +
                                  "' is not bash, zsh or fish");
  std::cout << *script;
  return 0;
}

// Walks the credential provider chain and fetches the first credentials. Returns the exit code
// when that fails (after one message), nullopt when `out` holds the run's credentials.
std::optional<int> find_credentials(const s3::ResolvedConfig& config, const http::TlsSettings& tls,
                                    Log& log, std::shared_ptr<auth::RefreshingCredentials>& out) {
  const auto usage_error = [&log](const std::string& message) {
    log_error(log, message);
    return kExitUsage;
  };
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
  if (log.verbosity() >= kVerboseCredentials)
    options.log = [&log](const std::string& line) { log_credentials(log, line); };
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
    cli = parse_command_line(argc, argv, s3up_environment());
  } catch (const UsageError& e) {
    return usage_error(std::string(e.what()) + " (see s3up --help)");
  }
  if (cli.show_help) {
    std::cout << cli.help_text;
    return 0;
  }
  if (cli.show_version) {
    std::cout << s3up::version_details();
    return 0;
  }
  if (cli.generate_man || cli.generate_completion) return generate(cli);

  // From here on every stderr line goes through the log (--log-format, -v).
  Log log(*parse_log_format(cli.log_format), cli.verbose);
  const auto usage_error = [&log](const std::string& message) {
    log_error(log, message);
    return kExitUsage;
  };
  if (log.verbosity() >= kVerboseCredentials) log_environment(log, cli.from_environment);

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
    // --concurrency auto (the default) starts at 64 and doubles from there (slow start).
    upload.concurrency = cli.concurrency_auto ? 64 : cli.concurrency;
    upload.adaptive_concurrency = cli.concurrency_auto;
    upload.threads = cli.threads ? cli.threads : std::max(1u, std::thread::hardware_concurrency());
    // Each request in flight holds a connection, a streamed body its file too: the process may
    // open as many files as its hard limit allows (many systems start it at a soft limit of
    // 1,024), and no more requests go at once than that leaves room for.
    const std::uint64_t open_files = util::raise_open_files_limit();
    const std::size_t room = util::requests_for_open_files(open_files);
    upload.concurrency_ceiling = std::min(upload.concurrency_ceiling, room);
    if (upload.concurrency > room) {
      if (!cli.concurrency_auto)
        log_note(log, "note: --concurrency " + std::to_string(upload.concurrency) + " lowered to " +
                          std::to_string(room) + ": this process may open " +
                          std::to_string(open_files) +
                          " files (ulimit -n), two for each request in flight");
      upload.concurrency = room;
    }
    upload.checksum = *checksum;
    upload.trailing_checksums =
        cli.trailing_checksum == "off" ? engine::TrailingChecksums::Never
        : cli.trailing_checksum == "on" || service.endpoint.is_default_aws
            ? engine::TrailingChecksums::FromStart
            : engine::TrailingChecksums::OnceEchoed;
    upload.retries = cli.retries;
    upload.follow_symlinks = cli.follow_symlinks;
    if (cli.multipart_threshold) upload.multipart_threshold = cli.multipart_threshold;
    if (cli.part_size) {
      upload.part_size = cli.part_size;
      upload.spread_parts = false;
    }
    if (cli.max_memory) upload.max_memory = cli.max_memory;
    for (const auto& [include, pattern] : cli.filters) upload.filter.add({include, pattern});
    upload.dry_run = cli.dry_run;
    upload.print = [](const std::string& line) { std::cout << line << "\n"; };
    if (log.json())
      upload.planned = [&log, bucket = url.bucket](const engine::PlannedEntry& e) {
        log_planned(log, e, bucket);
      };
    upload.note = [&log](const std::string& line) { log_note(log, line); };
    upload.warning = [&log](const std::string& line) { log_warning(log, "interrupted", line); };
    if (log.json())
      upload.progress_log = [&log](const engine::ProgressSnapshot& s, double bytes_per_s,
                                   double files_per_s) {
        log_progress(log, s, bytes_per_s, files_per_s);
      };
    if (log.verbosity() >= kVerboseRetries)
      upload.on_retry = [&log, retries = cli.retries](const s3::OpResult& r, int attempt,
                                                      bool counted) {
        log_retry(log, r, attempt, counted, retries);
      };
    if (log.verbosity() >= kVerboseRequests)
      upload.on_request = [&log](const s3::OpResult& r) { log_request(log, r); };
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
    upload.abort_stale_uploads = cli.abort_stale_uploads;
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
      // JSON logs are read by programs: "auto" gives them progress lines, never a live bar.
      upload.progress = engine::choose_progress_mode(
          cli.progress, ::isatty(STDERR_FILENO) != 0 && !log.json(), cli.quiet);
    } catch (const std::invalid_argument&) {
      return usage_error("--progress: '" + cli.progress + "' is not auto, bar, log or none");
    }
    if (upload.multipart_threshold > engine::kMaxSinglePut)
      return usage_error("--multipart-threshold cannot exceed S3's 5 GiB single-upload limit");
    if (upload.part_size < engine::kMinPartSize || upload.part_size > engine::kMaxPartSize)
      return usage_error("--part-size must be between 5MiB and 5GiB (S3's part limits)");
    // Files sent whole in one PUT up to engine::kStreamFrom are held in memory; larger ones and
    // every part are streamed from the file (kStreamMemory each), so neither --part-size nor a
    // raised --multipart-threshold counts here.
    const std::uint64_t largest_buffer = std::max(
        std::min(upload.multipart_threshold, engine::kStreamFrom), engine::kStreamMemory);
    if (upload.max_memory < largest_buffer)
      return usage_error("--max-memory must be at least " + std::to_string(largest_buffer) +
                         " bytes (the largest file held whole: --multipart-threshold, up to 8MiB)");
  } catch (const s3::UsageError& e) {
    return usage_error(e.what());
  } catch (const s3::ConfigError& e) {
    return usage_error(e.what());
  }

  if (cli.no_verify_ssl && service.endpoint.scheme == "https")
    log_warning(log, "warning",
                "warning: --no-verify-ssl: TLS certificates are not verified; anyone on the path "
                "can read and change this upload");

  // Credentials last, once every option is known to be valid: finding them may take network
  // round trips (STS, instance metadata).
  std::shared_ptr<auth::RefreshingCredentials> credentials;
  if (auto code = find_credentials(*resolved, service.tls, log, credentials)) return *code;
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
  log_failures(log, summary, upload.bucket);
  const bool json_to_stdout = cli.json_path && *cli.json_path == "-";
  std::ostream& out = json_to_stdout ? std::cerr : std::cout;
  if (summary.fatal) log_error(log, *summary.fatal, hint_for(summary.fatal_error));
  const std::string line = engine::summary_line(summary);
  out << line << "\n";
  log_summary(log, summary, line);
  if (cli.json_path) {
    if (json_to_stdout) {
      engine::write_json(summary, std::cout);
    } else {
      std::ofstream file(*cli.json_path);
      engine::write_json(summary, file);
      if (!file) log_error(log, "cannot write the report to " + *cli.json_path);
    }
  }
  return summary.exit_code();
}

}  // namespace s3up::cli
