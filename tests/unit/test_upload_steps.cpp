// The shared per-file sequences (engine/upload_steps.hpp) without sockets: a scripted Io answers
// each request from a list of replies and records what the sequence asked for, in order (permits,
// pacing, reads, requests, backoffs), so each test asserts the requests and the rules: a request
// permit only around its request, never through a backoff; memory before the read; what is
// retried; abort instead of complete.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "coro/sync_task.hpp"
#include "engine/journal.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/report.hpp"
#include "engine/run_control.hpp"
#include "engine/upload_steps.hpp"
#include "s3/error_class.hpp"
#include "s3/s3_error.hpp"
#include "util/crypto.hpp"
#include "payload_wire.hpp"

namespace fs = std::filesystem;
using namespace s3up;
using namespace s3up::engine;

namespace {

// A permit that logs its release.
class Held {
 public:
  Held() = default;
  explicit Held(std::function<void()> release) : release_(std::move(release)) {}
  Held(Held&& o) noexcept : release_(std::exchange(o.release_, nullptr)) {}
  Held& operator=(Held&& o) noexcept {
    if (this != &o) {
      if (release_) release_();
      release_ = std::exchange(o.release_, nullptr);
    }
    return *this;
  }
  ~Held() {
    if (release_) release_();
  }
  explicit operator bool() const { return static_cast<bool>(release_); }

 private:
  std::function<void()> release_;
};

s3::OpResult reply(unsigned status, std::string code = {}, std::string body = {}) {
  s3::OpResult r;
  r.status = status;
  r.ok = status >= 200 && status < 300;
  r.code = std::move(code);
  r.body = std::move(body);
  if (!r.ok) {
    // As S3Protocol::finish types it.
    r.error = r.code.empty() ? s3::make_error_code(s3::S3Errc::http_status)
                             : s3::make_error_code(s3::errc_from_code(r.code));
    r.error_class = s3::classify(status, r.error);
    r.message = "HTTP " + std::to_string(status) + " " + r.code;
  }
  return r;
}

s3::OpResult with_etag(s3::OpResult r, std::string etag) {
  r.etag = etag;
  r.headers.emplace_back("etag", std::move(etag));
  return r;
}

// What the sequence did, and the replies it gets, in order.
struct Script {
  // "memory", "pace", "read", "digest", "request", "release", "send X", "settle"
  std::vector<std::string> events;
  std::vector<std::uint64_t> memory_asked;  // the bytes of each memory permit
  std::vector<s3::S3Call> calls;
  // What each streamed body's pass over the file (a large PUT, a part) computed.
  std::vector<DigestNeeds> digests;
  std::vector<int> digested_fds;  // the descriptor each such pass read
  std::vector<DigestNeeds> read_needs;  // what each read of a small file into memory computed
  std::deque<s3::OpResult> replies;
  int requests_held = 0;
  int most_requests_held = 0;
  bool held_at_settle = false;
  std::function<void(const s3::S3Call&)> on_send;  // may throw
  std::vector<std::string> wires;  // the bodies sent with a trailing checksum, as framed
};

// What a transport sends of a streamed body with a trailing checksum (which computes the
// checksum the trailer carries).
std::string send_framed(const s3::S3Call& call) {
  http::PayloadBody::value_type body;
  body.fd = call.file.fd;
  body.offset = call.file.offset;
  body.length = call.file.length;
  body.trailer = call.trailing.get();
  return test::wire_of(body);
}

struct ScriptedIo {
  template <class T>
  using Task = coro::SyncTask<T>;
  using Permit = Held;

  Script* script;
  RunControl* control;

  RunControl& run() const { return *control; }
  Task<Permit> memory(std::uint64_t bytes) const {
    script->events.push_back("memory");
    script->memory_asked.push_back(bytes);
    co_return Held([s = script] { s->events.push_back("memory released"); });
  }
  Task<bool> pace(std::uint64_t) const {
    script->events.push_back("pace");
    co_return !control->stopping.load();
  }
  Task<ReadDigest> read(walker::Entry entry, std::uint64_t offset, std::span<char> out,
                        DigestNeeds needs) const {
    script->events.push_back("read");
    script->read_needs.push_back(needs);
    co_return read_and_digest(entry, offset, out, needs);
  }
  Task<ReadDigest> digest(const walker::FileReader* file, walker::Entry entry, std::uint64_t offset,
                          std::uint64_t length, DigestNeeds needs) const {
    script->events.push_back("digest");
    script->digests.push_back(needs);
    script->digested_fds.push_back(file->fd());
    co_return digest_range(entry, *file, offset, length, needs);
  }
  Task<Permit> request() const {
    script->events.push_back("request");
    script->most_requests_held = std::max(script->most_requests_held, ++script->requests_held);
    co_return Held([s = script] {
      --s->requests_held;
      s->events.push_back("release");
    });
  }
  Task<s3::OpResult> send(s3::S3Call call) const {
    script->events.push_back("send " + std::string(s3::to_string(call.op)));
    script->calls.push_back(call);
    if (call.trailing) script->wires.push_back(send_framed(call));
    if (script->on_send) script->on_send(call);
    BOOST_REQUIRE_MESSAGE(!script->replies.empty(), "no reply scripted for " << s3::to_string(call.op));
    s3::OpResult r = std::move(script->replies.front());
    script->replies.pop_front();
    co_return r;
  }
  Task<Next> settle(s3::OpResult r, int attempt) const {
    script->events.push_back("settle");
    if (script->requests_held > 0) script->held_at_settle = true;
    co_return after_failure(*control, r, attempt);  // no sleep: the policy's decision only
  }
  Task<bool> journal_durable(std::uint64_t seq) const {
    script->events.push_back("journal durable");
    co_return control->wait_journal_durable(seq);
  }
  void part_size_hint(std::uint64_t) const {}
  void parts_coming(std::uint64_t parts) const {
    script->events.push_back("parts coming " + std::to_string(parts));
  }
};

struct Fixture {
  fs::path dir;
  UploadOptions opt;
  s3::S3Protocol protocol{s3::SigV4Signer(s3::Credentials{"AKID", "SECRET", {}, std::nullopt},
                                          "us-east-1", "s3"),
                          s3::parse_endpoint("http://127.0.0.1:9"), "bucket", true, false};
  Report report;
  std::unique_ptr<RunControl> control;
  Script script;

