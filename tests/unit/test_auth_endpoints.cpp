// The credential providers against tiny local HTTP servers (IMDS, the container endpoint, the
// SSO portal, STS) and against small shell scripts (credential_process).
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/container.hpp"
#include "auth/imds.hpp"
#include "auth/process.hpp"
#include "auth/sso.hpp"
#include "auth/sts.hpp"
#include "auth/time_format.hpp"
#include "s3/sigv4.hpp"
#include "temp_tree.hpp"
#include "util/crypto.hpp"
#include "util/uri.hpp"

using namespace s3up::auth;
using namespace std::chrono;
using s3up::test::TempTree;

namespace {

constexpr const char* kSecret = "SecretKEYwJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE";
constexpr const char* kToken = "SessionTOKENIQoJb3JpZ2luX2VjEJr//////////wEaCXVz";
constexpr const char* kSourceSecret = "SourceSECRETde9c0a7f1b2c3d4e5f60718293a4b5c6d";
constexpr const char* kSourceToken = "SourceTOKENFwoGZXIvYXdzEBYaDH+/abc==";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

long long epoch(const s3up::s3::Credentials& c) {
  return c.expiration ? duration_cast<seconds>(c.expiration->time_since_epoch()).count() : -1;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ProviderError& e) {
    return e.what();
  }
  BOOST_ERROR("no ProviderError thrown");
  return {};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// ---- a tiny HTTP/1.1 server on 127.0.0.1, one connection at a time, "Connection: close"

struct Seen {
  std::string method, target, path, query, body;
  std::map<std::string, std::string> headers;  // lower-case names

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return headers.count(name) != 0; }
};

struct Reply {
  unsigned status = 200;
  std::string body;
  bool hang = false;  // accept, read the request and never answer
};

// name=value pairs of a query string or form body, decoded.
std::map<std::string, std::string> decode_form(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t amp = text.find('&', pos);
    if (amp == std::string::npos) amp = text.size();
    const std::string part = text.substr(pos, amp - pos);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      out[s3up::util::uri_decode(part.substr(0, eq))] =
          eq == std::string::npos ? "" : s3up::util::uri_decode(part.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}

class TestServer {
 public:
  using Handler = std::function<Reply(const Seen&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &len) != 0)
      throw std::runtime_error("test server: cannot listen");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    for (const int fd : held_) ::close(fd);
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      if (serve(conn))
        held_.push_back(conn);  // left unanswered until the end
      else
        ::close(conn);
    }
  }

  // Reads up to `want` bytes more into buf; false on EOF, error or a 5 s silence.
  bool read_more(int conn, std::string& buf) {
    pollfd p{conn, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(conn, chunk, sizeof chunk);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  // Reads one request and answers it; true when the connection is to be held unanswered.
  bool serve(int conn) {
    std::string buf;
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(conn, buf)) return false;
    Seen seen;
    const std::string head = buf.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
    seen.method = request_line.substr(0, sp1);
    seen.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::size_t question = seen.target.find('?');
    seen.path = seen.target.substr(0, question);
    if (question != std::string::npos) seen.query = seen.target.substr(question + 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      seen.headers[name] = value;
    }
    const std::size_t length = seen.has("content-length") ? std::stoul(seen.header("content-length")) : 0;
    seen.body = buf.substr(head_end + 4);
    while (seen.body.size() < length)
      if (!read_more(conn, seen.body)) return false;
    const Reply reply = handler_(seen);
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(seen);
    }
    if (reply.hang) return true;
    const std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Length: " +
                            std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" +
                            reply.body;
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::send(conn, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return false;
  }

  Handler handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
  std::vector<int> held_;  // the server thread's only
  std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string credentials_doc(const std::string& key_id, bool with_code) {
  return std::string("{") + (with_code ? R"("Code":"Success","LastUpdated":"2026-12-02T02:00:00Z","Type":"AWS-HMAC",)" : "") +
         R"("AccessKeyId":")" + key_id + R"(","SecretAccessKey":")" + kSecret + R"(","Token":")" +
         kToken + R"(","Expiration":"2026-12-02T03:04:05Z"})";
}

