// cli::parse_command_line: defaults, every option's value, repeatable options, the order of
// --include/--exclude, -v/--verbose, --help/--version, and the bad command lines it refuses with
// a UsageError (values checked later, such as --checksum or --shard, are app.cpp's business).
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "cli/cli_options.hpp"

using namespace s3up::cli;

namespace {

CliOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "s3up");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_command_line(static_cast<int>(args.size()), argv.data());
}

// The message of the UsageError that `args` gives, or "<no error>".
std::string refusal(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no error>";
}

std::vector<std::string> with_paths(std::vector<std::string> args) {
  args.emplace_back("./src");
  args.emplace_back("s3://bucket/prefix");
  return args;
}

using Filters = std::vector<std::pair<bool, std::string>>;
using Pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_options)

BOOST_AUTO_TEST_CASE(defaults) {
  const CliOptions o = parse({"./src", "s3://bucket/prefix"});
  BOOST_TEST(o.source == "./src");
  BOOST_TEST(o.destination == "s3://bucket/prefix");
  BOOST_TEST(!o.endpoint_url);
  BOOST_TEST(!o.region);
  BOOST_TEST(!o.profile);
  BOOST_TEST(!o.ca_bundle);
  BOOST_TEST(!o.json_path);
  BOOST_TEST(!o.path_style);
  BOOST_TEST(!o.no_verify_ssl);
  BOOST_TEST(!o.quiet);
  BOOST_TEST(!o.verbose);
  BOOST_TEST(!o.follow_symlinks);
  BOOST_TEST(o.concurrency == 64u);  // where auto starts
  BOOST_TEST(o.concurrency_auto);     // the default
  BOOST_TEST(o.engine == "async");
  BOOST_TEST(o.threads == 0u);
  BOOST_TEST(o.checksum == "crc32c");
  BOOST_TEST(o.multipart_threshold == 0u);
  BOOST_TEST(o.part_size == 0u);
  BOOST_TEST(o.max_memory == 0u);
  BOOST_TEST(o.retries == 5);
  BOOST_TEST(o.connect_timeout == 10.0);
  BOOST_TEST(o.read_timeout == 30.0);
  BOOST_TEST(o.request_timeout == 0.0);
  BOOST_TEST(o.filters.empty());
  BOOST_TEST(!o.dry_run);
  BOOST_TEST(!o.sync);
  BOOST_TEST(!o.size_only);
  BOOST_TEST(!o.sync_checksum);
  BOOST_TEST(!o.dir_markers);
  BOOST_TEST(!o.shard);
  BOOST_TEST(!o.journal);
  BOOST_TEST(!o.content_type);
  BOOST_TEST(!o.cache_control);
  BOOST_TEST(!o.content_encoding);
  BOOST_TEST(!o.storage_class);
  BOOST_TEST(!o.sse);
  BOOST_TEST(!o.sse_kms_key_id);
  BOOST_TEST(!o.acl);
  BOOST_TEST(!o.no_guess_mime_type);
  BOOST_TEST(o.metadata.empty());
  BOOST_TEST(o.limit_rate == 0u);
  BOOST_TEST(o.progress == "auto");
  BOOST_TEST(!o.show_help);
  BOOST_TEST(!o.show_version);
  BOOST_TEST(o.help_text.find("--endpoint-url") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_option_with_its_value) {
  const CliOptions o = parse({
      "--endpoint-url", "http://127.0.0.1:9000",
      "--region", "eu-west-1",
      "--profile", "uploader",
      "--path-style",
      "--ca-bundle", "/etc/ca.pem",
      "--no-verify-ssl",
      "--concurrency", "128",
      "--engine", "threaded",
      "--threads", "6",
      "--checksum", "sha256",
      "--multipart-threshold", "100MiB",
      "--part-size", "32MB",
      "--max-memory", "2GiB",
      "--retries", "9",
      "--connect-timeout", "2.5",
      "--read-timeout", "60",
      "--request-timeout", "600",
      "--follow-symlinks",
      "--include", "*.txt",
      "--exclude", "tmp/**",
      "--dry-run",
      "--sync",
      "--size-only",
      "--shard", "1/4",
      "--journal", "/var/tmp/j",
      "--dir-markers",
      "--content-type", "text/plain",
      "--no-guess-mime-type",
      "--cache-control", "max-age=60",
      "--content-encoding", "gzip",
      "--metadata", "owner=ops",
      "--storage-class", "STANDARD_IA",
      "--sse", "aws:kms",
      "--sse-kms-key-id", "alias/k",
      "--acl", "private",
      "--limit-rate", "8MiB",
      "--progress", "log",
      "--json", "-",
      "--quiet",
      "--verbose",
      "/data", "s3://b/p/",
  });
  BOOST_TEST(o.source == "/data");
  BOOST_TEST(o.destination == "s3://b/p/");
  BOOST_TEST(*o.endpoint_url == "http://127.0.0.1:9000");
  BOOST_TEST(*o.region == "eu-west-1");
  BOOST_TEST(*o.profile == "uploader");
  BOOST_TEST(o.path_style);
  BOOST_TEST(*o.ca_bundle == "/etc/ca.pem");
  BOOST_TEST(o.no_verify_ssl);
  BOOST_TEST(o.concurrency == 128u);
  BOOST_TEST(!o.concurrency_auto);
  BOOST_TEST(o.engine == "threaded");
  BOOST_TEST(o.threads == 6u);
  BOOST_TEST(o.checksum == "sha256");
  BOOST_TEST(o.multipart_threshold == 100u << 20);
  BOOST_TEST(o.part_size == 32'000'000u);
  BOOST_TEST(o.max_memory == 2ull << 30);
  BOOST_TEST(o.retries == 9);
  BOOST_TEST(o.connect_timeout == 2.5);
  BOOST_TEST(o.read_timeout == 60.0);
  BOOST_TEST(o.request_timeout == 600.0);
  BOOST_TEST(o.follow_symlinks);
  BOOST_TEST((o.filters == Filters{{true, "*.txt"}, {false, "tmp/**"}}));
  BOOST_TEST(o.dry_run);
  BOOST_TEST(o.sync);
  BOOST_TEST(o.size_only);
  BOOST_TEST(!o.sync_checksum);
  BOOST_TEST(*o.shard == "1/4");
  BOOST_TEST(*o.journal == "/var/tmp/j");
  BOOST_TEST(o.dir_markers);
  BOOST_TEST(*o.content_type == "text/plain");
  BOOST_TEST(o.no_guess_mime_type);
  BOOST_TEST(*o.cache_control == "max-age=60");
  BOOST_TEST(*o.content_encoding == "gzip");
  BOOST_TEST((o.metadata == Pairs{{"owner", "ops"}}));
  BOOST_TEST(*o.storage_class == "STANDARD_IA");
  BOOST_TEST(*o.sse == "aws:kms");
  BOOST_TEST(*o.sse_kms_key_id == "alias/k");
  BOOST_TEST(*o.acl == "private");
  BOOST_TEST(o.limit_rate == 8u << 20);
  BOOST_TEST(o.progress == "log");
  BOOST_TEST(*o.json_path == "-");
  BOOST_TEST(o.quiet);
  BOOST_TEST(o.verbose);
  BOOST_TEST(!o.show_help);
}

BOOST_AUTO_TEST_CASE(equals_form_and_options_after_the_paths) {
  const CliOptions o = parse({"./src", "--region=us-west-2", "s3://b", "--retries=0",
                              "--concurrency=auto", "--sync", "--sync-checksum"});
  BOOST_TEST(o.source == "./src");
  BOOST_TEST(o.destination == "s3://b");
  BOOST_TEST(*o.region == "us-west-2");
  BOOST_TEST(o.retries == 0);
  BOOST_TEST(o.concurrency_auto);
  BOOST_TEST(o.concurrency == 64u);  // the starting point stays the default
  BOOST_TEST(o.sync);
  BOOST_TEST(o.sync_checksum);
  BOOST_TEST(!o.size_only);
}

BOOST_AUTO_TEST_CASE(verbose_short_and_long) {
  BOOST_TEST(parse(with_paths({"-v"})).verbose);
  BOOST_TEST(parse(with_paths({"--verbose"})).verbose);
  BOOST_TEST(!parse(with_paths({})).verbose);
  const CliOptions o = parse({"./src", "-v", "s3://b"});
  BOOST_TEST(o.verbose);
  BOOST_TEST(o.source == "./src");
}

BOOST_AUTO_TEST_CASE(help_and_version_need_no_paths) {
  for (const char* flag : {"-h", "--help"}) {
    const CliOptions o = parse({flag});
    BOOST_TEST(o.show_help);
    BOOST_TEST(!o.show_version);
    BOOST_TEST(o.help_text.find("--include") != std::string::npos);
    BOOST_TEST(o.help_text.find("SOURCE_DIR s3://BUCKET[/PREFIX]") != std::string::npos);
  }
  const CliOptions v = parse({"--version"});
  BOOST_TEST(v.show_version);
  BOOST_TEST(!v.show_help);
  // Even with other arguments that would be wrong.
  BOOST_TEST(parse({"a", "b", "c", "--help"}).show_help);
}

BOOST_AUTO_TEST_CASE(metadata_is_repeatable_in_order) {
  const CliOptions o = parse(with_paths(
      {"--metadata", "owner=ops", "--metadata=team=data", "--metadata", "empty=", "--metadata",
       "expr=a=b"}));
  BOOST_TEST((o.metadata == Pairs{{"owner", "ops"}, {"team", "data"}, {"empty", ""},
                                  {"expr", "a=b"}}));  // split at the first '='
}

// A metadata value is free text: "--metadata note=a,b" is the one entry note: "a,b", and
// "tags=x=1,y=2" the one entry tags: "x=1,y=2" (read from argv, not split at commas).
BOOST_AUTO_TEST_CASE(metadata_values_may_hold_commas) {
  BOOST_TEST(refusal(with_paths({"--metadata", "note=a,b"})) == "<no error>");
  BOOST_TEST((parse(with_paths({"--metadata", "tags=x=1,y=2"})).metadata ==
              Pairs{{"tags", "x=1,y=2"}}));
}

BOOST_AUTO_TEST_CASE(include_and_exclude_keep_their_interleaved_order) {
  const CliOptions o = parse(with_paths({"--exclude", "**", "--include", "**/*.txt",
                                         "--exclude=**/tmp/**", "--include=keep/**",
                                         "--exclude", "*.{bak,swp}"}));
  BOOST_TEST((o.filters == Filters{{false, "**"},
                                   {true, "**/*.txt"},
                                   {false, "**/tmp/**"},
                                   {true, "keep/**"},
                                   {false, "*.{bak,swp}"}}));  // commas stay in a glob
}

BOOST_AUTO_TEST_CASE(filters_among_other_options_and_paths) {
  const CliOptions o = parse({"--include", "a", "./src", "--retries", "3", "--exclude", "b",
                              "s3://bucket", "--include=", "--dry-run"});
  BOOST_TEST(o.source == "./src");
  BOOST_TEST(o.destination == "s3://bucket");
  BOOST_TEST(o.retries == 3);
  BOOST_TEST(o.dry_run);
  BOOST_TEST((o.filters == Filters{{true, "a"}, {false, "b"}, {true, ""}}));
}

BOOST_AUTO_TEST_CASE(nothing_after_double_dash_is_an_option) {
  const CliOptions o = parse({"--exclude", "x", "--", "--include", "s3://bucket"});
  BOOST_TEST(o.source == "--include");  // a directory named "--include"
  BOOST_TEST(o.destination == "s3://bucket");
  BOOST_TEST((o.filters == Filters{{false, "x"}}));
}

BOOST_AUTO_TEST_CASE(concurrency_values) {
  BOOST_TEST(parse(with_paths({"--concurrency", "1"})).concurrency == 1u);
  BOOST_TEST(parse(with_paths({"--concurrency", "1000"})).concurrency == 1000u);
  BOOST_TEST(parse(with_paths({"--concurrency", "auto"})).concurrency_auto);
  for (const char* bad : {"0", "-3", "abc", "8x", "", "AUTO", "1.5", "99999999999999999999"}) {
    BOOST_TEST(refusal(with_paths({"--concurrency", bad})) ==
                   "--concurrency: '" + std::string(bad) + "' is not a positive number or 'auto'",
               bad);
  }
}

BOOST_AUTO_TEST_CASE(numbers_that_must_be_positive) {
  BOOST_TEST(refusal(with_paths({"--threads", "0"})) == "--threads must be greater than 0");
  BOOST_TEST(refusal(with_paths({"--threads=-2"})) == "--threads must be greater than 0");
  BOOST_TEST(refusal(with_paths({"--retries=-1"})) == "--retries must be 0 or more");
  BOOST_TEST(refusal(with_paths({"--connect-timeout", "0"})) ==
             "--connect-timeout must be greater than 0");
  BOOST_TEST(refusal(with_paths({"--read-timeout=-1"})) == "--read-timeout must be greater than 0");
  BOOST_TEST(refusal(with_paths({"--request-timeout=-0.5"})) ==
             "--request-timeout must be 0 or more");
  BOOST_TEST(parse(with_paths({"--request-timeout", "0"})).request_timeout == 0.0);
  BOOST_TEST(parse(with_paths({"--connect-timeout", "0.25"})).connect_timeout == 0.25);
}

BOOST_AUTO_TEST_CASE(numbers_that_are_not_numbers) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--threads", "many"}, {"--retries", "five"}, {"--retries", "2.5"},
           {"--connect-timeout", "soon"}, {"--read-timeout", "x1"}, {"--request-timeout", "x"}}) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1]) {
      BOOST_TEST(refusal(with_paths(args)) != "<no error>");
    }
  }
}