  Fixture() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("S3UP_TEST_TMP");
    dir = fs::path(base ? base : fs::temp_directory_path().string()) /
          ("steps_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir);
    opt.bucket = "bucket";
    opt.checksum = s3::ChecksumAlgorithm::None;
    opt.retries = 3;
    opt.part_size = 5ull << 20;
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  ScriptedIo io() {
    if (!control) control = std::make_unique<RunControl>(opt, protocol, report);
    return ScriptedIo{&script, control.get()};
  }
  walker::Entry file(const std::string& name, std::uint64_t size) {
    const auto path = dir / name;
    std::ofstream out(path, std::ios::binary);
    std::string data(size, 'x');
    out << data;
    out.close();
    walker::Entry e;
    e.path = path.string();
    e.rel = name;
    e.size = size;
    struct stat st {};
    ::stat(e.path.c_str(), &st);
    e.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return e;
  }
  std::vector<std::string> ops() const {
    std::vector<std::string> out;
    for (const auto& c : script.calls) out.emplace_back(s3::to_string(c.op));
    return out;
  }
  std::shared_ptr<steps::MultipartUpload> multipart(const walker::Entry& e, std::string key) {
    auto u = std::make_shared<steps::MultipartUpload>();
    u->entry = e;
    u->key = std::move(key);
    u->plan = plan_parts(e.size, opt.part_size);
    return u;
  }
};

// How many times the engine was told of parts coming (Io::parts_coming).
std::ptrdiff_t parts_coming_told(const std::vector<std::string>& events) {
  return std::count_if(events.begin(), events.end(),
                       [](const std::string& e) { return e.rfind("parts coming", 0) == 0; });
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& what, std::size_t from = 0) {
  for (std::size_t i = from; i < v.size(); ++i)
    if (v[i] == what) return i;
  return v.size();
}

const std::string kCreated =
    "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
    "<UploadId>UPLOAD-1</UploadId></InitiateMultipartUploadResult>";

using Ops = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_steps)

BOOST_FIXTURE_TEST_CASE(single_put_in_permit_order, Fixture) {
  script.replies.push_back(reply(200));
  steps::put_file(io(), file("a.txt", 10), "p/a.txt").get();
  BOOST_TEST(ops() == Ops{"PutObject"});
  BOOST_TEST(*script.calls[0].key == "p/a.txt");
  BOOST_TEST(script.calls[0].payload().size() == 10u);
  const auto& ev = script.events;
  // memory, then pacing, then the read, then the request permit around the send.
  BOOST_TEST(index_of(ev, "memory") < index_of(ev, "pace"));
  BOOST_TEST(index_of(ev, "pace") < index_of(ev, "read"));
  BOOST_TEST(index_of(ev, "read") < index_of(ev, "request"));
  BOOST_TEST(index_of(ev, "request") < index_of(ev, "send PutObject"));
  BOOST_TEST(index_of(ev, "send PutObject") < index_of(ev, "release"));
  BOOST_TEST(index_of(ev, "release") < index_of(ev, "memory released"));
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 0u);
}

BOOST_FIXTURE_TEST_CASE(retried_without_holding_a_permit_through_backoff, Fixture) {
  script.replies = {reply(500, "InternalError"), reply(503, "SlowDown"), reply(200)};
  steps::put_file(io(), file("a.txt", 3), "a.txt").get();
  BOOST_TEST(ops() == (Ops{"PutObject", "PutObject", "PutObject"}));
  BOOST_TEST(!script.held_at_settle);
  BOOST_TEST(script.most_requests_held == 1);
  // Every retry reads the file again.
  BOOST_TEST(std::count(script.events.begin(), script.events.end(), "read") == 3);
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 2u);
  BOOST_TEST(s.failed.empty());
}

BOOST_FIXTURE_TEST_CASE(retries_exhausted_fail_the_file_with_the_reason, Fixture) {
  for (int i = 0; i <= opt.retries; ++i) script.replies.push_back(reply(503, "SlowDown"));
  steps::put_file(io(), file("a.txt", 3), "k/a.txt").get();
  BOOST_TEST(script.calls.size() == static_cast<std::size_t>(opt.retries + 1));
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].key == "k/a.txt");
  BOOST_TEST(s.failed[0].reason.find("SlowDown") != std::string::npos);
  BOOST_TEST(!s.fatal);
}

BOOST_FIXTURE_TEST_CASE(a_run_wide_error_stops_the_run_and_lists_the_file, Fixture) {
  script.replies = {reply(403, "SignatureDoesNotMatch")};
  steps::put_file(io(), file("a.txt", 3), "a.txt").get();
  BOOST_TEST(script.calls.size() == 1u);
  BOOST_TEST(control->stopping.load());
  const auto s = report.finish();
  // The run's error is reported once; the file under way is listed, not lost.
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason == std::string(kStoppedByFatal));
  BOOST_TEST_REQUIRE(s.fatal.has_value());
  BOOST_TEST(s.fatal->find("SignatureDoesNotMatch") != std::string::npos);
  BOOST_TEST(s.exit_code() == 2);
}

BOOST_FIXTURE_TEST_CASE(nothing_is_sent_once_the_run_stopped_while_pacing, Fixture) {
  auto i = io();
  control->stop();
  steps::put_file(i, file("a.txt", 3), "a.txt").get();
  BOOST_TEST(script.calls.empty());
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason == "not uploaded: the run was stopped");
}

BOOST_FIXTURE_TEST_CASE(a_corrupted_body_is_read_and_sent_again, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  // Rejected on arrival (BadDigest, XAmzContentSHA256Mismatch), then stored but echoed with
  // another checksum: each time read, hashed and sent again, counted as retries.
  s3::OpResult echoed_wrong = reply(200);
  echoed_wrong.headers = {{"x-amz-checksum-crc32c", "AAAAAA=="}};
  script.replies = {reply(400, "BadDigest"), reply(400, "XAmzContentSHA256Mismatch"),
                    echoed_wrong, reply(200)};
  steps::put_file(io(), file("a.txt", 10), "a.txt").get();
  BOOST_TEST(ops() == (Ops{"PutObject", "PutObject", "PutObject", "PutObject"}));
  BOOST_TEST(std::count(script.events.begin(), script.events.end(), "read") == 4);
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 3u);
  BOOST_TEST(s.failed.empty());
}

BOOST_FIXTURE_TEST_CASE(corruption_every_time_fails_after_the_retries, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  s3::OpResult echoed_wrong = reply(200);
  echoed_wrong.headers = {{"x-amz-checksum-crc32c", "AAAAAA=="}};
  for (int i = 0; i <= opt.retries; ++i) script.replies.push_back(echoed_wrong);
  script.replies.push_back(reply(204));  // DeleteObject
  steps::put_file(io(), file("a.txt", 10), "k.txt").get();
  BOOST_TEST_REQUIRE(script.calls.size() == static_cast<std::size_t>(opt.retries + 2));
  // The corrupted object is not left behind for a later --sync to take for the file.
  BOOST_TEST(ops().back() == "DeleteObject");
  BOOST_TEST(*script.calls.back().key == "k.txt");
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("PutObject: the endpoint stored a different crc32c") == 0u);
  BOOST_TEST(s.failed[0].reason.ends_with("; the corrupted object was deleted"));
  BOOST_TEST(s.files_uploaded == 0u);
}

namespace {
std::string header_of(const s3::S3Call& call, const std::string& name) {
  for (const auto& [n, v] : call.headers)
    if (n == name) return v;
  return "";
}
bool has_header(const s3::S3Call& call, const std::string& name) {
  for (const auto& h : call.headers)
    if (h.first == name) return true;
  return false;
}
// The ETag a store that keeps MD5 ETags gives `size` bytes of 'x' (the fixture's files).
std::string md5_etag(std::uint64_t size) {
  const std::string data(size, 'x');
  return "\"" + util::hex_lower(util::md5(util::as_bytes(data))) + "\"";
}
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_store_that_echoes_nothing_gets_content_md5, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  // Ceph RGW 16: 200 without an echo, the MD5 as the ETag.
  script.replies = {with_etag(reply(200), md5_etag(10)), with_etag(reply(200), md5_etag(10))};
  auto i = io();
  steps::put_file(i, file("a.txt", 10), "a.txt").get();
  BOOST_TEST(has_header(script.calls[0], "x-amz-checksum-crc32c"));
  BOOST_TEST(!has_header(script.calls[0], "Content-MD5"));
  steps::put_file(i, file("b.txt", 10), "b.txt").get();
  BOOST_TEST(has_header(script.calls[1], "x-amz-checksum-crc32c"));
  BOOST_TEST(header_of(script.calls[1], "Content-MD5") == "M2MRoBYYQybdvdYe3U7rUg==");
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 2u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::EtagCompared)] == 1u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] == 1u);
  BOOST_TEST_REQUIRE(s.notes.size() == 1u);
  BOOST_TEST(s.notes[0].find("note: the endpoint does not verify CRC32C") == 0u);
}

