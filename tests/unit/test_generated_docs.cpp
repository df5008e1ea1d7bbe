// The documents written from the option table (cli/option_docs.hpp): command_doc() lists what
// --help lists; the manual page and every completion script name every option; the fixed values
// offered are exactly those the checks accept. (tests/package/test_docs.py checks the same on
// the generated files, and runs the completions in bash, zsh and fish.)
#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>
#include <string>

#include "cli/cli_options.hpp"
#include "cli/completions.hpp"
#include "cli/log.hpp"
#include "cli/manpage.hpp"
#include "cli/option_docs.hpp"
#include "engine/progress.hpp"
#include "s3/checksum.hpp"
#include "s3/object_settings.hpp"

using namespace s3up::cli;

namespace {

// The long options --help shows ("--endpoint-url" ...).
std::set<std::string> help_options() {
  std::set<std::string> names;
  const std::string help = help_text();
  const std::regex option(R"((^|\n) +(-[a-z], )?--([a-z0-9-]+))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator();
       ++it)
    names.insert((*it)[3]);
  return names;
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(generated_docs)

BOOST_AUTO_TEST_CASE(the_description_lists_what_help_lists) {
  const CommandDoc doc = command_doc();
  std::set<std::string> documented;
  for (const auto& o : doc.options) documented.insert(o.name);
  const auto shown = help_options();
  BOOST_TEST(shown.size() > 40u);
  BOOST_TEST((documented == shown));
  BOOST_TEST(!documented.count("generate-man"));  // hidden
  BOOST_TEST(!documented.count("generate-completion"));
  BOOST_TEST(!documented.count("source"));
  BOOST_TEST((doc.groups == std::vector<std::string>{"Destination", "Transfer", "Selection",
                                                      "Object", "Output"}));
}

BOOST_AUTO_TEST_CASE(every_document_names_every_option) {
  const CommandDoc doc = command_doc();
  const std::string man = manual_page(doc, "1.2.3", "2026-12-02");
  const auto bash = completion_script("bash", doc);
  const auto zsh = completion_script("zsh", doc);
  const auto fish = completion_script("fish", doc);
  BOOST_TEST_REQUIRE((bash && zsh && fish));
  BOOST_TEST(!completion_script("tcsh", doc));
  for (const auto& o : doc.options) {
    std::string escaped;
    for (const char c : o.name) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
    BOOST_TEST(man.find("\\fB\\-\\-" + escaped + "\\fR") != std::string::npos, o.name);
    const std::regex word("(^|[\\s'|])--" + o.name + "([\\s'|)]|$)");
    BOOST_TEST(std::regex_search(*bash, word), o.name);
    BOOST_TEST(zsh->find("--" + o.name) != std::string::npos, o.name);
    BOOST_TEST(fish->find(" -l " + o.name + " ") != std::string::npos, o.name);
    if (!o.env.empty()) BOOST_TEST(man.find(o.env) != std::string::npos, o.env);
    for (const auto& v : o.values) {
      BOOST_TEST(bash->find(v) != std::string::npos, o.name << " " << v);
      BOOST_TEST(fish->find(v) != std::string::npos, o.name << " " << v);
    }
  }
  BOOST_TEST(man.find(".TH S3UP 1 \"2026-12-02\" \"s3up 1.2.3\"") != std::string::npos);
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
                              ".SH CREDENTIALS", ".SH \"EXIT STATUS\"", ".SH EXIT STATUS",
                              ".SH ENVIRONMENT", ".SH FILES", ".SH EXAMPLES"}) {
    if (std::string(section) == ".SH \"EXIT STATUS\"") continue;
    BOOST_TEST(man.find(std::string(section) + "\n") != std::string::npos, section);
  }
}