// ---- IMDS emulator

struct Imds {
  std::mutex mutex;
  int issued = 0;
  std::string valid_token;           // the token GETs must carry
  bool v1_only = false;              // answers the token PUT with 404, GETs need no token
  bool expire_after_listing = false; // invalidates the token once the role is listed
  bool no_role = false;

  Reply operator()(const Seen& r) {
    std::lock_guard lock(mutex);
    if (r.method == "PUT" && r.path == "/latest/api/token") {
      if (v1_only) return {404, "not found"};
      if (r.header("x-aws-ec2-metadata-token-ttl-seconds") != "21600") return {400, "ttl"};
      valid_token = "imds-token-" + std::to_string(++issued);
      return {200, valid_token};
    }
    if (r.method != "GET") return {405, ""};
    if (!v1_only && (!r.has("x-aws-ec2-metadata-token") || r.header("x-aws-ec2-metadata-token") != valid_token))
      return {401, ""};
    if (r.path == "/latest/meta-data/iam/security-credentials/") {
      if (no_role) return {404, "not found"};
      if (expire_after_listing) {
        expire_after_listing = false;
        valid_token = "rotated-away";
      }
      return {200, "my-role\nanother-role"};
    }
    if (r.path == "/latest/meta-data/iam/security-credentials/my-role")
      return {200, credentials_doc("ASIAIMDS", true)};
    return {404, "not found"};
  }
};

ImdsSettings imds_settings(const std::string& endpoint) {
  ImdsSettings s;
  s.endpoint = endpoint;
  s.timeout = milliseconds(500);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_endpoints)

// ---- IMDS

BOOST_AUTO_TEST_CASE(imds_v2) {
  Imds imds;
  TestServer server([&](const Seen& r) { return imds(r); });
  const auto provider = make_imds_provider(imds_settings(server.url()));
  const auto c = provider->fetch();
  BOOST_TEST(c.access_key_id == "ASIAIMDS");
  BOOST_TEST(c.secret_access_key == kSecret);
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
  const auto seen = server.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 3u);
  BOOST_TEST(seen[0].method == "PUT");
  BOOST_TEST(seen[0].header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
  BOOST_TEST(seen[1].target == "/latest/meta-data/iam/security-credentials/");
  BOOST_TEST(seen[1].header("x-aws-ec2-metadata-token") == "imds-token-1");
  BOOST_TEST(seen[2].target == "/latest/meta-data/iam/security-credentials/my-role");
  BOOST_TEST(seen[2].header("x-aws-ec2-metadata-token") == "imds-token-1");
  BOOST_TEST(provider->describe() == "EC2 instance metadata at " + server.url());
  // Each fetch asks for a new session token.
  provider->fetch();
  BOOST_TEST(server.seen().size() == 6u);
  BOOST_TEST(server.seen()[4].header("x-aws-ec2-metadata-token") == "imds-token-2");
}

BOOST_AUTO_TEST_CASE(imds_requires_the_token) {
  Imds imds;
  TestServer server([&](const Seen& r) { return imds(r); });
  // The emulator refuses a GET without the token, as IMDSv2-only instances do.
  HttpExchange x;
  x.url = server.url() + "/latest/meta-data/iam/security-credentials/";
  BOOST_TEST(http_fetch(x, {}).status == 401u);
  x.headers = {{"X-aws-ec2-metadata-token", "made-up"}};
  BOOST_TEST(http_fetch(x, {}).status == 401u);
  // The provider gets a token first.
  BOOST_TEST(make_imds_provider(imds_settings(server.url()))->fetch().access_key_id == "ASIAIMDS");
  BOOST_TEST(server.seen().at(2).method == "PUT");
}

BOOST_AUTO_TEST_CASE(imds_token_renewed_once_after_401) {
  Imds imds;
  imds.expire_after_listing = true;
  TestServer server([&](const Seen& r) { return imds(r); });
  const auto c = make_imds_provider(imds_settings(server.url()))->fetch();
  BOOST_TEST(c.access_key_id == "ASIAIMDS");
  const auto seen = server.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 5u);
  BOOST_TEST(seen[2].header("x-aws-ec2-metadata-token") == "imds-token-1");  // refused: 401
  BOOST_TEST(seen[3].method == "PUT");
  BOOST_TEST(seen[4].header("x-aws-ec2-metadata-token") == "imds-token-2");
}

