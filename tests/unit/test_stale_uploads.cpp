// Stale multipart uploads and those a lost CreateMultipartUpload reply made
// (engine/stale_uploads.hpp), the HTTP Date they are timed by, and the multipart ETag a journal's
// parts give (engine/multipart_parts.hpp).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "auth/time_format.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/stale_uploads.hpp"
#include "s3/s3_protocol.hpp"
#include "s3/sigv4.hpp"

using namespace s3up;
using namespace s3up::engine;
using namespace std::chrono_literals;

namespace {

SysTime at(std::string_view iso) { return *auth::parse_iso8601(iso); }

s3::ListedUpload listed(std::string key, std::string id, std::string initiated) {
  return {std::move(key), std::move(id), std::move(initiated)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stale_uploads)

BOOST_AUTO_TEST_CASE(http_dates) {
  BOOST_TEST((s3::parse_http_date("Wed, 02 Dec 2026 03:04:05 GMT") == at("2026-12-02T03:04:05Z")));
  BOOST_TEST((s3::parse_http_date("Sun, 31 Dec 2028 23:59:59 GMT") == at("2028-12-31T23:59:59Z")));
  BOOST_TEST((s3::parse_http_date("Mon, 01 Jan 2024 00:00:00 GMT") == at("2024-01-01T00:00:00Z")));
  for (const char* bad : {"", "Wed, 02 Dec 2026 03:04:05", "Wed, 02 Dez 2026 03:04:05 GMT",
                          "Wed, 32 Dec 2026 03:04:05 GMT", "Wed, 02 Dec 2026 25:04:05 GMT",
                          "2026-12-02T03:04:05Z", "Wed, 02 ecD 2026 03:04:05 GMT",
                          "Wednesday, 02-Dec-26 03:04:05 GMT"})
    BOOST_TEST(!s3::parse_http_date(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(the_run_start_on_the_server_clock) {
  const SysTime started = at("2026-12-02T08:00:00Z");
  const SysTime now = started + 30s;
  // The server is an hour ahead: the run started at 09:00:00 by its clock.
  BOOST_TEST((on_server_clock(started, "Wed, 02 Dec 2026 09:00:30 GMT", now) ==
              at("2026-12-02T09:00:00Z")));
  // No (readable) Date: the local clock stands for the server's.
  BOOST_TEST((on_server_clock(started, "", now) == started));
  BOOST_TEST((on_server_clock(started, "yesterday", now) == started));
}

BOOST_AUTO_TEST_CASE(which_listed_uploads_are_stale) {
  const SysTime start = at("2026-12-02T09:00:00Z");
  // Initiated before the run (in either format the stores use), and within the tolerance.
  BOOST_TEST(is_stale_upload(listed("a/big", "U1", "2026-12-02T08:59:59.000Z"), "a/big", "", start));
  BOOST_TEST(is_stale_upload(listed("a/big", "U1", "2026-11-01T00:00:00Z"), "a/big", "", start));
  BOOST_TEST(is_stale_upload(listed("a/big", "U1", "2026-12-02T09:00:01Z"), "a/big", "", start));
  // Later: another run's upload, not ours to abort.
  BOOST_TEST(!is_stale_upload(listed("a/big", "U1", "2026-12-02T09:00:02Z"), "a/big", "", start));
  BOOST_TEST(!is_stale_upload(listed("a/big", "U1", "2026-12-02T10:00:00Z"), "a/big", "", start));
  // Another key under the prefix, the upload this run continues, unreadable or empty fields.
  BOOST_TEST(!is_stale_upload(listed("a/big2", "U1", "2026-11-01T00:00:00Z"), "a/big", "", start));
  BOOST_TEST(!is_stale_upload(listed("a/big", "U1", "2026-11-01T00:00:00Z"), "a/big", "U1", start));
  BOOST_TEST(!is_stale_upload(listed("a/big", "U1", ""), "a/big", "", start));
  BOOST_TEST(!is_stale_upload(listed("a/big", "U1", "last week"), "a/big", "", start));
  BOOST_TEST(!is_stale_upload(listed("a/big", "", "2026-11-01T00:00:00Z"), "a/big", "", start));
}

BOOST_AUTO_TEST_CASE(which_listed_uploads_a_lost_create_made) {
  // The first CreateMultipartUpload whose reply was lost went at 09:00:00 (server clock).
  const SysTime since = at("2026-12-02T09:00:00Z");
  BOOST_TEST(is_lost_upload(listed("a/big", "U1", "2026-12-02T09:00:00.000Z"), "a/big", "U2", since));
  BOOST_TEST(is_lost_upload(listed("a/big", "U1", "2026-12-02T09:00:07Z"), "a/big", "U2", since));
  // Within the tolerance of the clocks' comparison, and before it: an earlier run's (stale).
  BOOST_TEST(is_lost_upload(listed("a/big", "U1", "2026-12-02T08:59:58Z"), "a/big", "U2", since));
  BOOST_TEST(!is_lost_upload(listed("a/big", "U1", "2026-12-02T08:59:57Z"), "a/big", "U2", since));
  // The run's own upload, another key, unreadable or empty fields.
  BOOST_TEST(!is_lost_upload(listed("a/big", "U2", "2026-12-02T09:00:01Z"), "a/big", "U2", since));
  BOOST_TEST(!is_lost_upload(listed("a/big2", "U1", "2026-12-02T09:00:01Z"), "a/big", "U2", since));
  BOOST_TEST(!is_lost_upload(listed("a/big", "U1", "soon"), "a/big", "U2", since));
  BOOST_TEST(!is_lost_upload(listed("a/big", "", "2026-12-02T09:00:01Z"), "a/big", "U2", since));
  // No upload of the run's own (every attempt failed): any initiated since counts.
  BOOST_TEST(is_lost_upload(listed("a/big", "U1", "2026-12-02T09:00:01Z"), "a/big", "", since));
}

BOOST_AUTO_TEST_CASE(which_failures_may_have_been_carried_out) {
  const auto failed = [](http::Failure transport, unsigned status) {
    s3::OpResult r;
    r.transport = transport;
    r.status = status;
    return may_have_been_carried_out(r);
  };
  // The reply lost or broken, or a server error: the store may have done it.
  BOOST_TEST(failed(http::Failure::Timeout, 0));
  BOOST_TEST(failed(http::Failure::Reset, 0));
  BOOST_TEST(failed(http::Failure::Protocol, 0));
  BOOST_TEST(failed(http::Failure::None, 500));
  BOOST_TEST(failed(http::Failure::None, 503));
  // Never sent, or refused by an answer.
  BOOST_TEST(!failed(http::Failure::Resolve, 0));
  BOOST_TEST(!failed(http::Failure::Connect, 0));
  BOOST_TEST(!failed(http::Failure::Tls, 0));
  BOOST_TEST(!failed(http::Failure::Certificate, 0));
  BOOST_TEST(!failed(http::Failure::None, 403));
  BOOST_TEST(!failed(http::Failure::None, 400));
  BOOST_TEST(!failed(http::Failure::None, 501));  // Not Implemented: nothing was done
  s3::OpResult ok;
  ok.ok = true;
  ok.status = 200;
  BOOST_TEST(!may_have_been_carried_out(ok));
}

BOOST_AUTO_TEST_CASE(the_multipart_etag_of_journaled_parts) {
  // S3's multipart ETag: MD5 of the parts' binary MD5s, "-N". These part ETags are the MD5s of
  // "a" and "b"; the expected value is md5(md5("a") || md5("b")), computed independently.
  JournalUpload open{"k", "U", 2, 0, 1, {}, "", ""};
  open.parts[1] = {1, "\"0cc175b9c0f1b6a831c399e269772661\"", "", 1};
  open.parts[2] = {2, "\"92eb5ffee6ae2fec3ad71c777531578f\"", "", 1};
  const auto etag = journaled_multipart_etag(open, 2);
  BOOST_TEST_REQUIRE(etag.has_value());
  BOOST_TEST(*etag == "96e024ba2074fe77e8e965ba43a704be-2");
  s3::OpResult head;
  head.ok = true;
  head.headers = {{"content-length", "2"}, {"etag", "\"96E024BA2074FE77E8E965BA43A704BE-2\""}};
  BOOST_TEST(is_journaled_completion(head, open, 2, 2));
  BOOST_TEST(!is_journaled_completion(head, open, 3, 2));  // another size
  head.headers[1].second = "\"96e024ba2074fe77e8e965ba43a704be-3\"";
  BOOST_TEST(!is_journaled_completion(head, open, 2, 2));
  // A missing part, a part that is not an MD5 (SSE-KMS): nothing to compare with.
  BOOST_TEST(!journaled_multipart_etag(open, 3).has_value());
  open.parts[2].etag = "\"not-an-md5\"";
  BOOST_TEST(!journaled_multipart_etag(open, 2).has_value());
  open.parts.erase(2);
  BOOST_TEST(!journaled_multipart_etag(open, 2).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
