// s3::resolve_config and the static-key steps of auth::resolve_credentials: aws-cli's precedence
// rules, with temporary shared files and an injected environment (instance metadata turned off,
// so nothing here leaves the machine).
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "auth/chain.hpp"
#include "s3/aws_config.hpp"

namespace fs = std::filesystem;
using namespace s3up::s3;

namespace {

constexpr const char* kEnvSecret = "EnvSecretKEYwJalrXUtnFEMI/K7MDENG+bPxRfiCY";
constexpr const char* kEnvToken = "EnvSessionTOKENFwoGZXIvYXdzEBYaDH+/abc==";
constexpr const char* kFileSecret = "FileSecretKEYde9c0a7f1b2c3d4e5f60718293a4b5";
constexpr const char* kFileToken = "FileSessionTOKENIQoJb3JpZ2luX2VjEJr//////////";
constexpr const char* kConfigSecret = "ConfigSecretKEYq8w7e6r5t4y3u2i1o0p9a8s7d6f";

// A fresh HOME with optional ~/.aws files, and a map of environment variables.
struct Sandbox {
  fs::path home;
  std::map<std::string, std::string> vars;

  Sandbox() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("S3UP_TEST_TMP");
    home = fs::path(base ? base : fs::temp_directory_path().string()) /
           ("aws_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(home);
    fs::create_directories(home);
    vars["HOME"] = home.string();
  }
  Sandbox(const Sandbox&) = default;
  ~Sandbox() {
    std::error_code ec;
    if (!home.empty()) fs::remove_all(home, ec);
  }