BOOST_AUTO_TEST_CASE(imds_v1_fallback) {
  Imds imds;
  imds.v1_only = true;
  TestServer server([&](const Seen& r) { return imds(r); });
  const auto c = make_imds_provider(imds_settings(server.url()))->fetch();
  BOOST_TEST(c.access_key_id == "ASIAIMDS");
  const auto seen = server.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 3u);
  BOOST_TEST(seen[0].method == "PUT");
  BOOST_TEST(!seen[1].has("x-aws-ec2-metadata-token"));
  BOOST_TEST(!seen[2].has("x-aws-ec2-metadata-token"));

  auto strict = imds_settings(server.url());
  strict.allow_v1_fallback = false;
  const std::string message = error_of([&] { make_imds_provider(strict)->fetch(); });
  BOOST_TEST(contains(message, "IMDSv1 is disabled"), message);
}

BOOST_AUTO_TEST_CASE(imds_no_role) {
  Imds imds;
  imds.no_role = true;
  TestServer server([&](const Seen& r) { return imds(r); });
  const std::string message = error_of([&] { make_imds_provider(imds_settings(server.url()))->fetch(); });
  BOOST_TEST(contains(message, "no IAM role"), message);
}

BOOST_AUTO_TEST_CASE(imds_unreachable_fails_fast) {
  auto settings = imds_settings("http://127.0.0.1:" + std::to_string(closed_port()));
  settings.timeout = milliseconds(1000);
  settings.attempts = 2;
  const auto start = steady_clock::now();
  const std::string message = error_of([&] { make_imds_provider(settings)->fetch(); });
  const auto elapsed = steady_clock::now() - start;
  BOOST_TEST(duration_cast<milliseconds>(elapsed).count() < 1500);
  BOOST_TEST(contains(message, "EC2 instance metadata at http://127.0.0.1:"), message);
  BOOST_TEST(contains(message, "unreachable"), message);
}

BOOST_AUTO_TEST_CASE(imds_silent_server_times_out) {
  // Accepts and never answers: each of the 2 attempts waits `timeout` for the reply.
  TestServer server([](const Seen&) { return Reply{200, "", true}; });
  auto settings = imds_settings(server.url());
  settings.timeout = milliseconds(200);
  settings.attempts = 2;
  const auto start = steady_clock::now();
  const std::string message = error_of([&] { make_imds_provider(settings)->fetch(); });
  const auto elapsed = duration_cast<milliseconds>(steady_clock::now() - start).count();
  BOOST_TEST(elapsed >= 350);
  BOOST_TEST(elapsed < 1500);
  BOOST_TEST(contains(message, "unreachable"), message);
  BOOST_TEST(server.seen().size() == 2u);
}

// ---- container endpoint

struct Container {
  std::mutex mutex;
  std::string expected = "Bearer-good-token";
  Reply operator()(const Seen& r) {
    std::lock_guard lock(mutex);
    if (r.path != "/v1/credentials") return {404, "{}"};
    if (!r.has("authorization")) return {403, R"({"message":"no authorization header"})"};
    if (r.header("authorization") != expected) return {401, R"({"message":"invalid token"})"};
    return {200, credentials_doc("ASIACONT", false)};
  }
  void expect(std::string token) {
    std::lock_guard lock(mutex);
    expected = std::move(token);
  }
};

s3up::s3::Environment env_of(std::map<std::string, std::string> vars) {
  return {[vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }};
}