// A streamed PUT (above kStreamFrom) before the run knows the store: the MD5 only an ETag would
// be compared with is computed after the reply, and only when the reply calls for it.
BOOST_AUTO_TEST_CASE(a_streamed_put_computes_the_md5_only_for_an_etag_to_compare) {
  const std::uint64_t size = kStreamFrom + 1000;
  // AWS: the checksum echoed. One pass (the CRC), no MD5.
  {
    Fixture f;
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    f.script.replies = {with_etag(reply(200), md5_etag(size))};
    f.script.on_send = [&f](const s3::S3Call& c) {
      f.script.replies.front().headers.emplace_back("x-amz-checksum-crc32c",
                                                    header_of(c, "x-amz-checksum-crc32c"));
    };
    steps::put_file(f.io(), f.file("aws.bin", size), "aws.bin").get();
    BOOST_TEST_REQUIRE(f.script.digests.size() == 1u);
    BOOST_TEST((f.script.digests[0].checksum == s3::ChecksumAlgorithm::Crc32c));
    BOOST_TEST(!f.script.digests[0].md5);
    const auto s = f.report.finish();
    BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::ChecksumVerified)] == 1u);
  }
  // Ceph RGW 16: no echo, the MD5 as the ETag: a second pass computes the MD5, compared.
  {
    Fixture f;
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    f.script.replies = {with_etag(reply(200), md5_etag(size))};
    steps::put_file(f.io(), f.file("rgw.bin", size), "rgw.bin").get();
    BOOST_TEST_REQUIRE(f.script.digests.size() == 2u);
    BOOST_TEST(!f.script.digests[0].md5);
    BOOST_TEST((f.script.digests[1].checksum == s3::ChecksumAlgorithm::None));
    BOOST_TEST(f.script.digests[1].md5);
    // Both passes read the descriptor the body was sent from: the file is opened once.
    BOOST_TEST_REQUIRE(f.script.calls.size() == 1u);
    BOOST_TEST(f.script.digested_fds == (std::vector<int>{f.script.calls[0].file.fd,
                                                          f.script.calls[0].file.fd}));
    const auto s = f.report.finish();
    BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::EtagCompared)] == 1u);
    // An ETag that is not the MD5 of the file: sent again, now with Content-MD5 (one pass).
    Fixture g;
    g.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    g.script.replies = {with_etag(reply(200), md5_etag(size + 1)),
                        with_etag(reply(200), md5_etag(size))};
    steps::put_file(g.io(), g.file("bad.bin", size), "bad.bin").get();
    BOOST_TEST(g.ops() == (Ops{"PutObject", "PutObject"}));
    BOOST_TEST(has_header(g.script.calls[1], "Content-MD5"));
    BOOST_TEST_REQUIRE(g.script.digests.size() == 3u);
    BOOST_TEST(g.script.digests[2].md5);
    BOOST_TEST(g.report.finish().files_uploaded == 1u);
  }
  // nginx: 201 and no ETag: one pass, nothing compared.
  {
    Fixture f;
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    f.script.replies = {reply(201)};
    steps::put_file(f.io(), f.file("nginx.bin", size), "nginx.bin").get();
    BOOST_TEST(f.script.digests.size() == 1u);
    const auto s = f.report.finish();
    BOOST_TEST(s.files_uploaded == 1u);
    BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::None)] == 1u);
  }
}