// The values offered are the ones the checks accept, and --help's group order is kept.
BOOST_AUTO_TEST_CASE(fixed_values_come_from_the_checks) {
  std::map<std::string, std::vector<std::string>> values;
  for (const auto& o : command_doc().options)
    if (!o.values.empty()) values[o.name] = o.values;
  BOOST_TEST(values.size() == 8u);
  BOOST_TEST(values["checksum"].size() == s3up::s3::checksum_algorithm_names().size());
  for (const auto& v : values["checksum"]) BOOST_TEST(s3up::s3::parse_checksum_algorithm(v).has_value(), v);
  for (const auto& v : values["progress"])
    BOOST_CHECK_NO_THROW(s3up::engine::choose_progress_mode(v, false, false));
  for (const auto& v : values["log-format"]) BOOST_TEST(parse_log_format(v).has_value(), v);
  for (const auto& v : values["storage-class"]) {
    s3up::s3::ObjectSettings s;
    s.storage_class = v;
    BOOST_TEST(!s3up::s3::settings_problem(s).has_value(), v);
  }
  for (const auto& v : values["acl"]) {
    s3up::s3::ObjectSettings s;
    s.acl = v;
    BOOST_TEST(!s3up::s3::settings_problem(s).has_value(), v);
  }
  for (const auto& v : values["sse"]) {
    s3up::s3::ObjectSettings s;
    s.sse = v;
    BOOST_TEST(!s3up::s3::settings_problem(s).has_value(), v);
  }
  for (const auto& v : values["engine"]) {
    std::vector<std::string> args{"s3up", "--engine", v, "src", "s3://bucket"};
    auto argv = argv_of(args);
    BOOST_TEST(parse_command_line(static_cast<int>(args.size()), argv.data()).engine == v);
  }
  BOOST_TEST((values["engine"] == std::vector<std::string>{"async", "threaded"}));
  for (const auto& v : values["trailing-checksum"]) {
    std::vector<std::string> args{"s3up", "--trailing-checksum", v, "src", "s3://bucket"};
    auto argv = argv_of(args);
    BOOST_TEST(parse_command_line(static_cast<int>(args.size()), argv.data()).trailing_checksum == v);
  }
  BOOST_TEST((values["trailing-checksum"] == std::vector<std::string>{"auto", "on", "off"}));
  std::vector<std::string> bad{"s3up", "--trailing-checksum", "yes", "src", "s3://bucket"};
  auto bad_argv = argv_of(bad);
  BOOST_CHECK_THROW(parse_command_line(static_cast<int>(bad.size()), bad_argv.data()), UsageError);
  BOOST_TEST((values["sse"] == std::vector<std::string>{"AES256", "aws:kms"}));
}

BOOST_AUTO_TEST_CASE(generators_are_hidden_flags) {
  std::vector<std::string> man{"s3up", "--generate-man"};
  auto argv = argv_of(man);
  BOOST_TEST(parse_command_line(2, argv.data()).generate_man);
  std::vector<std::string> completion{"s3up", "--generate-completion", "zsh"};
  argv = argv_of(completion);
  BOOST_TEST(*parse_command_line(3, argv.data()).generate_completion == "zsh");
  BOOST_TEST(help_text().find("generate") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(roff_escaping) {
  BOOST_TEST(roff_escape("use --max-memory, not -v-x") == "use \\-\\-max\\-memory, not \\-v\\-x");
  BOOST_TEST(roff_escape("zero-byte (--dir-markers)") == "zero-byte (\\-\\-dir\\-markers)");
  BOOST_TEST(roff_escape(".starts with a dot\n'and a quote") ==
             "\\&.starts with a dot\n\\&'and a quote");
  BOOST_TEST(roff_escape("a\\b") == "a\\eb");
}

BOOST_AUTO_TEST_CASE(short_descriptions) {
  BOOST_TEST(short_description("S3 endpoint, e.g. http://127.0.0.1:9000 (env X)") == "S3 endpoint");
  BOOST_TEST(short_description("checksum sent with every body for the store to verify: crc32c") ==
             "checksum sent with every body for the store to verify");
  const std::string longer(200, 'x');
  BOOST_TEST(short_description(longer).size() <= 70u);
}

BOOST_AUTO_TEST_SUITE_END()