// Timeouts are plain seconds: "500ms" must be refused, not read as 500 seconds, and nothing may
// follow the number.
BOOST_AUTO_TEST_CASE(timeouts_with_a_unit_are_refused) {
  BOOST_TEST(refusal(with_paths({"--connect-timeout", "500ms"})) != "<no error>");
  BOOST_TEST(refusal(with_paths({"--read-timeout", "30s"})) != "<no error>");
  BOOST_TEST(refusal(with_paths({"--request-timeout", "1.5.2"})) != "<no error>");
}

// --retries takes a count that fits the retry counter: a value past INT_MAX must be refused, not
// wrapped (4294967301 would otherwise become 5 retries, 4294967296 none).
BOOST_AUTO_TEST_CASE(retries_out_of_range_are_refused) {
  BOOST_TEST(refusal(with_paths({"--retries", "4294967301"})) != "<no error>");
  BOOST_TEST(refusal(with_paths({"--retries", "4294967296"})) != "<no error>");
}

BOOST_AUTO_TEST_CASE(timeouts_are_plain_decimal_seconds) {
  BOOST_TEST(parse(with_paths({"--read-timeout", "2."})).read_timeout == 2.0);
  BOOST_TEST(parse(with_paths({"--read-timeout", ".5"})).read_timeout == 0.5);
  BOOST_TEST(parse(with_paths({"--request-timeout=1000000"})).request_timeout == 1e6);
  for (const char* option : {"--connect-timeout", "--read-timeout", "--request-timeout"}) {
    for (const char* bad : {"500ms", "30s", "1.5.2", "1e3", "inf", "nan", "0x10", "+1", " 1", "1 ",
                            ".", "-", "", "--1", "1,5"}) {
      BOOST_TEST(refusal(with_paths({std::string(option) + "=" + bad})) ==
                     std::string(option) + ": '" + bad +
                         "' is not a number of seconds (examples: 10, 0.5)",
                 option << " " << bad);
    }
    BOOST_TEST(refusal(with_paths({option, "1000000.5"})) ==
               std::string(option) + " must be at most 1000000 seconds");
  }
}