// The first parts, before the run knows what the store checks: the MD5 wanted only to compare
// with an ETag is computed after the reply (the part read again), and only when the reply calls
// for it, as for a streamed PUT.
BOOST_AUTO_TEST_CASE(a_part_computes_the_md5_only_for_an_etag_to_compare) {
  // A 6 MiB file of 'x' (parts of 5 MiB and 1 MiB) with CRC32C, to a store answering its first
  // two UploadParts with the ETags `first` and `second`: parts 0..parts-1 uploaded.
  const auto upload = [](Fixture& f, const char* name, const std::string& first,
                         const std::string& second, std::uint64_t parts) {
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    auto u = f.multipart(f.file(name, 6ull << 20), name);
    f.script.replies = {reply(200, {}, kCreated), with_etag(reply(200), first),
                        with_etag(reply(200), second)};
    auto i = f.io();
    BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
    for (std::uint64_t n = 0; n < parts; ++n) steps::upload_part(i, u, n, Held()).get();
    return u;
  };
  const std::string part1 = md5_etag(5ull << 20), part2 = md5_etag(1ull << 20);
  // AWS: the checksum echoed. One read a part, no MD5.
  {
    Fixture f;
    f.script.on_send = [&f](const s3::S3Call& c) {
      if (std::string_view(s3::to_string(c.op)) == "UploadPart")
        f.script.replies.front().headers.emplace_back("x-amz-checksum-crc32c",
                                                      header_of(c, "x-amz-checksum-crc32c"));
    };
    auto u = upload(f, "aws.bin", part1, part2, 2);
    BOOST_TEST_REQUIRE(f.script.digests.size() == 2u);
    for (const auto& needs : f.script.digests) {
      BOOST_TEST((needs.checksum == s3::ChecksumAlgorithm::Crc32c));
      BOOST_TEST(!needs.md5);
    }
    BOOST_TEST(!u->failed.load());
    BOOST_TEST(u->parts[1].etag == part2);
  }
  // Ceph RGW 16: no echo, the MD5 as the ETag: the first part read again for its MD5, which the
  // ETag matches; the store is then known to be silent and the next part sends Content-MD5.
  {
    Fixture f;
    auto u = upload(f, "rgw.bin", part1, part2, 2);
    BOOST_TEST(f.ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart"}));
    BOOST_TEST_REQUIRE(f.script.digests.size() == 3u);
    BOOST_TEST(!f.script.digests[0].md5);
    BOOST_TEST((f.script.digests[1].checksum == s3::ChecksumAlgorithm::None));
    BOOST_TEST(f.script.digests[1].md5);
    BOOST_TEST(f.script.digests[2].md5);
    BOOST_TEST(!has_header(f.script.calls[1], "Content-MD5"));
    BOOST_TEST(has_header(f.script.calls[2], "Content-MD5"));
    BOOST_TEST(!u->failed.load());
    BOOST_TEST(u->parts[0].etag == part1);
  }
  // An ETag that is not the MD5 of the part: sent again, with Content-MD5.
  {
    Fixture f;
    auto u = upload(f, "bad.bin", part2, part1, 1);
    BOOST_TEST(f.ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart"}));
    BOOST_TEST(has_header(f.script.calls[2], "Content-MD5"));
    BOOST_TEST(!u->failed.load());
    BOOST_TEST(u->parts[0].etag == part1);
  }
}

// A streamed PUT with nothing to compute before it is sent (--checksum none; or once the store is
// known to verify nothing) reads the file once, as it is sent: no first pass.
BOOST_AUTO_TEST_CASE(a_streamed_put_with_no_digest_to_compute_makes_no_first_pass) {
  const std::uint64_t size = kStreamFrom + 1000;
  {
    Fixture f;  // --checksum none
    f.script.replies = {reply(201)};
    steps::put_file(f.io(), f.file("none.bin", size), "none.bin").get();
    BOOST_TEST(f.script.digests.empty());
    BOOST_TEST(std::count(f.script.events.begin(), f.script.events.end(), "digest") == 0);
    BOOST_TEST_REQUIRE(f.script.calls.size() == 1u);
    BOOST_TEST(f.script.calls[0].file.length == size);
    BOOST_TEST(f.report.finish().files_uploaded == 1u);
  }
  {
    Fixture f;  // CRC32C asked for; nginx's 201 without an ETag ends the checksums
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    f.script.replies = {reply(201), reply(201)};
    steps::put_file(f.io(), f.file("first.bin", size), "first.bin").get();
    steps::put_file(f.io(), f.file("second.bin", size), "second.bin").get();
    BOOST_TEST_REQUIRE(f.script.digests.size() == 1u);  // the first file's CRC32C only
    BOOST_TEST((f.script.digests[0].checksum == s3::ChecksumAlgorithm::Crc32c));
    BOOST_TEST_REQUIRE(f.script.calls.size() == 2u);
    BOOST_TEST(has_header(f.script.calls[0], "x-amz-checksum-crc32c"));
    BOOST_TEST(!has_header(f.script.calls[1], "x-amz-checksum-crc32c"));
    BOOST_TEST(f.report.finish().files_uploaded == 2u);
  }
}

// Once the store echoed a checksum, a streamed PUT sends its checksum in an aws-chunked trailer:
// the file is read once, as it is sent, and the echo of the trailer's value verifies it.
BOOST_AUTO_TEST_CASE(a_streamed_put_to_a_store_that_echoes_sends_its_checksum_in_a_trailer) {
  const std::uint64_t size = kStreamFrom + 1000;
  Fixture f;
  f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  f.script.replies = {with_etag(reply(200), md5_etag(size)), with_etag(reply(200), md5_etag(size)),
                      with_etag(reply(200), md5_etag(size))};
  // As AWS: the checksum echoed, from the header or from the trailer.
  f.script.on_send = [&f](const s3::S3Call& c) {
    const std::string value = c.trailing ? c.trailing->value() : header_of(c, "x-amz-checksum-crc32c");
    f.script.replies.front().headers.emplace_back("x-amz-checksum-crc32c", value);
  };
  auto io = f.io();
  for (const char* name : {"first.bin", "second.bin", "third.bin"})
    steps::put_file(io, f.file(name, size), name).get();
  // The first file's first pass only: the store was not known to echo yet.
  BOOST_TEST_REQUIRE(f.script.digests.size() == 1u);
  BOOST_TEST_REQUIRE(f.script.calls.size() == 3u);
  BOOST_TEST(!f.script.calls[0].trailing);
  BOOST_TEST(has_header(f.script.calls[0], "x-amz-checksum-crc32c"));
  for (int i : {1, 2}) {
    BOOST_TEST(f.script.calls[i].trailing);
    BOOST_TEST(!has_header(f.script.calls[i], "x-amz-checksum-crc32c"));
  }
  const std::string data(size, 'x');
  const std::string crc = s3::checksum_of(s3::ChecksumAlgorithm::Crc32c, util::as_bytes(data));
  BOOST_TEST(f.script.wires.size() == 2u);
  BOOST_TEST(f.script.wires[0].ends_with("0\r\nx-amz-checksum-crc32c:" + crc + "\r\n\r\n"));
  const auto s = f.report.finish();
  BOOST_TEST(s.files_uploaded == 3u);
  BOOST_TEST(s.retries == 0u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::ChecksumVerified)] == 3u);
  BOOST_TEST(s.notes.empty());
}

// Parts go as large PutObjects do: with --trailing-checksum on (or once the store echoed), each
// part's checksum follows its bytes in a trailer (no first pass), and the store's echo of it
// verifies the part; a store that does not take the trailer on a part gets the part again at
// once with the checksum in a header (not a retry), and every body after it too.
BOOST_AUTO_TEST_CASE(parts_send_their_checksums_in_trailers_where_the_store_takes_them) {
  for (const bool echoes : {true, false}) {
    BOOST_TEST_CONTEXT("store echoes trailers: " << echoes) {
      Fixture f;
      f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
      f.opt.trailing_checksums = TrailingChecksums::FromStart;
      const auto e = f.file("big.bin", 11ull << 20);  // 5 + 5 + 1 MiB
      auto u = f.multipart(e, "big.bin");
      f.script.replies = {reply(200, {}, kCreated)};
      for (int i = 0; i < 4; ++i) f.script.replies.push_back(with_etag(reply(200), "\"e\""));
      f.script.on_send = [&f, echoes](const s3::S3Call& c) {
        if (std::string_view(s3::to_string(c.op)) != "UploadPart") return;
        if (c.trailing && !echoes) return;  // stored without reading the trailer: no echo
        const std::string value =
            c.trailing ? c.trailing->value() : header_of(c, "x-amz-checksum-crc32c");
        f.script.replies.front().headers.emplace_back("x-amz-checksum-crc32c", value);
      };
      auto i = f.io();
      BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
      for (std::uint64_t n = 0; n < 3; ++n) steps::upload_part(i, u, n, Held()).get();
      BOOST_TEST(!u->failed.load());
      std::vector<char> bytes(5u << 20);
      BOOST_TEST_REQUIRE(!read_range(e, 5u << 20, bytes).has_value());
      const std::string crc2 = s3::checksum_of(
          s3::ChecksumAlgorithm::Crc32c,
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()),
                                         bytes.size()));
      if (echoes) {
        BOOST_TEST(f.ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart",
                                   "UploadPart"}));
        for (int c : {1, 2, 3}) {
          BOOST_TEST(f.script.calls[c].trailing);
          BOOST_TEST(!has_header(f.script.calls[c], "x-amz-checksum-crc32c"));
        }
        BOOST_TEST(f.script.digests.empty());  // each part read once, as sent
        BOOST_TEST(u->parts[1].checksum_value == crc2);
      } else {
        // The first part twice (trailer, then header), the others with headers.
        BOOST_TEST(f.ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart",
                                   "UploadPart", "UploadPart"}));
        BOOST_TEST(f.script.calls[1].trailing);
        for (int c : {2, 3, 4}) {
          BOOST_TEST(!f.script.calls[c].trailing);
          BOOST_TEST(has_header(f.script.calls[c], "x-amz-checksum-crc32c"));
        }
        BOOST_TEST(header_of(f.script.calls[3], "x-amz-checksum-crc32c") == crc2);
        BOOST_TEST(u->parts[1].checksum_value == crc2);
      }
      const auto s = f.report.finish();
      BOOST_TEST(s.retries == 0u);
      BOOST_TEST(s.notes.size() == (echoes ? 0u : 1u));
    }
  }
}