  fs::path write(const std::string& rel, const std::string& text) const {
    const auto path = home / rel;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  void credentials(const std::string& text) const { write(".aws/credentials", text); }
  void config(const std::string& text) const { write(".aws/config", text); }
  std::string path(const std::string& rel) const { return (home / rel).string(); }

  Environment env() const {
    return {[this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    }};
  }
  // The configuration and the credentials the chain finds (fetched from its provider).
  struct Resolved : ResolvedConfig {
    Credentials credentials;
    std::string credentials_source;  // the provider's name
    std::string credentials_where;   // its description
  };
  Resolved resolve(const ConfigRequest& flags = {}) const {
    Resolved r;
    static_cast<ResolvedConfig&>(r) = resolve_config(flags, env());
    Sandbox quiet = *this;
    quiet.home = fs::path();  // the copy must not delete the folder
    if (!quiet.vars.count("AWS_EC2_METADATA_DISABLED")) quiet.vars["AWS_EC2_METADATA_DISABLED"] = "true";
    const auto found = s3up::auth::resolve_credentials(r, quiet.env(), {});
    r.credentials = found.provider->fetch();
    r.credentials_source = found.provider->name();
    r.credentials_where = found.provider->describe();
    return r;
  }
  // The ConfigError message of resolve(flags); fails the test when nothing is thrown.
  std::string error(const ConfigRequest& flags = {}) const {
    try {
      resolve(flags);
    } catch (const ConfigError& e) {
      return e.what();
    }
    BOOST_ERROR("no ConfigError thrown");
    return {};
  }

  void env_keys() {
    vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    vars["AWS_SECRET_ACCESS_KEY"] = kEnvSecret;
  }
};

ConfigRequest with_profile(std::string p) {
  ConfigRequest r;
  r.profile = std::move(p);
  return r;
}

// An optional for BOOST_TEST, which cannot print std::optional.
std::string str(const std::optional<std::string>& v) { return v ? *v : "<unset>"; }

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const std::string kCredsFile = std::string("[default]\naws_access_key_id = AKIDFILE\n") +
                               "aws_secret_access_key = " + kFileSecret + "\n" +
                               "[dev]\naws_access_key_id = AKIDDEV\n" +
                               "aws_secret_access_key = " + kFileSecret + "\n" +
                               "aws_session_token = " + kFileToken + "\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(aws_config)

BOOST_AUTO_TEST_CASE(environment_credentials_and_defaults) {
  Sandbox s;
  s.env_keys();
  const auto c = s.resolve();
  BOOST_TEST(c.credentials.access_key_id == "AKIDENV");
  BOOST_TEST(c.credentials.secret_access_key == kEnvSecret);
  BOOST_TEST(c.credentials.session_token == "");
  BOOST_TEST(c.credentials_source == "environment");
  BOOST_TEST(c.profile == "default");
  BOOST_TEST(c.region == "us-east-1");
  BOOST_TEST(!c.endpoint_url);
  BOOST_TEST(!c.ca_bundle);
  BOOST_TEST(c.s3_settings.empty());
}

BOOST_AUTO_TEST_CASE(environment_session_token) {
  Sandbox s;
  s.env_keys();
  s.vars["AWS_SECURITY_TOKEN"] = "legacy";
  BOOST_TEST(s.resolve().credentials.session_token == "legacy");
  s.vars["AWS_SESSION_TOKEN"] = kEnvToken;
  BOOST_TEST(s.resolve().credentials.session_token == kEnvToken);
}

BOOST_AUTO_TEST_CASE(environment_beats_files_unless_profile_flag) {
  Sandbox s;
  s.env_keys();
  s.credentials(kCredsFile);
  BOOST_TEST(s.resolve().credentials.access_key_id == "AKIDENV");
  // A profile from a variable does not disable environment credentials...
  s.vars["AWS_PROFILE"] = "dev";
  auto c = s.resolve();
  BOOST_TEST(c.credentials.access_key_id == "AKIDENV");
  BOOST_TEST(c.profile == "dev");
  // ...one from the command line does.
  c = s.resolve(with_profile("dev"));
  BOOST_TEST(c.credentials.access_key_id == "AKIDDEV");
  BOOST_TEST(c.credentials.secret_access_key == kFileSecret);
  BOOST_TEST(c.credentials.session_token == kFileToken);
  BOOST_TEST(c.credentials_source == "shared-credentials-file");
  BOOST_TEST(c.credentials_where ==
             "shared credentials file " + s.path(".aws/credentials") + " [profile dev]");
}

BOOST_AUTO_TEST_CASE(shared_credentials_file_default_profile) {
  Sandbox s;
  s.credentials(kCredsFile);
  const auto c = s.resolve();
  BOOST_TEST(c.credentials.access_key_id == "AKIDFILE");
  BOOST_TEST(c.credentials.secret_access_key == kFileSecret);
  BOOST_TEST(c.credentials.session_token == "");
  BOOST_TEST(c.credentials_where ==
             "shared credentials file " + s.path(".aws/credentials") + " [profile default]");
}

BOOST_AUTO_TEST_CASE(config_file_credentials) {
  Sandbox s;
  s.config(std::string("[default]\naws_access_key_id = AKIDCFGDEFAULT\naws_secret_access_key = ") +
           kConfigSecret + "\n[profile dev]\nAWS_ACCESS_KEY_ID = AKIDCFGDEV\n" +
           "aws_secret_access_key = " + kConfigSecret + "\naws_session_token = tok\n" +
           "[dev]\naws_access_key_id = NOT_A_PROFILE_IN_CONFIG\naws_secret_access_key = x\n");
  auto c = s.resolve();
  BOOST_TEST(c.credentials.access_key_id == "AKIDCFGDEFAULT");
  BOOST_TEST(c.credentials_source == "config-file");
  BOOST_TEST(c.credentials_where == "config file " + s.path(".aws/config") + " [profile default]");
  c = s.resolve(with_profile("dev"));
  BOOST_TEST(c.credentials.access_key_id == "AKIDCFGDEV");
  BOOST_TEST(c.credentials.session_token == "tok");
  BOOST_TEST(c.credentials_where == "config file " + s.path(".aws/config") + " [profile dev]");
}

BOOST_AUTO_TEST_CASE(profile_header_spellings_in_config) {
  Sandbox s;
  s.config(
      "[profile   spaced]\naws_access_key_id = A1\naws_secret_access_key = s\n"
      "[profile \"quoted\"]\naws_access_key_id = A2\naws_secret_access_key = s\n"
      "[profile default]\naws_access_key_id = A3\naws_secret_access_key = s\n"
      "[profilex]\naws_access_key_id = BAD\naws_secret_access_key = s\n");
  BOOST_TEST(s.resolve(with_profile("spaced")).credentials.access_key_id == "A1");
  BOOST_TEST(s.resolve(with_profile("quoted")).credentials.access_key_id == "A2");
  BOOST_TEST(s.resolve().credentials.access_key_id == "A3");
  BOOST_CHECK_THROW(s.resolve(with_profile("x")), ConfigError);
}

BOOST_AUTO_TEST_CASE(credentials_file_beats_config_file) {
  Sandbox s;
  s.credentials(kCredsFile);
  s.config(std::string("[profile dev]\nregion = eu-central-1\naws_access_key_id = AKIDCFG\n") +
           "aws_secret_access_key = " + kConfigSecret + "\n");
  const auto c = s.resolve(with_profile("dev"));
  BOOST_TEST(c.credentials.access_key_id == "AKIDDEV");
  BOOST_TEST(c.region == "eu-central-1");
}

BOOST_AUTO_TEST_CASE(file_locations_from_environment) {
  Sandbox s;
  s.write("elsewhere/creds", "[default]\naws_access_key_id = AKIDELSE\naws_secret_access_key = s\n");
  s.write("elsewhere/conf", "[default]\nregion = sa-east-1\n");
  s.credentials(kCredsFile);
  s.vars["AWS_SHARED_CREDENTIALS_FILE"] = s.path("elsewhere/creds");
  s.vars["AWS_CONFIG_FILE"] = "~/elsewhere/conf";
  const auto c = s.resolve();
  BOOST_TEST(c.credentials.access_key_id == "AKIDELSE");
  BOOST_TEST(c.region == "sa-east-1");
  BOOST_TEST(c.credentials_where ==
             "shared credentials file " + s.path("elsewhere/creds") + " [profile default]");
}

BOOST_AUTO_TEST_CASE(profile_precedence) {
  Sandbox s;
  s.credentials(
      "[a]\naws_access_key_id = A\naws_secret_access_key = s\n"
      "[b]\naws_access_key_id = B\naws_secret_access_key = s\n"
      "[c]\naws_access_key_id = C\naws_secret_access_key = s\n"
      "[default]\naws_access_key_id = D\naws_secret_access_key = s\n");
  BOOST_TEST(s.resolve().profile == "default");
  s.vars["AWS_PROFILE"] = "c";
  BOOST_TEST(s.resolve().credentials.access_key_id == "C");
  s.vars["AWS_DEFAULT_PROFILE"] = "b";  // botocore reads AWS_DEFAULT_PROFILE first
  BOOST_TEST(s.resolve().credentials.access_key_id == "B");
  BOOST_TEST(s.resolve().profile == "b");
  const auto c = s.resolve(with_profile("a"));
  BOOST_TEST(c.credentials.access_key_id == "A");
  BOOST_TEST(c.profile == "a");
}

BOOST_AUTO_TEST_CASE(region_precedence) {
  Sandbox s;
  s.env_keys();
  BOOST_TEST(s.resolve().region == "us-east-1");
  s.config("[default]\nregion = ap-northeast-1\n");
  BOOST_TEST(s.resolve().region == "ap-northeast-1");
  s.credentials("[default]\nregion = ap-southeast-2\n");  // botocore merges the two files
  BOOST_TEST(s.resolve().region == "ap-southeast-2");
  s.vars["AWS_DEFAULT_REGION"] = "eu-west-3";
  BOOST_TEST(s.resolve().region == "eu-west-3");
  s.vars["AWS_REGION"] = "eu-north-1";
  BOOST_TEST(s.resolve().region == "eu-north-1");
  ConfigRequest r;
  r.region = "ca-central-1";
  BOOST_TEST(s.resolve(r).region == "ca-central-1");
}

BOOST_AUTO_TEST_CASE(endpoint_precedence) {
  Sandbox s;
  s.env_keys();
  s.config(
      "[default]\nendpoint_url = http://profile:1\n"
      "[profile svc]\nservices = local\nendpoint_url = http://profile:1\n"
      "[profile broken]\nservices = missing\n"
      "[services local]\ns3 =\n  endpoint_url = http://services:2\n"
      "dynamodb =\n  endpoint_url = http://dynamo:3\n");
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://profile:1");
  s.vars["AWS_PROFILE"] = "svc";
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://services:2");
  s.vars["AWS_ENDPOINT_URL"] = "http://global-env:4";
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://global-env:4");
  s.vars["AWS_ENDPOINT_URL_S3"] = "http://s3-env:5";
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://s3-env:5");
  ConfigRequest r;
  r.endpoint_url = "http://flag:6";
  BOOST_TEST(str(s.resolve(r).endpoint_url) == "http://flag:6");
  s.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "TRUE";
  BOOST_TEST(!s.resolve().endpoint_url);
  BOOST_TEST(str(s.resolve(r).endpoint_url) == "http://flag:6");

  s.vars.erase("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  s.vars.erase("AWS_ENDPOINT_URL");
  s.vars.erase("AWS_ENDPOINT_URL_S3");
  s.vars["AWS_PROFILE"] = "broken";
  const auto message = s.error();
  BOOST_TEST(contains(message, "[services missing]"));
  BOOST_TEST(contains(message, s.path(".aws/config")));
  s.vars["AWS_ENDPOINT_URL"] = "http://global-env:4";  // the services section is not needed
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://global-env:4");
}

BOOST_AUTO_TEST_CASE(ignore_configured_endpoint_urls_in_profile) {
  Sandbox s;
  s.env_keys();
  s.config("[default]\nendpoint_url = http://profile:1\nignore_configured_endpoint_urls = true\n");
  s.vars["AWS_ENDPOINT_URL"] = "http://env:2";
  BOOST_TEST(!s.resolve().endpoint_url);
  s.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "false";  // the variable wins
  BOOST_TEST(str(s.resolve().endpoint_url) == "http://env:2");
}

BOOST_AUTO_TEST_CASE(ca_bundle_precedence) {
  Sandbox s;
  s.env_keys();
  s.config("[default]\nca_bundle = /profile/ca.pem\n");
  BOOST_TEST(str(s.resolve().ca_bundle) == "/profile/ca.pem");
  s.vars["AWS_CA_BUNDLE"] = "/env/ca.pem";
  BOOST_TEST(str(s.resolve().ca_bundle) == "/env/ca.pem");
  ConfigRequest r;
  r.ca_bundle = "/flag/ca.pem";
  BOOST_TEST(str(s.resolve(r).ca_bundle) == "/flag/ca.pem");
}

BOOST_AUTO_TEST_CASE(nested_sections_do_not_break_parsing) {
  Sandbox s;
  s.config(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 64\n"
      "  multipart_chunksize = 16MB\n"
      "  addressing_style = path\n"
      "region = us-west-1\n"
      "aws_access_key_id = AKIDNESTED\n"
      "aws_secret_access_key = s\n"
      "[profile other]\n"
      "s3 =\n"
      "    max_bandwidth = 50MB/s\n"
      "region = eu-south-1\n");
  auto c = s.resolve();
  BOOST_TEST(c.region == "us-west-1");
  BOOST_TEST(c.credentials.access_key_id == "AKIDNESTED");
  BOOST_TEST(c.s3_settings.size() == 3u);
  BOOST_TEST(c.s3_settings["max_concurrent_requests"] == "64");
  BOOST_TEST(c.s3_settings["multipart_chunksize"] == "16MB");
  BOOST_TEST(c.s3_settings["addressing_style"] == "path");
  s.env_keys();
  s.vars["AWS_PROFILE"] = "other";
  c = s.resolve();
  BOOST_TEST(c.region == "eu-south-1");
  BOOST_TEST(c.s3_settings["max_bandwidth"] == "50MB/s");
}

BOOST_AUTO_TEST_CASE(named_profile_must_exist) {
  Sandbox s;
  s.credentials(kCredsFile);
  auto message = s.error(with_profile("nope"));
  BOOST_TEST(contains(message, "profile 'nope'"));
  BOOST_TEST(contains(message, "not found"));
  BOOST_TEST(contains(message, s.path(".aws/credentials")));
  BOOST_TEST(contains(message, s.path(".aws/config") + " (no such file)"));
  // Also when named by a variable, even with credentials in the environment (as aws-cli).
  s.env_keys();
  s.vars["AWS_PROFILE"] = "ghost";
  message = s.error();
  BOOST_TEST(contains(message, "profile 'ghost' (from AWS_PROFILE) not found"));
  // An unnamed default profile need not exist.
  s.vars.erase("AWS_PROFILE");
  fs::remove(s.home / ".aws/credentials");
  BOOST_TEST(s.resolve().credentials_source == "environment");
  // A named "default" must.
  BOOST_CHECK_THROW(s.resolve(with_profile("default")), ConfigError);
}

BOOST_AUTO_TEST_CASE(no_credentials_anywhere) {
  Sandbox s;
  auto message = s.error();
  // One message, a line per provider tried, in the chain's order.
  BOOST_TEST(contains(message, "unable to locate credentials"));
  const auto at = [&message](const std::string& part) { return message.find(part); };
  BOOST_TEST(at("environment: AWS_ACCESS_KEY_ID is not set") < at("web identity: "));
  BOOST_TEST(at("web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set") <
             at("profile 'default': not found"));
  BOOST_TEST(at("profile 'default': not found") < at("container: "));
  BOOST_TEST(at("container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") <
             at("EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED=true"));
  BOOST_TEST(at("EC2 instance metadata: disabled") != std::string::npos);
  BOOST_TEST(contains(message, s.path(".aws/credentials")));
  BOOST_TEST(contains(message, s.path(".aws/config")));

  // A role whose source profile does not exist is a configuration error of its own.
  s.config("[profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n");
  message = s.error(with_profile("role"));
  BOOST_TEST(!contains(message, "aws_secret_access_key but no"));
  BOOST_TEST(contains(message, "source_profile = default"));
  BOOST_TEST(contains(message, "not found"));

  s.vars["HOME"] = "";  // empty counts as unset
  message = s.error();
  BOOST_TEST(contains(message, "HOME is not set"));
  s.env_keys();
  BOOST_TEST(s.resolve().credentials_source == "environment");
}

BOOST_AUTO_TEST_CASE(profile_flag_hides_environment_keys_hint) {
  Sandbox s;
  s.env_keys();
  s.config("[profile empty]\nregion = us-west-2\n");
  const auto message = s.error(with_profile("empty"));
  BOOST_TEST(contains(message, "profile 'empty': holds no credentials"));
  BOOST_TEST(contains(message, "not used, because --profile empty was given"));
}

BOOST_AUTO_TEST_CASE(access_key_without_secret) {
  Sandbox s;
  s.vars["AWS_ACCESS_KEY_ID"] = "AKIDONLY";
  auto message = s.error();
  BOOST_TEST(contains(message, "AWS_SECRET_ACCESS_KEY is not"));

  s.vars.erase("AWS_ACCESS_KEY_ID");
  s.credentials("[default]\naws_access_key_id = AKIDONLY\n");
  message = s.error();
  BOOST_TEST(contains(message, "no aws_secret_access_key"));
  BOOST_TEST(contains(message, s.path(".aws/credentials")));

  s.credentials("[default]\naws_secret_access_key = x\n");
  message = s.error();
  BOOST_TEST(contains(message, "has aws_secret_access_key but no aws_access_key_id"));

  fs::remove(s.home / ".aws/credentials");
  s.config("[profile p]\naws_access_key_id = AKIDONLY\naws_secret_access_key =\n");
  message = s.error(with_profile("p"));
  BOOST_TEST(contains(message, "no aws_secret_access_key"));
  BOOST_TEST(contains(message, s.path(".aws/config")));
}

BOOST_AUTO_TEST_CASE(empty_variables_are_unset) {
  Sandbox s;
  s.credentials(kCredsFile);
  s.vars["AWS_ACCESS_KEY_ID"] = "";
  s.vars["AWS_SECRET_ACCESS_KEY"] = "";
  s.vars["AWS_PROFILE"] = "";
  s.vars["AWS_REGION"] = "";
  s.vars["AWS_ENDPOINT_URL"] = "";
  ConfigRequest r;
  r.profile = "";
  r.region = "";
  const auto c = s.resolve(r);
  BOOST_TEST(c.profile == "default");
  BOOST_TEST(c.credentials.access_key_id == "AKIDFILE");
  BOOST_TEST(c.region == "us-east-1");
  BOOST_TEST(!c.endpoint_url);
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_an_error) {
  Sandbox s;
  s.env_keys();
  fs::create_directories(s.home / ".aws/config");  // a directory where the file should be
  const auto message = s.error();
  BOOST_TEST(contains(message, s.path(".aws/config")));
}

BOOST_AUTO_TEST_CASE(empty_environment_function) {
  // No variables at all: no HOME, no files; the chain finds nothing (and would ask instance
  // metadata, so only the configuration is resolved here).
  const auto c = resolve_config({}, Environment{});
  BOOST_TEST(c.profile == "default");
  BOOST_TEST(c.region == "us-east-1");
}

BOOST_AUTO_TEST_CASE(process_environment) {
  ::setenv("S3UP_TEST_AWS_CONFIG_VAR", "value", 1);
  const auto env = Environment::process();
  BOOST_TEST(str(env.get("S3UP_TEST_AWS_CONFIG_VAR")) == "value");
  BOOST_TEST(!env.get("S3UP_TEST_AWS_CONFIG_VAR_UNSET"));
  ::unsetenv("S3UP_TEST_AWS_CONFIG_VAR");
}

BOOST_AUTO_TEST_CASE(messages_never_contain_secrets) {
  const std::vector<std::string> secrets{kEnvSecret, kEnvToken, kFileSecret, kFileToken,
                                         kConfigSecret};
  const auto check = [&](const std::string& what, const std::string& text) {
    BOOST_TEST_MESSAGE(what << ": " << text);
    for (const auto& secret : secrets) {
      BOOST_TEST_CONTEXT(what) { BOOST_TEST(!contains(text, secret)); }
    }
  };
  const std::string secret_junk = std::string("aws_secret_access_key ") + kFileSecret + "\n" +
                                  kFileToken + "\n[" + kConfigSecret + "\n";
  // Each scenario sets up secrets in the environment and the files, then fails.
  const std::vector<std::pair<std::string, std::function<void(Sandbox&, ConfigRequest&)>>>
      scenarios{
          {"missing profile",
           [&](Sandbox& s, ConfigRequest& r) {
             s.credentials(kCredsFile + secret_junk);
             r.profile = "nope";
           }},
          {"env key without secret",
           [&](Sandbox& s, ConfigRequest&) {
             s.vars.erase("AWS_SECRET_ACCESS_KEY");
             s.credentials(kCredsFile);
           }},
          {"file secret without key",
           [&](Sandbox& s, ConfigRequest& r) {
             s.credentials(std::string("[x]\naws_secret_access_key = ") + kFileSecret +
                           "\naws_session_token = " + kFileToken + "\n" + secret_junk);
             s.config(std::string("[profile x]\naws_secret_access_key = ") + kConfigSecret +
                      "\n");
             r.profile = "x";
           }},
          {"file key without secret",
           [&](Sandbox& s, ConfigRequest& r) {
             s.config(std::string("[profile x]\naws_access_key_id = AKID\naws_session_token = ") +
                      kFileToken + "\n");
             r.profile = "x";
           }},
          {"missing services section",
           [&](Sandbox& s, ConfigRequest&) {
             s.config("[default]\nservices = nothere\n");
           }},
          {"profile flag with environment keys",
           [&](Sandbox& s, ConfigRequest& r) {
             s.config("[profile y]\nregion = us-west-2\n");
             r.profile = "y";
           }},
      };
  for (const auto& [name, setup] : scenarios) {
    Sandbox s;
    s.env_keys();
    s.vars["AWS_SESSION_TOKEN"] = kEnvToken;
    ConfigRequest r;
    setup(s, r);
    check(name, s.error(r));
  }

  // Successful resolutions: the source description holds no secret either.
  Sandbox s;
  s.credentials(kCredsFile);
  check("source", s.resolve(with_profile("dev")).credentials_source);
  check("where", s.resolve(with_profile("dev")).credentials_where);
}

BOOST_AUTO_TEST_SUITE_END()
