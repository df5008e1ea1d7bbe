#include "server/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <iostream>

#include "util/units.hpp"

namespace s3up::testserver {
namespace {

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "s3-testserver: " << why << " (see --help)\n";
  std::exit(2);
}

}  // namespace

Options parse_options(int argc, char** argv) {
  cxxopts::Options spec("s3-testserver",
                        "A local S3-compatible server (path-style) for tests, benchmarks and "
                        "fault injection. Listens on 127.0.0.1 only.");
  // clang-format off
  spec.add_options()
    ("port", "TCP port, 0 to let the system pick one", cxxopts::value<unsigned>()->default_value("0"))
    ("threads", "threads running the server", cxxopts::value<int>()->default_value("2"))
    ("root", "store objects as files under DIR", cxxopts::value<std::string>())
    ("discard", "benchmark mode: keep sizes, ETags and metadata only, throw the bytes away")
    ("bucket", "create bucket NAME at start (repeatable)", cxxopts::value<std::vector<std::string>>())
    ("access-key", "verify SigV4 signatures for this access key id (secret from "
                   "S3_TESTSERVER_SECRET)", cxxopts::value<std::string>())
    ("region", "with --access-key: the bucket's region; requests signed for another region get "
               "400 AuthorizationHeaderMalformed naming it, as S3 answers", cxxopts::value<std::string>())
    ("tls-cert", "serve HTTPS with this PEM certificate (chain)", cxxopts::value<std::string>())
    ("tls-key", "PEM private key of --tls-cert", cxxopts::value<std::string>())
    ("fault-rate", "probability 0..1 that a request suffers a fault", cxxopts::value<double>()->default_value("0"))
    ("faults", "comma list of fault kinds: 500,503,reset-before,reset-mid,stall,truncate,"
               "complete-error,corrupt (a bit of the body flipped, then verified),corrupt-echo "
               "(flipped, not verified, the stored checksums echoed); hostile servers: "
               "stall-body (half the body read, then held --stall-seconds), stall-reply (done, "
               "half the reply header sent, then held), length-long (done, Content-Length 1 KiB "
               "more than sent, kept open), length-short (done, Content-Length half the body, "
               "the whole body and a forged 200 sent), endless-header (a reply header line that "
               "never ends), continue-early (an unasked-for 100 Continue before the reply), "
               "continue-stall (100 Continue, then nothing), unsolicited (a forged 200 after the "
               "reply, for a request not yet sent), idle-close (the connection closed right "
               "after a reply that says keep-alive), empty-200 / garbage-200 (not done, 200 with an empty or "
               "garbage body, no ETag)", cxxopts::value<std::string>()->default_value("500,503"))
    ("seed", "seed of the fault decisions", cxxopts::value<std::uint64_t>()->default_value("1"))
    ("stall-seconds", "how long a stalled request is held", cxxopts::value<int>()->default_value("60"))
    ("clock-skew", "seconds added to the server's clock: its Date headers and the 15-minute "
                   "RequestTimeTooSkewed check (with --access-key) use it, e.g. 1200 or -1200",
                   cxxopts::value<int>()->default_value("0"))
    ("fail-key", "GLOB[=500|403|503]: every request for a matching key fails (repeatable)",
                 cxxopts::value<std::vector<std::string>>())
    ("min-part-size", "smallest non-last multipart part (default 5MiB)", cxxopts::value<std::string>())
    ("log", "append one line per request to FILE", cxxopts::value<std::string>())
    ("no-etag-md5", "skip MD5: fake but stable ETags (pure speed tests)")
    ("checksum-support", "how x-amz-checksum-* headers are treated: full (verified, stored and "
                         "echoed, as AWS), ignored (any value accepted, nothing verified, stored "
                         "or echoed, as Ceph RGW 16), unsupported-header (400 InvalidArgument "
                         "'Unsupported header' for any of them, x-amz-checksum-mode included, as "
                         "Backblaze B2), not-implemented (501 NotImplemented for any "
                         "of them, as Cloudflare R2 for algorithms it lacks)",
                         cxxopts::value<std::string>()->default_value("full"))
    ("h,help", "this help");
  // clang-format on

  cxxopts::ParseResult r;
  try {
    r = spec.parse(argc, argv);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (r.count("help")) {
    std::cout << spec.help() << std::endl;
    std::exit(0);
  }
  if (!r.unmatched().empty()) fail("unexpected argument " + r.unmatched().front());

  Options o;
  try {
    const unsigned port = r["port"].as<unsigned>();
    if (port > 65535) fail("--port must be 0..65535");
    o.port = static_cast<std::uint16_t>(port);
    o.threads = r["threads"].as<int>();
    if (o.threads < 1 || o.threads > 256) fail("--threads must be 1..256");
    if (r.count("root")) o.root = r["root"].as<std::string>();
    o.discard = r.count("discard") > 0;
    if (o.root.empty() == !o.discard) fail("give exactly one of --root DIR and --discard");
    if (r.count("bucket")) o.buckets = r["bucket"].as<std::vector<std::string>>();
    if (r.count("region")) o.region = r["region"].as<std::string>();
    if (r.count("access-key")) {
      o.access_key = r["access-key"].as<std::string>();
      const char* secret = std::getenv("S3_TESTSERVER_SECRET");
      if (!secret || !*secret) fail("--access-key needs the secret in S3_TESTSERVER_SECRET");
      o.secret_key = secret;
    }
    if (r.count("tls-cert")) o.tls_cert = r["tls-cert"].as<std::string>();
    if (r.count("tls-key")) o.tls_key = r["tls-key"].as<std::string>();
    if (o.tls_cert.empty() != o.tls_key.empty()) fail("--tls-cert and --tls-key go together");
    o.fault_rate = r["fault-rate"].as<double>();
    if (!(o.fault_rate >= 0 && o.fault_rate <= 1)) fail("--fault-rate must be within 0..1");
    std::string list = r["faults"].as<std::string>();
    std::size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const auto name = std::string_view(list).substr(start, comma - start);
      if (!name.empty()) {
        const auto kind = parse_fault_kind(name);
        if (!kind) fail("unknown fault kind '" + std::string(name) + "'");
        bool seen = false;
        for (auto k : o.faults) seen |= k == *kind;
        if (!seen) o.faults.push_back(*kind);
      }
      start = comma + 1;
    }
    o.seed = r["seed"].as<std::uint64_t>();
    o.stall_seconds = r["stall-seconds"].as<int>();
    if (o.stall_seconds < 0) fail("--stall-seconds must be >= 0");
    o.clock_skew = r["clock-skew"].as<int>();
    if (o.clock_skew < -86400 * 365 || o.clock_skew > 86400 * 365)
      fail("--clock-skew must be within a year");
    if (r.count("fail-key")) {
      for (const auto& text : r["fail-key"].as<std::vector<std::string>>()) {
        auto fk = parse_fail_key(text);
        if (!fk) fail("bad --fail-key '" + text + "'");
        o.fail_keys.push_back(std::move(*fk));
      }
    }
    if (r.count("min-part-size")) {
      const auto size = util::parse_size(r["min-part-size"].as<std::string>());
      if (!size) fail("bad --min-part-size");
      o.min_part_size = *size;
    }
    if (r.count("log")) o.log_file = r["log"].as<std::string>();
    o.no_etag_md5 = r.count("no-etag-md5") > 0;
    const std::string support = r["checksum-support"].as<std::string>();
    if (support == "full") o.checksum_support = ChecksumSupport::Full;
    else if (support == "ignored") o.checksum_support = ChecksumSupport::Ignored;
    else if (support == "unsupported-header") o.checksum_support = ChecksumSupport::UnsupportedHeader;
    else if (support == "not-implemented") o.checksum_support = ChecksumSupport::NotImplemented;
    else fail("--checksum-support: full, ignored, unsupported-header or not-implemented");
  } catch (const cxxopts::exceptions::exception& e) {
    fail(e.what());
  }
  return o;
}

}  // namespace s3up::testserver