// A store that does not take trailers (refuses the request, or stores it without echoing the
// trailer's checksum): the body is sent again at once with the checksum in a header (not a
// retry), and so is every streamed body after it; said once.
BOOST_AUTO_TEST_CASE(a_store_that_does_not_take_trailers_gets_the_checksum_in_a_header) {
  const std::uint64_t size = kStreamFrom + 1000;
  s3::OpResult refusal = reply(400, "InvalidArgument");
  refusal.message = "PutObject: HTTP 400 InvalidArgument: Unsupported content encoding";
  s3::OpResult mismatch = reply(403, "SignatureDoesNotMatch");
  s3::OpResult wrong_echo = with_etag(reply(200), md5_etag(size));
  wrong_echo.headers.emplace_back("x-amz-checksum-crc32c", "AAAAAA==");
  for (const s3::OpResult& first :
       {refusal, mismatch, with_etag(reply(200), md5_etag(size)), wrong_echo}) {
    BOOST_TEST_CONTEXT("first reply " << first.status << " " << first.code) {
      Fixture f;
      f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
      f.opt.trailing_checksums = TrailingChecksums::FromStart;  // --trailing-checksum on
      f.script.replies = {first, with_etag(reply(200), md5_etag(size)),
                          with_etag(reply(200), md5_etag(size))};
      auto io = f.io();
      steps::put_file(io, f.file("a.bin", size), "a.bin").get();
      steps::put_file(io, f.file("b.bin", size), "b.bin").get();
      BOOST_TEST(f.ops() == (Ops{"PutObject", "PutObject", "PutObject"}));
      BOOST_TEST(f.script.calls[0].trailing);
      BOOST_TEST(!f.script.calls[1].trailing);
      BOOST_TEST(has_header(f.script.calls[1], "x-amz-checksum-crc32c"));
      BOOST_TEST(!f.script.calls[2].trailing);
      const auto s = f.report.finish();
      BOOST_TEST(s.files_uploaded == 2u);
      BOOST_TEST(s.retries == 0u);
      BOOST_TEST(s.failed.empty());
      BOOST_TEST_REQUIRE(!s.notes.empty());
      BOOST_TEST(s.notes[0].find("note: the endpoint does not take checksums in aws-chunked "
                                 "trailers") == 0u);
    }
  }
  // --trailing-checksum off: never a trailer.
  {
    Fixture f;
    f.opt.checksum = s3::ChecksumAlgorithm::Crc32c;
    f.opt.trailing_checksums = TrailingChecksums::Never;
    f.script.replies = {with_etag(reply(200), md5_etag(size))};
    steps::put_file(f.io(), f.file("a.bin", size), "a.bin").get();
    BOOST_TEST(!f.script.calls[0].trailing);
    BOOST_TEST(f.report.finish().files_uploaded == 1u);
  }
  // Nor over plain HTTP (signed payloads), or with Content-MD5; for parts as for objects.
  TrailerNegotiator trailers(TrailingChecksums::FromStart, {});
  BodyChecks checks;
  checks.flexible = s3::ChecksumAlgorithm::Crc32c;
  BOOST_TEST(trailers.use(checks, IntegrityNegotiator::Store::Unknown, false));
  BOOST_TEST(!trailers.use(checks, IntegrityNegotiator::Store::Unknown, true));
  checks.kind = BodyKind::Part;
  BOOST_TEST(trailers.use(checks, IntegrityNegotiator::Store::Echoes, false));
  BOOST_TEST(!trailers.use(checks, IntegrityNegotiator::Store::Echoes, true));
  checks.kind = BodyKind::Object;
  checks.content_md5 = true;
  BOOST_TEST(!trailers.use(checks, IntegrityNegotiator::Store::Echoes, false));
  // Once a trailer's checksum was echoed, failures are the usual ones (a 400 is not a refusal).
  checks.content_md5 = false;
  s3::OpResult echoed = reply(200);
  echoed.headers.emplace_back("x-amz-checksum-crc32c", "sOO8/Q==");
  BOOST_TEST(!trailers.refused(s3::ChecksumAlgorithm::Crc32c, "sOO8/Q==", echoed));
  BOOST_TEST(!trailers.refused(s3::ChecksumAlgorithm::Crc32c, "sOO8/Q==", reply(400, "InvalidRequest")));
  BOOST_TEST(trailers.use(checks, IntegrityNegotiator::Store::Echoes, false));
}

BOOST_FIXTURE_TEST_CASE(an_etag_other_than_the_md5_sent_is_sent_again_with_content_md5, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  script.replies = {with_etag(reply(200), "\"00000000000000000000000000000000\""),
                    with_etag(reply(200), md5_etag(10))};
  steps::put_file(io(), file("a.txt", 10), "a.txt").get();
  BOOST_TEST(ops() == (Ops{"PutObject", "PutObject"}));
  BOOST_TEST(has_header(script.calls[1], "Content-MD5"));
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 1u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] == 1u);
}

BOOST_FIXTURE_TEST_CASE(refused_checksum_headers_are_dropped_without_a_retry, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  s3::OpResult refusal = reply(400, "InvalidArgument");
  refusal.message = "PutObject: HTTP 400 InvalidArgument: Unsupported header "
                    "'x-amz-sdk-checksum-algorithm' received for this API call.";
  script.replies = {refusal, with_etag(reply(200), md5_etag(10))};
  steps::put_file(io(), file("a.txt", 10), "a.txt").get();
  BOOST_TEST(ops() == (Ops{"PutObject", "PutObject"}));
  BOOST_TEST(has_header(script.calls[0], "x-amz-sdk-checksum-algorithm"));
  BOOST_TEST(!has_header(script.calls[1], "x-amz-sdk-checksum-algorithm"));
  BOOST_TEST(!has_header(script.calls[1], "x-amz-checksum-crc32c"));
  BOOST_TEST(has_header(script.calls[1], "Content-MD5"));
  // Sent again at once: no backoff, not a retry.
  BOOST_TEST(std::count(script.events.begin(), script.events.end(), "settle") == 0);
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 0u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] == 1u);
  BOOST_TEST_REQUIRE(s.notes.size() == 1u);
  BOOST_TEST(s.notes[0].find("note: the endpoint refuses the CRC32C checksum headers") == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_multipart_upload_on_a_refusing_store, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  s3::OpResult refusal = reply(501, "NotImplemented");
  refusal.message = "CreateMultipartUpload: HTTP 501 NotImplemented";
  script.replies = {refusal, reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e2\""),
                    reply(200, {}, "<CompleteMultipartUploadResult/>")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "CreateMultipartUpload", "UploadPart",
                          "UploadPart", "CompleteMultipartUpload"}));
  BOOST_TEST(header_of(script.calls[0], "x-amz-checksum-algorithm") == "CRC32C");
  BOOST_TEST(!has_header(script.calls[1], "x-amz-checksum-algorithm"));
  for (int n : {2, 3}) {
    BOOST_TEST(!has_header(script.calls[n], "x-amz-checksum-crc32c"));
    BOOST_TEST(has_header(script.calls[n], "Content-MD5"));
  }
  // Completed without part checksums, which were never sent.
  const std::string complete(script.calls[4].payload().begin(), script.calls[4].payload().end());
  BOOST_TEST(complete.find("Checksum") == std::string::npos);
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 0u);
  BOOST_TEST(s.integrity[static_cast<std::size_t>(Integrity::Md5Verified)] == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_corrupted_part_is_sent_again, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  s3::OpResult echoed_wrong = with_etag(reply(200), "\"bad\"");
  echoed_wrong.headers.emplace_back("x-amz-checksum-crc32c", "AAAAAA==");
  script.replies = {reply(200, {}, kCreated), reply(400, "BadDigest"),
                    with_etag(reply(200), "\"e1\""), echoed_wrong, with_etag(reply(200), "\"e2\""),
                    reply(200, {}, "<CompleteMultipartUploadResult/>")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart",
                          "UploadPart", "CompleteMultipartUpload"}));
  BOOST_TEST(u->parts[1].etag == "\"e2\"");
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.retries == 2u);
}