BOOST_AUTO_TEST_CASE(container_with_token) {
  Container container;
  TestServer server([&](const Seen& r) { return container(r); });
  const auto settings = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v1/credentials"},
                                                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer-good-token"}}));
  BOOST_REQUIRE(settings);
  const auto provider = make_container_provider(*settings);
  const auto c = provider->fetch();
  BOOST_TEST(c.access_key_id == "ASIACONT");
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
  BOOST_TEST(server.seen().at(0).method == "GET");
  BOOST_TEST(server.seen().at(0).header("authorization") == "Bearer-good-token");
  BOOST_TEST(provider->name() == "container");

  // localhost is a loopback name: allowed over http, and it reaches the server.
  const auto by_name = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                                   "http://localhost:" + std::to_string(server.port()) + "/v1/credentials"},
                                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer-good-token"}}));
  BOOST_REQUIRE(by_name);
  BOOST_TEST(make_container_provider(*by_name)->fetch().access_key_id == "ASIACONT");
}

BOOST_AUTO_TEST_CASE(container_wrong_or_missing_token) {
  Container container;
  TestServer server([&](const Seen& r) { return container(r); });
  const std::string wrong = "Bearer-WRONG-secret-token";
  auto settings = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v1/credentials"},
                                             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", wrong}}));
  BOOST_REQUIRE(settings);
  std::string message = error_of([&] { make_container_provider(*settings)->fetch(); });
  BOOST_TEST(contains(message, "HTTP 401"), message);
  BOOST_TEST(contains(message, "invalid token"), message);
  BOOST_TEST(!contains(message, wrong), message);

  settings->token.reset();
  message = error_of([&] { make_container_provider(*settings)->fetch(); });
  BOOST_TEST(contains(message, "HTTP 403"), message);

  settings->token = "Bearer\r\nX-Injected: 1";
  message = error_of([&] { make_container_provider(*settings)->fetch(); });
  BOOST_TEST(contains(message, "line break"), message);
  BOOST_TEST(!contains(message, "X-Injected"), message);
  BOOST_TEST(server.seen().size() == 2u);  // the last one was never sent
}

BOOST_AUTO_TEST_CASE(container_token_file_rotation) {
  TempTree tmp;
  Container container;
  TestServer server([&](const Seen& r) { return container(r); });
  const std::string token_file = tmp.path("token");
  write_file(token_file, "token-one\n");
  const auto settings = container_settings(env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v1/credentials"},
                                                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token-loses"},
                                                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}));
  BOOST_REQUIRE(settings);
  const auto provider = make_container_provider(*settings);
  container.expect("token-one");
  BOOST_TEST(provider->fetch().access_key_id == "ASIACONT");
  write_file(token_file, "token-two");
  container.expect("token-two");
  BOOST_TEST(provider->fetch().access_key_id == "ASIACONT");
  const auto seen = server.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 2u);
  BOOST_TEST(seen[0].header("authorization") == "token-one");
  BOOST_TEST(seen[1].header("authorization") == "token-two");

  std::filesystem::remove(token_file);
  const std::string message = error_of([&] { provider->fetch(); });
  BOOST_TEST(contains(message, token_file), message);
  BOOST_TEST(!contains(message, "env-token-loses"), message);
}

BOOST_AUTO_TEST_CASE(container_unreachable) {
  ContainerSettings settings;
  settings.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/credentials";
  const auto start = steady_clock::now();
  const std::string message = error_of([&] { make_container_provider(settings)->fetch(); });
  BOOST_TEST(duration_cast<milliseconds>(steady_clock::now() - start).count() < 1500);
  BOOST_TEST(contains(message, "unreachable"), message);
}

// ---- SSO

struct SsoFixture {
  TempTree tmp;
  SsoSettings settings;
  std::string cache;

  explicit SsoFixture(const std::string& portal) {
    settings.profile = "dev";
    settings.start_url = "https://d-abc123.awsapps.com/start";
    settings.sso_region = "us-east-1";
    settings.account_id = "123456789012";
    settings.role_name = "dev+admin";
    settings.cache_dir = tmp.root();
    settings.portal_url = portal;
    cache = sso_cache_path(settings);
  }
  void token(const std::string& access_token, const std::string& expires_at) const {
    write_file(cache, R"({"startUrl":"https://d-abc123.awsapps.com/start","region":"us-east-1","accessToken":")" +
                          access_token + R"(","expiresAt":")" + expires_at + "\"}");
  }
};

constexpr const char* kSsoToken = "aoaAAAAAGSSO-access-token-secret-value";

