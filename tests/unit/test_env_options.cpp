// S3UP_<OPTION> settings (cli/env_options.hpp): names, flag and list values, and their place
// between the command line and the defaults, through cli::parse_command_line.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "cli/cli_options.hpp"
#include "cli/env_options.hpp"
#include "cli/option_docs.hpp"

using namespace s3up::cli;

namespace {

CliOptions parse(std::vector<std::string> args, const Environment& env) {
  args.insert(args.begin(), "s3up");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_command_line(static_cast<int>(args.size()), argv.data(), env);
}

CliOptions parse_paths(std::vector<std::string> args, const Environment& env) {
  args.emplace_back("./src");
  args.emplace_back("s3://bucket/prefix");
  return parse(std::move(args), env);
}

std::string refusal(std::vector<std::string> args, const Environment& env) {
  try {
    parse_paths(std::move(args), env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no error>";
}

using Filters = std::vector<std::pair<bool, std::string>>;
using Pairs = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(env_options)

BOOST_AUTO_TEST_CASE(names_follow_rclone) {
  BOOST_TEST(env_name("max-memory") == "S3UP_MAX_MEMORY");
  BOOST_TEST(env_name("sse-kms-key-id") == "S3UP_SSE_KMS_KEY_ID");
  BOOST_TEST(env_name("verbose") == "S3UP_VERBOSE");
  // Every option --help lists has its variable, but --help and --version.
  for (const auto& o : command_doc().options) {
    if (o.name == "help" || o.name == "version") BOOST_TEST(o.env.empty());
    else BOOST_TEST(o.env == env_name(o.name));
  }
}

BOOST_AUTO_TEST_CASE(flag_values) {
  for (const char* yes : {"true", "TRUE", "True", "1", "yes", "on"})
    BOOST_TEST((parse_env_flag(yes) == std::optional<bool>(true)), yes);
  for (const char* no : {"false", "FALSE", "0", "no", "off"})
    BOOST_TEST((parse_env_flag(no) == std::optional<bool>(false)), no);
  for (const char* bad : {"", "2", "maybe", "t", " true"}) BOOST_TEST(!parse_env_flag(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(list_values) {
  BOOST_TEST((split_env_list("*.tmp", "V") == Strings{"*.tmp"}));
  BOOST_TEST((split_env_list("*.tmp,*.bak", "V") == Strings{"*.tmp", "*.bak"}));
  BOOST_TEST((split_env_list("\"a,b\",c", "V") == Strings{"a,b", "c"}));
  BOOST_TEST((split_env_list("\"say \"\"hi\"\"\"", "V") == Strings{"say \"hi\""}));
  BOOST_TEST((split_env_list("a, b", "V") == Strings{"a", " b"}));  // spaces are kept
  BOOST_TEST((split_env_list("x\"y", "V") == Strings{"x\"y"}));     // a quote inside is a char
  BOOST_CHECK_THROW(split_env_list("\"open", "S3UP_EXCLUDE"), UsageError);
}

BOOST_AUTO_TEST_CASE(command_line_then_environment_then_defaults) {
  const Environment env{{"S3UP_CONCURRENCY", "128"}, {"S3UP_REGION", "eu-west-1"}};
  // The environment where the command line says nothing.
  const CliOptions from_env = parse_paths({}, env);
  BOOST_TEST(from_env.concurrency == 128u);
  BOOST_TEST(*from_env.region == "eu-west-1");
  BOOST_TEST((from_env.from_environment == Strings{"S3UP_REGION", "S3UP_CONCURRENCY"}));
  // The command line wins, option by option.
  const CliOptions both = parse_paths({"--concurrency", "8"}, env);
  BOOST_TEST(both.concurrency == 8u);
  BOOST_TEST(*both.region == "eu-west-1");
  BOOST_TEST((both.from_environment == Strings{"S3UP_REGION"}));
  // The defaults where neither does; without an environment, the command line alone.
  const CliOptions none = parse_paths({}, {});
  BOOST_TEST(none.concurrency == 64u);
  BOOST_TEST(!none.region);
  BOOST_TEST(none.from_environment.empty());
  // A value the command line gives is not even checked in the environment.
  BOOST_TEST(refusal({"--concurrency", "8"}, {{"S3UP_CONCURRENCY", "lots"}}) == "<no error>");
}

BOOST_AUTO_TEST_CASE(every_kind_of_value) {
  const Environment env{{"S3UP_ENDPOINT_URL", "http://127.0.0.1:9000"},
                        {"S3UP_CONCURRENCY", "auto"},
                        {"S3UP_ENGINE", "threaded"},
                        {"S3UP_MAX_MEMORY", "1GiB"},
                        {"S3UP_CONNECT_TIMEOUT", "2.5"},
                        {"S3UP_DRY_RUN", "true"},
                        {"S3UP_FOLLOW_SYMLINKS", "0"},
                        {"S3UP_SYNC", "yes"},
                        {"S3UP_SIZE_ONLY", "1"},
                        {"S3UP_METADATA", "owner=ops,\"note=a,b\""},
                        {"S3UP_CHECKSUM", "sha256"},
                        {"S3UP_PROGRESS", "none"},
                        {"S3UP_LOG_FORMAT", "json"},
                        {"S3UP_LIMIT_RATE", "8MiB"}};
  const CliOptions o = parse_paths({}, env);
  BOOST_TEST(*o.endpoint_url == "http://127.0.0.1:9000");
  BOOST_TEST(o.concurrency_auto);
  BOOST_TEST(o.engine == "threaded");
  BOOST_TEST(o.max_memory == 1ull << 30);
  BOOST_TEST(o.connect_timeout == 2.5);
  BOOST_TEST(o.dry_run);
  BOOST_TEST(!o.follow_symlinks);
  BOOST_TEST(o.sync);
  BOOST_TEST(o.size_only);
  BOOST_TEST((o.metadata == Pairs{{"owner", "ops"}, {"note", "a,b"}}));
  BOOST_TEST(o.checksum == "sha256");
  BOOST_TEST(o.progress == "none");
  BOOST_TEST(o.log_format == "json");
  BOOST_TEST(o.limit_rate == 8u << 20);
  BOOST_TEST(o.source == "./src");
  BOOST_TEST(o.destination == "s3://bucket/prefix");
}

// Filters from the environment: S3UP_EXCLUDE's, then S3UP_INCLUDE's (which bring files back),
// then the command line's, which therefore win where both match (the last matching rule
// decides); the command line's own --exclude replaces S3UP_EXCLUDE entirely.
BOOST_AUTO_TEST_CASE(filters_keep_their_order) {
  const Environment env{{"S3UP_EXCLUDE", "*.tmp,*.bak"}, {"S3UP_INCLUDE", "keep.tmp"}};
  const CliOptions o = parse_paths({}, env);
  BOOST_TEST((o.filters == Filters{{false, "*.tmp"}, {false, "*.bak"}, {true, "keep.tmp"}}));
  BOOST_TEST((o.from_environment == Strings{"S3UP_EXCLUDE", "S3UP_INCLUDE"}));
  BOOST_TEST((parse_paths({"--include", "x.bak"}, env).filters ==
              Filters{{false, "*.tmp"}, {false, "*.bak"}, {true, "x.bak"}}));
  BOOST_TEST((parse_paths({"--exclude", "*.log"}, env).filters ==
              Filters{{true, "keep.tmp"}, {false, "*.log"}}));
}

BOOST_AUTO_TEST_CASE(flags_are_only_turned_on) {
  // A false flag in the environment leaves the default; the command line's flag stays on.
  BOOST_TEST(!parse_paths({}, {{"S3UP_DRY_RUN", "false"}}).dry_run);
  BOOST_TEST(parse_paths({"--dry-run"}, {{"S3UP_DRY_RUN", "false"}}).dry_run);
  BOOST_TEST(parse_paths({}, {{"S3UP_QUIET", "on"}}).quiet);
}

BOOST_AUTO_TEST_CASE(verbose_levels) {
  BOOST_TEST(parse_paths({}, {{"S3UP_VERBOSE", "2"}}).verbose == 2);
  BOOST_TEST(parse_paths({}, {{"S3UP_VERBOSE", "true"}}).verbose == 1);
  BOOST_TEST(parse_paths({}, {{"S3UP_VERBOSE", "0"}}).verbose == 0);
  BOOST_TEST(parse_paths({"-v"}, {{"S3UP_VERBOSE", "3"}}).verbose == 1);  // command line first
  BOOST_TEST(parse_paths({"-vvv"}, {}).verbose == 3);
  BOOST_TEST(parse_paths({"-v", "-v", "--verbose", "-v"}, {}).verbose == 3);  // at most 3
  BOOST_TEST(refusal({}, {{"S3UP_VERBOSE", "4"}}) == "S3UP_VERBOSE: '4' is not 0 to 3, true or false");
}

BOOST_AUTO_TEST_CASE(empty_and_unknown_variables_are_ignored) {
  const CliOptions o = parse_paths(
      {}, {{"S3UP_REGION", ""}, {"S3UP_BIN", "/x"}, {"S3UP_DEBUG_SIGNING", "/tmp/t"},
           {"S3UP_HELP", "true"}, {"S3UP_VERSION", "1"}, {"S3UP_SOURCE", "/etc"}});
  BOOST_TEST(!o.region);
  BOOST_TEST(!o.show_help);
  BOOST_TEST(!o.show_version);
  BOOST_TEST(o.source == "./src");
  BOOST_TEST(o.from_environment.empty());
}

BOOST_AUTO_TEST_CASE(refusals_name_the_variable) {
  BOOST_TEST(refusal({}, {{"S3UP_DRY_RUN", "maybe"}}) ==
             "S3UP_DRY_RUN: 'maybe' is not true or false (or 1, 0)");
  BOOST_TEST(refusal({}, {{"S3UP_CONCURRENCY", "lots"}}) ==
             "--concurrency: 'lots' is not a positive number or 'auto' (from S3UP_CONCURRENCY)");
  BOOST_TEST(refusal({}, {{"S3UP_PART_SIZE", "big"}}).find("(from S3UP_PART_SIZE)") !=
             std::string::npos);
  BOOST_TEST(refusal({}, {{"S3UP_ENGINE", "fast"}}) ==
             "--engine: 'fast' is not async or threaded (from S3UP_ENGINE)");
  // A message naming no option lists the variables in force.
  BOOST_TEST(refusal({}, {{"S3UP_THREADS", "many"}}).find("S3UP_THREADS") != std::string::npos);
  BOOST_TEST(refusal({}, {{"S3UP_EXCLUDE", "\"open"}}).find("S3UP_EXCLUDE") != std::string::npos);
  // An environment error stays out of the way of --help and --version.
  BOOST_TEST(parse({"--help"}, {{"S3UP_DRY_RUN", "maybe"}}).show_help);
  BOOST_TEST(parse({"--version"}, {{"S3UP_CONCURRENCY", "x"}}).show_version);
}

BOOST_AUTO_TEST_CASE(paths_and_double_dash_are_untouched) {
  const CliOptions o = parse({"--", "-dir-with-dash", "s3://b/p"}, {{"S3UP_DRY_RUN", "1"}});
  BOOST_TEST(o.source == "-dir-with-dash");
  BOOST_TEST(o.destination == "s3://b/p");
  BOOST_TEST(o.dry_run);
}

BOOST_AUTO_TEST_CASE(help_documents_the_environment) {
  const std::string help = help_text();
  BOOST_TEST(help.find("S3UP_<OPTION>") != std::string::npos);
  BOOST_TEST(help.find("S3UP_MAX_MEMORY") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