BOOST_FIXTURE_TEST_CASE(directory_marker, Fixture) {
  script.replies = {reply(500), reply(200)};
  walker::Entry e;
  e.kind = walker::EntryKind::EmptyDir;
  e.path = (dir / "empty").string();
  e.rel = "empty";
  steps::put_dir_marker(io(), e, "p/empty/").get();
  BOOST_TEST(ops() == (Ops{"PutObject", "PutObject"}));
  BOOST_TEST(*script.calls[1].key == "p/empty/");
  BOOST_TEST(script.calls[1].payload().empty());
  BOOST_TEST(report.finish().dir_markers == 1u);
}

BOOST_FIXTURE_TEST_CASE(multipart_create_parts_complete, Fixture) {
  const auto e = file("big.bin", 12ull << 20);  // 5 + 5 + 2 MiB
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(500), ""), with_etag(reply(200), "\"e2\""),
                    with_etag(reply(200), "\"e3\""), reply(200, {}, "<CompleteMultipartUploadResult/>")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  BOOST_TEST(u->upload_id == "UPLOAD-1");
  for (std::uint64_t n = 0; n < u->plan.part_count; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart", "UploadPart",
                          "UploadPart", "CompleteMultipartUpload"}));
  // The engine is told of the three parts before the Create goes, to ready their connections.
  const auto coming = index_of(script.events, "parts coming 3");
  BOOST_TEST(coming < index_of(script.events, "send CreateMultipartUpload"));
  BOOST_TEST(parts_coming_told(script.events) == 1);
  BOOST_TEST(script.calls[1].query.find("partNumber=1") != std::string::npos);
  BOOST_TEST(script.calls[3].query.find("partNumber=2") != std::string::npos);  // the retry
  // Each part streamed from the file (its range of it), holding a window's memory, not its size.
  BOOST_TEST(script.calls[4].payload().empty());
  BOOST_TEST(script.calls[4].file.fd >= 0);
  BOOST_TEST(script.calls[4].file.offset == (10u << 20));
  BOOST_TEST(script.calls[4].file.length == (2u << 20));
  BOOST_TEST(script.calls[1].file.offset == 0u);
  BOOST_TEST(script.calls[1].file.length == (5u << 20));
  BOOST_TEST(std::count(script.memory_asked.begin(), script.memory_asked.end(), kStreamMemory) == 3);
  BOOST_TEST(script.read_needs.empty());  // no part read into memory
  // Nothing to compute (no checksum, over HTTPS): no first pass, the part read once, as sent.
  BOOST_TEST(script.digests.empty());
  BOOST_TEST(!script.held_at_settle);
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.multipart_uploads == 1u);
  BOOST_TEST(s.retries == 1u);
}

// A part with a checksum: its first pass over its range of the file, then the request permit
// around its send, in the permit order of a streamed PUT.
BOOST_FIXTURE_TEST_CASE(a_part_is_digested_in_place_then_sent_from_the_file, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  const auto e = file("big.bin", 11ull << 20);  // parts of 5, 5 and 1 MiB
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e2\"")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  const std::size_t before = script.events.size();
  steps::upload_part(i, u, 1, Held()).get();
  const std::vector<std::string> ev(script.events.begin() + static_cast<std::ptrdiff_t>(before),
                                    script.events.end());
  BOOST_TEST(index_of(ev, "memory") < index_of(ev, "pace"));
  BOOST_TEST(index_of(ev, "pace") < index_of(ev, "digest"));
  BOOST_TEST(index_of(ev, "digest") < index_of(ev, "request"));
  BOOST_TEST(index_of(ev, "request") < index_of(ev, "send UploadPart"));
  BOOST_TEST(index_of(ev, "send UploadPart") < index_of(ev, "release"));
  BOOST_TEST_REQUIRE(script.digests.size() == 1u);
  BOOST_TEST((script.digests[0].checksum == s3::ChecksumAlgorithm::Crc32c));
  const s3::S3Call& part = script.calls.back();
  BOOST_TEST(part.file.offset == (5u << 20));
  BOOST_TEST(part.file.length == (5u << 20));
  // The checksum sent is the part's own (its bytes read back from the file).
  std::vector<char> bytes(5u << 20);
  BOOST_TEST_REQUIRE(!read_range(e, 5u << 20, bytes).has_value());
  BOOST_TEST(header_of(part, "x-amz-checksum-crc32c") ==
             s3::checksum_of(s3::ChecksumAlgorithm::Crc32c,
                             std::span<const unsigned char>(
                                 reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size())));
  BOOST_TEST(u->parts[1].etag == "\"e2\"");
  BOOST_TEST(!u->failed.load());
}

// A file changed between its listing and a part's turn: the part is not sent and the upload
// fails with the reason (the coordinator then aborts it).
BOOST_FIXTURE_TEST_CASE(a_part_of_a_file_changed_since_listed_fails_the_upload, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  const auto e = file("big.bin", 11ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  fs::resize_file(e.path, 6ull << 20);
  steps::upload_part(i, u, 0, Held()).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload"}));
  BOOST_TEST(u->failed.load());
  BOOST_TEST(u->failure().find("file changed") != std::string::npos);
}

// With a CRC the upload is FULL_OBJECT: each part still sends its own checksum, and the
// Complete names the whole file's CRC, combined from the parts whatever order they finished in.
BOOST_FIXTURE_TEST_CASE(full_object_checksum_from_parts_finished_out_of_order, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc64nvme;
  const auto e = file("big.bin", 12ull << 20);  // 5 + 5 + 2 MiB of 'x'
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e3\""),
                    with_etag(reply(200), "\"e1\""), with_etag(reply(200), "\"e2\""),
                    reply(200, {}, "<CompleteMultipartUploadResult/>")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n : {2, 0, 1}) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  const auto has = [](const s3::S3Call& c, const std::string& name, const std::string& value) {
    return std::find(c.headers.begin(), c.headers.end(), s3::Header{name, value}) != c.headers.end();
  };
  BOOST_TEST(has(script.calls[0], "x-amz-checksum-algorithm", "CRC64NVME"));
  BOOST_TEST(has(script.calls[0], "x-amz-checksum-type", "FULL_OBJECT"));
  const std::string part = s3::checksum_of(opt.checksum, s3up::util::as_bytes(std::string(5u << 20, 'x')));
  BOOST_TEST(has(script.calls[2], "x-amz-checksum-crc64nvme", part));
  const auto& complete = script.calls[4];
  BOOST_TEST(has(complete, "x-amz-checksum-crc64nvme",
                 s3::checksum_of(opt.checksum, s3up::util::as_bytes(std::string(12u << 20, 'x')))));
  BOOST_TEST(has(complete, "x-amz-checksum-type", "FULL_OBJECT"));
  const std::string xml(complete.payload().begin(), complete.payload().end());
  BOOST_TEST(xml.find("<ChecksumCRC64NVME>" + part + "</ChecksumCRC64NVME>") != std::string::npos);
  BOOST_TEST(report.finish().files_uploaded == 1u);
}