Reply sso_portal(const Seen& r) {
  if (r.method != "GET" || r.path != "/federation/credentials") return {404, "{}"};
  const auto q = decode_form(r.query);
  if (q.count("account_id") == 0 || q.at("account_id") != "123456789012" ||
      q.count("role_name") == 0 || q.at("role_name") != "dev+admin" || !contains(r.query, "role_name=dev%2Badmin"))
    return {400, R"({"message":"bad query"})"};
  if (r.header("x-amz-sso_bearer_token") != kSsoToken)
    return {401, R"({"message":"Session token not found or invalid"})"};
  return {200, std::string(R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":")") + kSecret +
                   R"(","sessionToken":")" + kToken + R"(","expiration":1796180645000}})"};
}

BOOST_AUTO_TEST_CASE(sso_valid_token) {
  TestServer server(sso_portal);
  SsoFixture f(server.url());
  f.token(kSsoToken, "2099-01-01T00:00:00UTC");
  const auto provider = make_sso_provider(f.settings);
  const auto c = provider->fetch();
  BOOST_TEST(c.access_key_id == "ASIASSO");
  BOOST_TEST(c.secret_access_key == kSecret);
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
  BOOST_TEST(provider->name() == "sso");
  BOOST_TEST(server.seen().at(0).header("x-amz-sso_bearer_token") == kSsoToken);
  // The cache is read again at every fetch.
  f.token(kSsoToken, "2099-01-01T00:00:00Z");
  BOOST_TEST(provider->fetch().access_key_id == "ASIASSO");
}

BOOST_AUTO_TEST_CASE(sso_expired_missing_refused) {
  TestServer server([](const Seen& r) {
    if (r.header("x-amz-sso_bearer_token") == "boom") return Reply{500, R"({"message":"internal failure"})"};
    return sso_portal(r);
  });
  SsoFixture f(server.url());
  const auto provider = make_sso_provider(f.settings);

  std::string message = error_of([&] { provider->fetch(); });
  BOOST_TEST(message == "no cached SSO token for profile 'dev' (" + f.cache +
                            "): run `aws sso login --profile dev`");

  f.token(kSsoToken, "2020-01-02T03:04:05Z");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(message == "the SSO token for profile 'dev' expired at 2020-01-02T03:04:05Z: run `aws sso login --profile dev`");

  f.token("a-token-the-portal-refuses", "2099-01-01T00:00:00Z");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(contains(message, "run `aws sso login --profile dev`"), message);
  BOOST_TEST(contains(message, "401"), message);
  BOOST_TEST(!contains(message, "a-token-the-portal-refuses"), message);

  f.token("boom", "2099-01-01T00:00:00Z");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(contains(message, "HTTP 500: internal failure"), message);

  write_file(f.cache, "not json");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(contains(message, "aws sso login"), message);
  BOOST_TEST(server.seen().size() == 2u);  // expired and missing tokens never reach the portal
}

// ---- STS

struct StsFixture {
  std::shared_ptr<StaticProvider> source(bool with_token) const {
    s3up::s3::Credentials c{"AKIDSOURCE", kSourceSecret, with_token ? kSourceToken : "", std::nullopt};
    return std::make_shared<StaticProvider>(c, "environment", "environment variables");
  }
};

std::string assume_role_reply(const std::string& action) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>" + kSecret +
         "</SecretAccessKey><SessionToken>" + kToken +
         "</SessionToken><Expiration>2026-12-02T03:04:05Z</Expiration></Credentials></" + action +
         "Result></" + action + "Response>";
}

// The request's SigV4 Authorization recomputed from what the server received.
std::string expected_authorization(const Seen& r, const s3up::s3::Credentials& creds) {
  const std::string auth = r.header("authorization");
  const std::size_t sh = auth.find("SignedHeaders=");
  const std::string signed_headers = auth.substr(sh + 14, auth.find(',', sh) - sh - 14);
  s3up::s3::RequestToSign req;
  req.method = r.method;
  req.path = r.path;
  req.query = r.query;
  req.payload_hash = s3up::util::hex_lower(s3up::util::sha256(r.body));
  std::size_t pos = 0;
  while (pos <= signed_headers.size()) {
    std::size_t semi = signed_headers.find(';', pos);
    if (semi == std::string::npos) semi = signed_headers.size();
    const std::string name = signed_headers.substr(pos, semi - pos);
    req.headers.emplace_back(name, r.header(name));
    pos = semi + 1;
  }
  const std::string d = r.header("x-amz-date");  // 20261202T030405Z
  const auto t = parse_iso8601(d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" +
                               d.substr(9, 2) + ":" + d.substr(11, 2) + ":" + d.substr(13, 2) + "Z");
  if (!t) return "bad x-amz-date";
  return s3up::s3::SigV4Signer(creds, "us-west-2", "sts").sign(req, *t).authorization;
}