BOOST_AUTO_TEST_CASE(retries_are_a_whole_number_from_0_to_100) {
  BOOST_TEST(parse(with_paths({"--retries", "100"})).retries == 100);
  BOOST_TEST(parse(with_paths({"--retries", "0"})).retries == 0);
  BOOST_TEST(refusal(with_paths({"--retries", "101"})) == "--retries must be at most 100");
  BOOST_TEST(refusal(with_paths({"--retries", "4294967301"})) == "--retries must be at most 100");
  BOOST_TEST(refusal(with_paths({"--retries", "99999999999999999999"})) ==
             "--retries must be at most 100");
  BOOST_TEST(refusal(with_paths({"--retries=-99999999999999999999"})) ==
             "--retries must be 0 or more");
  for (const char* bad : {"five", "2.5", "+3", "3x", "", " 3", "0x10"})
    BOOST_TEST(refusal(with_paths({"--retries", bad})) ==
                   "--retries: '" + std::string(bad) + "' is not a whole number",
               bad);
  BOOST_TEST(parse({"--help"}).help_text.find("0 to 100") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sizes) {
  const CliOptions o = parse(with_paths({"--multipart-threshold", "5242880", "--part-size", "5M",
                                         "--max-memory", "1.5GiB", "--limit-rate", "100kB"}));
  BOOST_TEST(o.multipart_threshold == 5'242'880u);
  BOOST_TEST(o.part_size == 5u << 20);
  BOOST_TEST(o.max_memory == 3ull << 29);
  BOOST_TEST(o.limit_rate == 100'000u);
  for (const char* option : {"--multipart-threshold", "--part-size", "--max-memory", "--limit-rate"}) {
    for (const char* bad : {"0", "0MiB", "fast", "-1", "8XB", ""}) {
      BOOST_TEST(refusal(with_paths({option, bad})) ==
                     std::string(option) + ": '" + bad +
                         "' is not a size (examples: 8MiB, 64MB, 1GiB, 5242880)",
                 option << " " << bad);
    }
  }
}

BOOST_AUTO_TEST_CASE(sync_variants_go_with_sync) {
  BOOST_TEST(refusal(with_paths({"--size-only"})) == "--size-only and --sync-checksum go with --sync");
  BOOST_TEST(refusal(with_paths({"--sync-checksum"})) ==
             "--size-only and --sync-checksum go with --sync");
  BOOST_TEST(refusal(with_paths({"--sync", "--size-only", "--sync-checksum"})) ==
             "choose one of --size-only and --sync-checksum");
  BOOST_TEST(refusal(with_paths({"--sync", "--sync-checksum-strict"})) ==
             "--sync-checksum-strict goes with --sync --sync-checksum");
  BOOST_TEST(refusal(with_paths({"--sync", "--sync-checksum", "--checksum", "none"})) ==
             "--sync-checksum compares checksums: choose a --checksum algorithm, not none");
  BOOST_TEST(parse(with_paths({"--sync", "--sync-checksum", "--sync-checksum-strict"}))
                 .sync_checksum_strict);
  const CliOptions o = parse(with_paths({"--sync"}));
  BOOST_TEST(o.sync);
  BOOST_TEST(!o.size_only);
  BOOST_TEST(!o.sync_checksum);
}

BOOST_AUTO_TEST_CASE(metadata_must_be_key_equals_value) {
  BOOST_TEST(refusal(with_paths({"--metadata", "novalue"})) == "--metadata: 'novalue' is not KEY=VALUE");
  BOOST_TEST(refusal(with_paths({"--metadata", "=v"})) == "--metadata: '=v' is not KEY=VALUE");
  BOOST_TEST(refusal(with_paths({"--metadata", "a=1", "--metadata", ""})) ==
             "--metadata: '' is not KEY=VALUE");
}

BOOST_AUTO_TEST_CASE(engine_is_async_or_threaded) {
  BOOST_TEST(parse(with_paths({"--engine", "async"})).engine == "async");
  BOOST_TEST(parse(with_paths({"--engine=threaded"})).engine == "threaded");
  BOOST_TEST(refusal(with_paths({"--engine", "fibers"})) == "--engine: 'fibers' is not async or threaded");
  BOOST_TEST(refusal(with_paths({"--engine", "Async"})) == "--engine: 'Async' is not async or threaded");
}

BOOST_AUTO_TEST_CASE(paths_are_two) {
  BOOST_TEST(refusal({}) == "expected SOURCE_DIR s3://BUCKET[/PREFIX] (see --help)");
  BOOST_TEST(refusal({"./src"}) == "expected SOURCE_DIR s3://BUCKET[/PREFIX] (see --help)");
  BOOST_TEST(refusal({"--dry-run", "./src"}) == "expected SOURCE_DIR s3://BUCKET[/PREFIX] (see --help)");
  BOOST_TEST(refusal({"./a", "./b", "s3://bucket"}) ==
             "too many arguments: expected SOURCE_DIR s3://BUCKET[/PREFIX]");
}

BOOST_AUTO_TEST_CASE(unknown_options_and_missing_values) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"-x"}, {"--dry-run=maybe"}, {"--concurrency"}, {"--region"}}) {
    BOOST_TEST_CONTEXT(args[0]) {
      auto argv = args;
      if (args[0] != "--concurrency" && args[0] != "--region") argv = with_paths(args);
      BOOST_CHECK_THROW(parse(argv), UsageError);
    }
  }
  // A value-taking option last takes nothing: the paths are there, the value is not.
  BOOST_CHECK_THROW(parse({"./src", "s3://bucket", "--journal"}), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

// Found by tests/fuzz/fuzz_cli_options (its input is in tests/fuzz/corpus/cli_options): an
// unknown option with a line break and bytes that are not UTF-8 was quoted as is, an error of
// two lines with raw bytes. Quoted values are escaped: one line of valid UTF-8.
BOOST_AUTO_TEST_SUITE(cli_options)

BOOST_AUTO_TEST_CASE(refusals_quote_what_was_typed_on_one_line) {
  const std::string unknown = refusal({"--aocr\xff\xff\nc64nvme"});
  BOOST_TEST(unknown.find('\n') == std::string::npos);
  BOOST_TEST(unknown.find("aocr\\xff\\xff\\nc64nvme") != std::string::npos, unknown);
  const std::string size = refusal(with_paths({"--part-size", "8\nMiB"}));
  BOOST_TEST(size.find("'8\\nMiB' is not a size") != std::string::npos, size);
  // Valid UTF-8 is kept.
  const std::string utf8 = refusal(with_paths({"--part-size", "8 Mébi"}));
  BOOST_TEST(utf8.find("'8 Mébi' is not a size") != std::string::npos, utf8);
}

BOOST_AUTO_TEST_SUITE_END()