// sha256 stays COMPOSITE: no type asked for, no object checksum named at Complete.
BOOST_FIXTURE_TEST_CASE(sha256_multipart_stays_composite, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Sha256;
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e2\""),
                    reply(200, {}, "<CompleteMultipartUploadResult/>")};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  for (const auto& c : {script.calls[0], script.calls[3]})
    for (const auto& [name, value] : c.headers) {
      BOOST_TEST(name != "x-amz-checksum-type");
      BOOST_TEST(name != "x-amz-checksum-sha256");
    }
  BOOST_TEST(report.finish().files_uploaded == 1u);
}

// A Complete whose reply names another checksum than the file's made an object that is not
// verified: the file fails (nothing to abort, the upload is complete).
BOOST_FIXTURE_TEST_CASE(a_complete_naming_another_checksum_fails_the_file, Fixture) {
  opt.checksum = s3::ChecksumAlgorithm::Crc32c;
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e2\""),
                    reply(200, {}, "<CompleteMultipartUploadResult><ChecksumCRC32C>AAAAAA=="
                                   "</ChecksumCRC32C></CompleteMultipartUploadResult>"),
                    reply(204)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  // The object is not the file's: deleted, so that no later --sync takes it for the file.
  BOOST_TEST(ops().back() == "DeleteObject");
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 0u);
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("stored a crc32c checksum (AAAAAA==)") != std::string::npos);
  BOOST_TEST(s.failed[0].reason.ends_with("; the corrupted object was deleted"));
}

BOOST_FIXTURE_TEST_CASE(lost_complete_is_confirmed_with_head_object, Fixture) {
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  s3::OpResult head = reply(200);
  head.headers = {{"etag", "\"abc-2\""}, {"content-length", std::to_string(e.size)}};
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e2\""), reply(404, "NoSuchUpload"), head};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart",
                          "CompleteMultipartUpload", "HeadObject"}));
  const auto s = report.finish();
  BOOST_TEST(s.files_uploaded == 1u);
  BOOST_TEST(s.failed.empty());
}

BOOST_FIXTURE_TEST_CASE(lost_complete_not_found_aborts, Fixture) {
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  s3::OpResult head = reply(200);
  head.headers = {{"etag", "\"abc-3\""}, {"content-length", std::to_string(e.size)}};
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e2\""), reply(404, "NoSuchUpload"), head,
                    reply(204)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < 2; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops().back() == "AbortMultipartUpload");
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("multipart upload aborted") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_part_that_fails_for_good_aborts_the_upload, Fixture) {
  const auto e = file("big.bin", 12ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    reply(400, "InvalidArgument"), reply(204)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  for (std::uint64_t n = 0; n < u->plan.part_count; ++n) steps::upload_part(i, u, n, Held()).get();
  steps::finish_multipart(i, u).get();
  // Part 3 is not sent once part 2 failed; no Complete.
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "UploadPart", "UploadPart",
                          "AbortMultipartUpload"}));
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("part 2: ") == 0u);
  BOOST_TEST(s.failed[0].reason.find("InvalidArgument") != std::string::npos);
  BOOST_TEST(s.failed[0].reason.find("multipart upload aborted") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_throwing_part_never_lets_the_upload_complete, Fixture) {
  const auto e = file("big.bin", 12ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""),
                    with_etag(reply(200), "\"e3\""), reply(204)};
  script.on_send = [](const s3::S3Call& call) {
    if (call.op == s3::Operation::UploadPart && call.query.find("partNumber=2&") == 0)
      throw std::runtime_error("injected");
  };
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  steps::upload_part(i, u, 0, Held()).get();
  BOOST_CHECK_THROW(steps::upload_part(i, u, 1, Held()).get(), std::runtime_error);
  steps::upload_part(i, u, 2, Held()).get();
  BOOST_TEST(script.requests_held == 0);  // the permit was released while unwinding
  // Even with no failure recorded (the part's coordinator did not get to say why), the slot
  // of part 2 is empty: the upload is aborted, never completed.
  BOOST_TEST(!u->failed.load());
  steps::finish_multipart(i, u).get();
  const Ops sent = ops();
  BOOST_TEST(sent.back() == "AbortMultipartUpload");
  BOOST_TEST(std::count(sent.begin(), sent.end(), "CompleteMultipartUpload") == 0);
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("part 2 was not uploaded") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(interruption_aborts_open_uploads, Fixture) {
  const auto e = file("big.bin", 12ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated), with_etag(reply(200), "\"e1\""), reply(204)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  steps::upload_part(i, u, 0, Held()).get();
  control->interrupted = true;
  control->stop();
  steps::upload_part(i, u, 1, Held()).get();  // not started: the run stopped
  steps::upload_part(i, u, 2, Held()).get();
  steps::finish_multipart(i, u).get();
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload", "UploadPart", "AbortMultipartUpload"}));
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason == "interrupted; multipart upload aborted");
}

BOOST_FIXTURE_TEST_CASE(create_failing_for_good_fails_the_file, Fixture) {
  const auto e = file("big.bin", 12ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(400, "InvalidRequest")};
  BOOST_TEST(!steps::start_multipart(io(), u).get());
  const auto s = report.finish();
  BOOST_TEST_REQUIRE(s.failed.size() == 1u);
  BOOST_TEST(s.failed[0].reason.find("InvalidRequest") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(sync_head_decides_and_is_retried, Fixture) {
  opt.sync = SyncMode::SizeAndMtime;
  const auto e = file("a.txt", 10);
  s3::ListedObject listed{"a.txt", "\"x\"", 10, "2000-01-01T00:00:00.000Z"};  // older: ask
  s3::OpResult head = reply(200);
  head.headers = {{std::string(s3::kMtimeHeader), s3::format_mtime(e.mtime_ns)}};
  script.replies = {reply(503, "SlowDown"), head};
  BOOST_TEST(steps::is_unchanged(io(), e, "a.txt", listed).get());
  BOOST_TEST(ops() == (Ops{"HeadObject", "HeadObject"}));
  // A different size decides without a request.
  listed.size = 11;
  BOOST_TEST(!steps::is_unchanged(io(), e, "a.txt", listed).get());
  BOOST_TEST(script.calls.size() == 2u);
}

// ---- crash consistency: durable upload IDs, stale uploads -----------------------------------

const std::string kNoUploads =
    "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

BOOST_FIXTURE_TEST_CASE(an_upload_id_is_durable_in_the_journal_before_its_first_part, Fixture) {
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kNoUploads), reply(200, {}, kCreated),
                    with_etag(reply(200), "\"e1\"")};
  const fs::path journal_path = dir / "j.jsonl";
  bool recorded_before_part = false;
  script.on_send = [&](const s3::S3Call& call) {
    if (call.op == s3::Operation::UploadPart)
      recorded_before_part = read_text(journal_path).find("\"upload_id\":\"UPLOAD-1\"") !=
                             std::string::npos;
  };
  auto i = io();
  Journal journal(journal_path.string(), "s3://bucket/ @ 127.0.0.1:9");
  control->attach_journal(&journal);
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  steps::upload_part(i, u, 0, Held()).get();
  // Looked for stale uploads of the key first, then created, then waited for the record.
  BOOST_TEST(ops() == (Ops{"ListMultipartUploads", "CreateMultipartUpload", "UploadPart"}));
  BOOST_TEST(script.calls[0].query.find("prefix=big.bin") != std::string::npos);
  const auto created = index_of(script.events, "send CreateMultipartUpload");
  BOOST_TEST(index_of(script.events, "journal durable", created) <
             index_of(script.events, "send UploadPart", created));
  BOOST_TEST(recorded_before_part);
  control->attach_journal(nullptr);
}