BOOST_AUTO_TEST_CASE(sts_assume_role_signed) {
  TestServer server([](const Seen& r) {
    const auto form = decode_form(r.body);
    if (r.method != "POST" || form.count("Action") == 0 || form.at("Action") != "AssumeRole")
      return Reply{400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>"};
    return Reply{200, assume_role_reply("AssumeRole")};
  });
  StsSettings sts{server.url() + "/", "us-west-2", {}};
  AssumeRoleParams params{"arn:aws:iam::123456789012:role/demo role", "s3up session", std::string("ext/id=1"), 900};
  StsFixture f;
  for (const bool with_token : {true, false}) {
    BOOST_TEST_CONTEXT("source token " << with_token) {
      const auto provider = make_assume_role_provider(f.source(with_token), params, sts, "profile 'dev'");
      const auto c = provider->fetch();
      BOOST_TEST(c.access_key_id == "ASIASTS");
      BOOST_TEST(c.secret_access_key == kSecret);
      BOOST_TEST(c.session_token == kToken);
      BOOST_TEST(epoch(c) == 1796180645);
      BOOST_TEST(provider->describe() == "AssumeRole arn:aws:iam::123456789012:role/demo role via profile 'dev'");

      const Seen r = server.seen().back();
      BOOST_TEST(r.method == "POST");
      BOOST_TEST(r.path == "/");
      BOOST_TEST(r.header("content-type") == "application/x-www-form-urlencoded; charset=utf-8");
      const auto form = decode_form(r.body);
      BOOST_TEST(form.at("Action") == "AssumeRole");
      BOOST_TEST(form.at("Version") == "2011-06-15");
      BOOST_TEST(form.at("RoleArn") == "arn:aws:iam::123456789012:role/demo role");
      BOOST_TEST(form.at("RoleSessionName") == "s3up session");
      BOOST_TEST(form.at("ExternalId") == "ext/id=1");
      BOOST_TEST(form.at("DurationSeconds") == "900");
      BOOST_TEST(contains(r.body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo%20role"), r.body);
      BOOST_TEST(r.header("host") == "127.0.0.1:" + std::to_string(server.port()));
      const std::string auth = r.header("authorization");
      BOOST_TEST(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDSOURCE/"), auth);
      BOOST_TEST(contains(auth, "/us-west-2/sts/aws4_request"), auth);
      BOOST_TEST(contains(auth, "x-amz-date"), auth);
      BOOST_TEST(r.header("x-amz-content-sha256") == s3up::util::hex_lower(s3up::util::sha256(r.body)));
      if (with_token) {
        BOOST_TEST(r.header("x-amz-security-token") == kSourceToken);
        BOOST_TEST(contains(auth, "x-amz-security-token"), auth);
      } else {
        BOOST_TEST(!r.has("x-amz-security-token"));
      }
      BOOST_TEST(auth == expected_authorization(r, f.source(with_token)->fetch()));
    }
  }
}

BOOST_AUTO_TEST_CASE(sts_assume_role_errors) {
  TestServer server([](const Seen&) {
    return Reply{403, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>)"};
  });
  StsSettings sts{server.url() + "/", "us-west-2", {}};
  StsFixture f;
  const auto provider = make_assume_role_provider(f.source(true), {"arn:aws:iam::123456789012:role/demo", "s", {}, {}}, sts, "");
  const std::string message = error_of([&] { provider->fetch(); });
  BOOST_TEST(message == "STS AssumeRole for arn:aws:iam::123456789012:role/demo at " + server.url() +
                            "/ failed: HTTP 403 AccessDenied: User: arn:aws:iam::123456789012:user/dev is "
                            "not authorized to perform: sts:AssumeRole");
  BOOST_TEST(!contains(message, kSourceSecret));
  BOOST_TEST(!contains(message, kSourceToken));
  BOOST_TEST(decode_form(server.seen().at(0).body).at("RoleSessionName") == "s");
  // No session name: botocore's default.
  const auto unnamed = make_assume_role_provider(f.source(false), {"arn:aws:iam::1:role/x", "", {}, {}}, sts, "");
  error_of([&] { unnamed->fetch(); });
  BOOST_TEST(decode_form(server.seen().back().body).at("RoleSessionName").starts_with("botocore-session-"));

  // The source fails: said so, with its description.
  struct Failing : Provider {
    s3up::s3::Credentials fetch() override { throw ProviderError("no credentials in the environment"); }
    std::string name() const override { return "environment"; }
    std::string describe() const override { return "environment variables"; }
  };
  const std::string source_message = error_of([&] {
    make_assume_role_provider(std::make_shared<Failing>(), {"arn:aws:iam::1:role/x", "s", {}, {}}, sts, "")->fetch();
  });
  BOOST_TEST(contains(source_message, "no credentials in the environment"), source_message);
  BOOST_TEST(contains(source_message, "arn:aws:iam::1:role/x"), source_message);

  StsSettings closed{"http://127.0.0.1:" + std::to_string(closed_port()), "us-west-2", {}};
  const std::string transport = error_of([&] {
    make_assume_role_provider(f.source(true), {"arn:aws:iam::1:role/x", "s", {}, {}}, closed, "")->fetch();
  });
  BOOST_TEST(transport.starts_with("STS AssumeRole for arn:aws:iam::1:role/x at http://127.0.0.1:"), transport);
  BOOST_TEST(!contains(transport, kSourceToken));
}

BOOST_AUTO_TEST_CASE(sts_web_identity) {
  TempTree tmp;
  const std::string token_file = tmp.path("web-identity-token");
  TestServer server([](const Seen& r) {
    const auto form = decode_form(r.body);
    if (r.method != "POST" || form.count("Action") == 0 || form.at("Action") != "AssumeRoleWithWebIdentity" ||
        r.has("authorization"))
      return Reply{400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>"};
    if (form.count("WebIdentityToken") == 0 || !form.at("WebIdentityToken").starts_with("eyJ-valid"))
      return Reply{400, "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Incorrect token audience</Message></Error></ErrorResponse>"};
    return Reply{200, assume_role_reply("AssumeRoleWithWebIdentity")};
  });
  StsSettings sts{server.url(), "us-east-1", {}};
  const auto provider = make_web_identity_provider({token_file, "arn:aws:iam::123456789012:role/ci", "gha"}, sts,
                                                   "environment");
  BOOST_TEST(provider->name() == "web-identity");

  std::string message = error_of([&] { provider->fetch(); });  // no file yet
  BOOST_TEST(contains(message, token_file), message);

  write_file(token_file, "");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(contains(message, token_file), message);
  BOOST_TEST(contains(message, "empty"), message);

  write_file(token_file, "eyJ-valid.one+/=\n");
  auto c = provider->fetch();
  BOOST_TEST(c.access_key_id == "ASIASTS");
  BOOST_TEST(epoch(c) == 1796180645);
  write_file(token_file, "eyJ-valid.two");
  c = provider->fetch();
  BOOST_TEST(c.session_token == kToken);
  auto seen = server.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 2u);
  BOOST_TEST(decode_form(seen[0].body).at("WebIdentityToken") == "eyJ-valid.one+/=");
  BOOST_TEST(decode_form(seen[1].body).at("WebIdentityToken") == "eyJ-valid.two");
  BOOST_TEST(decode_form(seen[1].body).at("RoleArn") == "arn:aws:iam::123456789012:role/ci");
  BOOST_TEST(decode_form(seen[1].body).at("RoleSessionName") == "gha");
  BOOST_TEST(decode_form(seen[1].body).at("Version") == "2011-06-15");
  BOOST_TEST(seen[1].header("content-type") == "application/x-www-form-urlencoded; charset=utf-8");

  write_file(token_file, "eyJ-refused-secret-token");
  message = error_of([&] { provider->fetch(); });
  BOOST_TEST(message == "STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/ci at " + server.url() +
                            " failed: HTTP 400 InvalidIdentityToken: Incorrect token audience");
  BOOST_TEST(!contains(message, "eyJ-refused"));
}

// ---- credential_process

struct Scripts {
  TempTree tmp;
  std::string script(const std::string& name, const std::string& body) const {
    const std::string path = tmp.path(name);
    write_file(path, "#!/bin/sh\n" + body);
    tmp.chmod(name, 0755);
    return path;
  }
};

const std::string kProcessJson = std::string(R"({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": ")") +
                                 kSecret + R"(", "SessionToken": ")" + kToken +
                                 R"(", "Expiration": "2026-12-02T03:04:05Z"})";

BOOST_AUTO_TEST_CASE(process_output_and_arguments) {
  Scripts s;
  const std::string path = s.script("get creds.sh",
                                    "[ \"$#\" -eq 3 ] || exit 3\n"
                                    "[ \"$1\" = '--profile' ] || exit 4\n"
                                    "[ \"$2\" = 'my profile' ] || exit 5\n"
                                    "[ \"$3\" = '#not-a-comment' ] || exit 6\n"
                                    "if read line; then exit 7; fi\n"  // stdin is /dev/null
                                    "echo 'diagnostics go to stderr' >&2\n"
                                    "printf '%s\\n' '" + kProcessJson + "'\n");
  const auto provider = make_process_provider("'" + path + "' --profile \"my profile\" #not-a-comment", "dev");
  const auto c = provider->fetch();
  BOOST_TEST(c.access_key_id == "AKIDPROC");
  BOOST_TEST(c.secret_access_key == kSecret);
  BOOST_TEST(c.session_token == kToken);
  BOOST_TEST(epoch(c) == 1796180645);
  BOOST_TEST(provider->describe() == "credential_process of profile 'dev'");
}

BOOST_AUTO_TEST_CASE(process_failures) {
  Scripts s;
  const std::string fails = s.script("fails.sh", "printf '%s' '" + kProcessJson + "'\nexit 1\n");
  std::string message = error_of([&] { make_process_provider(fails, "dev")->fetch(); });
  BOOST_TEST(message == "credential_process for profile 'dev' exited with status 1");

  message = error_of([&] { make_process_provider("s3up-no-such-program-8f3a --x", "dev")->fetch(); });
  BOOST_TEST(contains(message, "credential_process for profile 'dev'"), message);
  BOOST_TEST(contains(message, "s3up-no-such-program-8f3a"), message);

  message = error_of([&] { make_process_provider(s.tmp.path("missing/prog"), "dev")->fetch(); });
  BOOST_TEST(contains(message, "No such file"), message);

  const std::string v2 = s.script("v2.sh", "echo '{\"Version\": 2, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"" +
                                               std::string(kSecret) + "\"}'\n");
  message = error_of([&] { make_process_provider(v2, "dev")->fetch(); });
  BOOST_TEST(message.starts_with("credential_process for profile 'dev' wrote a Version other than 1"), message);
  BOOST_TEST(!contains(message, kSecret));

  const std::string junk = s.script("junk.sh", "echo 'AccessKeyId=AKIDPROC " + std::string(kSecret) + "'\n");
  message = error_of([&] { make_process_provider(junk, "dev")->fetch(); });
  BOOST_TEST(message == "credential_process for profile 'dev' wrote no JSON object");

  const std::string killed = s.script("killed.sh", "kill -9 $$\n");
  message = error_of([&] { make_process_provider(killed, "dev")->fetch(); });
  BOOST_TEST(message == "credential_process for profile 'dev' was killed by signal 9");

  message = error_of([&] { make_process_provider("\"unterminated", "dev")->fetch(); });
  BOOST_TEST(contains(message, "unterminated"), message);
}

BOOST_AUTO_TEST_SUITE_END()
