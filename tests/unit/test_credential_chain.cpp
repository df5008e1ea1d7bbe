// auth::resolve_credentials: which provider the chain picks, in aws-cli v2's order, and the
// configuration mistakes it refuses before anything is sent. Nothing here fetches over the
// network: providers that would (STS, SSO, container, IMDS) are only chosen and described.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "auth/chain.hpp"
#include "s3/aws_config.hpp"

namespace fs = std::filesystem;
using namespace s3up;

namespace {

constexpr const char* kSecret = "ChainSecretKEYwJalrXUtnFEMI/K7MDENG+bPxRfiCY";

struct Home {
  fs::path dir;
  std::map<std::string, std::string> vars;

  Home() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("S3UP_TEST_TMP");
    dir = fs::path(base ? base : fs::temp_directory_path().string()) /
          ("chain_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir / ".aws");
    vars["HOME"] = dir.string();
    vars["AWS_EC2_METADATA_DISABLED"] = "true";
  }
  ~Home() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void config(const std::string& text) const { std::ofstream(dir / ".aws/config") << text; }
  void credentials(const std::string& text) const {
    std::ofstream(dir / ".aws/credentials") << text;
  }
  s3::Environment env() const {
    return {[this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    }};
  }
  auth::Resolution resolve(std::optional<std::string> profile = std::nullopt) const {
    s3::ConfigRequest flags;
    flags.profile = std::move(profile);
    const auto config = s3::resolve_config(flags, env());
    return auth::resolve_credentials(config, env(), {});
  }
  std::string error(std::optional<std::string> profile = std::nullopt) const {
    try {
      resolve(std::move(profile));
    } catch (const s3::ConfigError& e) {
      BOOST_TEST(std::string(e.what()).find(kSecret) == std::string::npos);
      return e.what();
    }
    BOOST_ERROR("no ConfigError thrown");
    return {};
  }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const std::string kBase =
    std::string("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = ") + kSecret + "\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(credential_chain)

BOOST_AUTO_TEST_CASE(environment_then_web_identity_then_profile) {
  Home h;
  h.credentials(std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = ") +
                kSecret + "\n");
  h.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = (h.dir / "token").string();
  h.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/web";
  h.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  h.vars["AWS_SECRET_ACCESS_KEY"] = kSecret;
  BOOST_TEST(h.resolve().provider->name() == "environment");
  h.vars.erase("AWS_ACCESS_KEY_ID");
  h.vars.erase("AWS_SECRET_ACCESS_KEY");
  const auto web = h.resolve();
  BOOST_TEST(web.provider->name() == "web-identity");
  BOOST_TEST(contains(web.provider->describe(), "arn:aws:iam::123456789012:role/web"));
  BOOST_TEST(!web.first.has_value());  // nothing fetched while choosing
  h.vars.erase("AWS_ROLE_ARN");
  BOOST_TEST(h.resolve().provider->name() == "shared-credentials-file");
  // --profile turns the environment steps off (botocore).
  h.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  h.vars["AWS_SECRET_ACCESS_KEY"] = kSecret;
  BOOST_TEST(h.resolve("default").provider->name() == "shared-credentials-file");
}

BOOST_AUTO_TEST_CASE(role_wins_over_keys_in_the_same_profile) {
  Home h;
  h.credentials(kBase + "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = x\n");
  h.config(
      "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n"
      "external_id = ext-1\nduration_seconds = 900\nrole_session_name = nightly\n");
  const auto r = h.resolve("dev");
  BOOST_TEST(r.provider->name() == "assume-role");
  BOOST_TEST(contains(r.provider->describe(), "arn:aws:iam::123456789012:role/dev"));
}

BOOST_AUTO_TEST_CASE(source_profile_chains_and_cycles) {
  Home h;
  h.credentials(kBase);
  h.config(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = base\n"
      "[profile c1]\nrole_arn = arn:aws:iam::1:role/c1\nsource_profile = c2\n"
      "[profile c2]\nrole_arn = arn:aws:iam::1:role/c2\nsource_profile = c1\n"
      "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
      "aws_access_key_id = AKIDSELF\naws_secret_access_key = y\n"
      "[profile lost]\nrole_arn = arn:aws:iam::1:role/lost\nsource_profile = nowhere\n"
      "[profile empty-source]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = blank\n"
      "[profile blank]\nregion = eu-west-1\n");
  BOOST_TEST(h.resolve("a").provider->name() == "assume-role");
  BOOST_TEST(h.resolve("self").provider->name() == "assume-role");
  const auto cycle = h.error("c1");
  BOOST_TEST(contains(cycle, "cycle"));
  BOOST_TEST(contains(cycle, "c1 -> c2 -> c1"));
  BOOST_TEST(contains(h.error("lost"), "source_profile = nowhere, which is not found"));
  BOOST_TEST(contains(h.error("empty-source"), "holds no credentials"));
}

BOOST_AUTO_TEST_CASE(credential_source_values) {
  Home h;
  h.config(
      "[profile env]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n"
      "[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n"
      "[profile ecs]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = EcsContainer\n"
      "[profile bad]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Laptop\n"
      "[profile both]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n"
      "source_profile = env\n"
      "[profile none]\nrole_arn = arn:aws:iam::1:role/x\n");
  BOOST_TEST(contains(h.error("env"), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
  h.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  h.vars["AWS_SECRET_ACCESS_KEY"] = kSecret;
  BOOST_TEST(h.resolve("env").provider->name() == "assume-role");
  BOOST_TEST(h.resolve("ec2").provider->name() == "assume-role");
  BOOST_TEST(contains(h.error("ecs"), "AWS_CONTAINER_CREDENTIALS_FULL_URI is set"));
  h.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/creds";
  BOOST_TEST(h.resolve("ecs").provider->name() == "assume-role");
  BOOST_TEST(contains(h.error("bad"), "credential_source = Laptop is not one of Environment"));
  BOOST_TEST(contains(h.error("both"), "both source_profile and credential_source"));
  BOOST_TEST(contains(h.error("none"), "neither source_profile nor credential_source"));
}

BOOST_AUTO_TEST_CASE(refused_settings) {
  Home h;
  h.credentials(kBase);
  h.config(
      "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "mfa_serial = arn:aws:iam::1:mfa/me\n"
      "[profile long]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "duration_seconds = 99999\n"
      "[profile tokenonly]\nweb_identity_token_file = /tmp/t\n"
      "[profile badcmd]\ncredential_process = /bin/get \"unterminated\n");
  const auto mfa = h.error("mfa");
  BOOST_TEST(contains(mfa, "mfa_serial"));
  BOOST_TEST(contains(mfa, "cannot ask for an MFA code"));
  BOOST_TEST(contains(h.error("long"), "duration_seconds = 99999"));
  BOOST_TEST(contains(h.error("tokenonly"), "web_identity_token_file but no role_arn"));
  BOOST_TEST(contains(h.error("badcmd"), "credential_process"));
}

BOOST_AUTO_TEST_CASE(profile_forms) {
  Home h;
  h.config(
      "[profile web]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = /t\n"
      "[profile proc]\ncredential_process = /opt/bin/creds --account \"my account\"\n"
      "[profile sso-new]\nsso_session = corp\nsso_account_id = 111122223333\n"
      "sso_role_name = Uploader\n"
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = eu-west-1\n"
      "[profile sso-old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
      "sso_account_id = 111122223333\nsso_role_name = Uploader\n"
      "[profile sso-missing]\nsso_session = nothere\nsso_account_id = 1\nsso_role_name = r\n"
      "[profile sso-partial]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_account_id = 1\n");
  BOOST_TEST(h.resolve("web").provider->name() == "web-identity");
  BOOST_TEST(h.resolve("proc").provider->name() == "process");
  BOOST_TEST(h.resolve("sso-new").provider->name() == "sso");
  BOOST_TEST(h.resolve("sso-old").provider->name() == "sso");
  BOOST_TEST(contains(h.error("sso-missing"), "no [sso-session nothere] section"));
  const auto partial = h.error("sso-partial");
  BOOST_TEST(contains(partial, "sso_region"));
  BOOST_TEST(contains(partial, "sso_role_name"));
}

BOOST_AUTO_TEST_CASE(container_and_instance_metadata_come_last) {
  Home h;
  h.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/creds";
  BOOST_TEST(h.resolve().provider->name() == "container");
  h.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://198.51.100.7/creds";
  BOOST_TEST(contains(h.error(), "198.51.100.7"));
  h.vars.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  // IMDS on a closed local port: tried (fast) and listed with its reason.
  h.vars.erase("AWS_EC2_METADATA_DISABLED");
  h.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9";
  const auto started = std::chrono::steady_clock::now();
  const auto message = h.error();
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 3000);
  BOOST_TEST(contains(message, "EC2 instance metadata at http://127.0.0.1:9 is unreachable"));
  BOOST_TEST(contains(message, "127.0.0.1:9"));
}

BOOST_AUTO_TEST_SUITE_END()