BOOST_FIXTURE_TEST_CASE(stale_uploads_of_the_key_are_aborted_before_its_upload, Fixture) {
  opt.abort_stale_uploads = true;  // no journal
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  s3::OpResult listing = reply(
      200, {},
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
      "<Upload><Key>big.bin</Key><UploadId>OLD-1</UploadId>"
      "<Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>"
      "<Upload><Key>big.bin</Key><UploadId>NEWER</UploadId>"
      "<Initiated>2026-12-02T10:00:05Z</Initiated></Upload>"
      "<Upload><Key>big.bin.old</Key><UploadId>OTHER-KEY</UploadId>"
      "<Initiated>2026-01-02T03:04:05Z</Initiated></Upload>"
      "</ListMultipartUploadsResult>");
  // The server's clock: 10:00:00 now, so that NEWER began after this run did (allowing for the
  // tolerance), whatever the local clock says.
  listing.headers.emplace_back("date", "Wed, 02 Dec 2026 10:00:00 GMT");
  script.replies = {listing, reply(204), reply(200, {}, kCreated)};
  auto i = io();
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  BOOST_TEST(ops() == (Ops{"ListMultipartUploads", "AbortMultipartUpload", "CreateMultipartUpload"}));
  BOOST_TEST(script.calls[1].query.find("uploadId=OLD-1") != std::string::npos);
  const auto s = report.finish();
  BOOST_TEST(s.stale_uploads_aborted == 1u);
  BOOST_TEST_REQUIRE(s.notes.size() == 1u);
  BOOST_TEST(s.notes[0].find("aborted multipart upload OLD-1 of big.bin") != std::string::npos,
             s.notes[0]);
}

BOOST_FIXTURE_TEST_CASE(without_journal_or_option_no_stale_uploads_are_looked_for, Fixture) {
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(200, {}, kCreated)};
  BOOST_TEST_REQUIRE(steps::start_multipart(io(), u).get());
  BOOST_TEST(ops() == (Ops{"CreateMultipartUpload"}));
}

BOOST_FIXTURE_TEST_CASE(a_refused_listing_leaves_a_note_and_the_upload_goes_on, Fixture) {
  opt.abort_stale_uploads = true;
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  script.replies = {reply(403, "AccessDenied"), reply(200, {}, kCreated)};
  BOOST_TEST_REQUIRE(steps::start_multipart(io(), u).get());
  BOOST_TEST(ops() == (Ops{"ListMultipartUploads", "CreateMultipartUpload"}));
  BOOST_TEST(!control->stopping.load());
  const auto s = report.finish();
  BOOST_TEST(!s.fatal.has_value());
  BOOST_TEST_REQUIRE(s.notes.size() == 1u);
  BOOST_TEST(s.notes[0].find("could not list the multipart uploads of big.bin") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_journal_upload_that_cannot_continue_is_aborted, Fixture) {
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  const fs::path journal_path = dir / "j.jsonl";
  auto i = io();
  Journal journal(journal_path.string(), "s3://bucket/ @ 127.0.0.1:9");
  // Started for the file as it was before it changed (another size).
  journal.record_upload_started({"big.bin", "OLD-1", 7ull << 20, e.mtime_ns, 5ull << 20, {},
                                 "crc32c", ""});
  control->attach_journal(&journal);
  script.replies = {reply(204), reply(200, {}, kNoUploads), reply(200, {}, kCreated)};
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  BOOST_TEST(ops() == (Ops{"AbortMultipartUpload", "ListMultipartUploads", "CreateMultipartUpload"}));
  BOOST_TEST(script.calls[0].query.find("uploadId=OLD-1") != std::string::npos);
  BOOST_TEST(journal.open_upload("big.bin")->upload_id == "UPLOAD-1");
  BOOST_TEST(report.finish().stale_uploads_aborted == 1u);
  control->attach_journal(nullptr);
}

BOOST_FIXTURE_TEST_CASE(an_upload_completed_before_its_record_is_not_sent_again, Fixture) {
  // Killed after CompleteMultipartUpload succeeded and before the journal recorded it: the
  // journal still has the upload open, with both parts; S3 no longer knows the upload.
  const auto e = file("big.bin", 6ull << 20);
  auto u = multipart(e, "big.bin");
  const fs::path journal_path = dir / "j.jsonl";
  auto i = io();
  Journal journal(journal_path.string(), "s3://bucket/ @ 127.0.0.1:9");
  JournalUpload open{"big.bin", "DONE-1", e.size, e.mtime_ns, 5ull << 20, {}, "none", ""};
  journal.record_upload_started(open);
  const std::string etag1 = "\"0123456789abcdef0123456789abcdef\"";
  const std::string etag2 = "\"fedcba9876543210fedcba9876543210\"";
  journal.record_part("big.bin", "DONE-1", {1, etag1, "", 5ull << 20});
  journal.record_part("big.bin", "DONE-1", {2, etag2, "", 1ull << 20});
  control->attach_journal(&journal);
  const auto expected = journaled_multipart_etag(*journal.open_upload("big.bin"), 2);
  BOOST_TEST_REQUIRE(expected.has_value());
  s3::OpResult head = reply(200);
  head.headers.emplace_back("content-length", std::to_string(e.size));
  head.headers.emplace_back("etag", "\"" + *expected + "\"");
  script.replies = {reply(404, "NoSuchUpload"), head};
  BOOST_TEST(!steps::start_multipart(i, u).get());  // nothing more to do
  BOOST_TEST(ops() == (Ops{"ListParts", "HeadObject"}));
  BOOST_TEST(parts_coming_told(script.events) == 0);  // nothing to send: no connections
  BOOST_TEST(journal.finished("big.bin", e.size, e.mtime_ns));
  BOOST_TEST(!journal.open_upload("big.bin").has_value());
  const auto s = report.finish();
  BOOST_TEST(s.files_unchanged == 1u);
  BOOST_TEST(s.files_uploaded == 0u);
  control->attach_journal(nullptr);
}

BOOST_FIXTURE_TEST_CASE(a_continued_upload_readies_connections_for_its_parts_left, Fixture) {
  // The journal's upload holds part 1 of 3 on S3: only parts 2 and 3 are coming.
  const auto e = file("big.bin", 12ull << 20);
  auto u = multipart(e, "big.bin");
  auto i = io();
  Journal journal((dir / "j.jsonl").string(), "s3://bucket/ @ 127.0.0.1:9");
  journal.record_upload_started(
      {"big.bin", "OPEN-1", e.size, e.mtime_ns, 5ull << 20, {}, "none", ""});
  const std::string etag1 = "\"0123456789abcdef0123456789abcdef\"";
  journal.record_part("big.bin", "OPEN-1", {1, etag1, "", 5ull << 20});
  control->attach_journal(&journal);
  script.replies = {
      reply(200, {},
            "<ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber>"
            "<ETag>" + etag1 + "</ETag><Size>5242880</Size></Part></ListPartsResult>"),
      reply(200, {}, kNoUploads)};
  BOOST_TEST_REQUIRE(steps::start_multipart(i, u).get());
  BOOST_TEST(u->upload_id == "OPEN-1");
  BOOST_TEST(ops() == (Ops{"ListParts", "ListMultipartUploads"}));
  BOOST_TEST(index_of(script.events, "parts coming 2") <
             index_of(script.events, "send ListMultipartUploads"));
  control->attach_journal(nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
