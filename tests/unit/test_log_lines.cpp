// cli::Log and the run's events (cli/events.hpp): the text lines as s3up has always printed them,
// and --log-format json's lines: one object each, that parses, in field order, valid UTF-8.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>

#include "cli/events.hpp"
#include "cli/log.hpp"
#include "s3/s3_protocol.hpp"

using namespace s3up::cli;
namespace json = boost::json;

namespace {

// A Log writing into a string (open_memstream), with a fixed clock.
struct Captured {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* file = open_memstream(&data, &size);
  Log log;
  Captured(LogFormat format, int verbosity = 0) : log(format, verbosity, file) {
    log.set_clock([] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'764'666'847'123)); });
  }
  ~Captured() {
    std::fclose(file);
    std::free(data);
  }
  std::string text() {
    std::fflush(file);
    return std::string(data, size);
  }
  // Every line parsed as a JSON object.
  std::vector<json::object> objects() {
    std::vector<json::object> out;
    const std::string all = text();
    std::size_t start = 0;
    while (start < all.size()) {
      const auto end = all.find('\n', start);
      out.push_back(json::parse(all.substr(start, end - start)).as_object());
      start = end + 1;
    }
    return out;
  }
};

s3up::engine::FailedFile failed_file(std::string path, std::string key, std::string reason) {
  s3up::engine::FailedFile f;
  f.path = std::move(path);
  f.key = std::move(key);
  f.reason = std::move(reason);
  return f;
}

s3up::engine::RunSummary summary_with_failures() {
  const std::string stopped(s3up::engine::kStoppedByFatal);
  s3up::engine::RunSummary s;
  s.failed.push_back(failed_file("/data/a.txt", "p/a.txt", "HTTP 403 AccessDenied"));
  s.failed.push_back(failed_file("/data/bad\xff", "", "file name is not valid UTF-8"));
  s.failed.push_back(failed_file("/data/b.bin", "p/b.bin", stopped));
  s.failed.push_back(failed_file("/data/c.bin", "p/c.bin", stopped + "; multipart upload aborted"));
  s.fatal = "PutObject: HTTP 403 SignatureDoesNotMatch";
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_lines)

BOOST_AUTO_TEST_CASE(formats) {
  BOOST_TEST((log_format_names() == std::vector<std::string_view>{"text", "json"}));
  BOOST_TEST((parse_log_format("json") == LogFormat::Json));
  BOOST_TEST((parse_log_format("text") == LogFormat::Text));
  BOOST_TEST(!parse_log_format("JSON"));
  BOOST_TEST(!parse_log_format(""));
}

BOOST_AUTO_TEST_CASE(time_is_utc_with_milliseconds) {
  using namespace std::chrono;
  BOOST_TEST(log_time(system_clock::time_point(milliseconds(1'764'666'847'123))) ==
             "2025-12-02T09:14:07.123Z");
  BOOST_TEST(log_time(system_clock::time_point(milliseconds(0))) == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(json_lines_in_field_order) {
  const std::string line = Log::json_line(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'764'666'847'123)),
      LogLevel::Warning, "note",
      {{"message", std::string_view("say \"hi\"\n\tthen \xff go")},
       {"count", std::uint64_t{3}},
       {"delta", std::int64_t{-2}},
       {"rate", 1.5},
       {"ok", true}});
  BOOST_TEST(line.find('\n') == std::string::npos);  // one line, whatever the message holds
  BOOST_TEST(line.find(R"("count":3,"delta":-2,"rate":1.5,"ok":true})") != std::string::npos);
  BOOST_TEST(line.rfind(R"({"time":"2025-12-02T09:14:07.123Z","level":"warning","event":"note",)", 0) == 0);
  const json::object o = json::parse(line).as_object();
  BOOST_TEST(o.at("message").as_string() == "say \"hi\"\\n\\tthen \\xff go");  // util::printable
  BOOST_TEST(o.at("count").to_number<std::uint64_t>() == 3u);
  BOOST_TEST(o.at("delta").to_number<std::int64_t>() == -2);
  BOOST_TEST(o.at("rate").to_number<double>() == 1.5);
  BOOST_TEST(o.at("ok").as_bool());
}

BOOST_AUTO_TEST_CASE(text_lines_as_before) {
  Captured c(LogFormat::Text);
  log_error(c.log, "the bucket does not exist", "check the s3:// URL");
  log_note(c.log, "note: the endpoint does not verify CRC32C on PutObject");
  log_warning(c.log, "warning", "warning: --no-verify-ssl: TLS certificates are not verified");
  log_credentials(c.log, "credentials: environment (AWS_ACCESS_KEY_ID), no expiry");
  log_environment(c.log, {"S3UP_CONCURRENCY", "S3UP_DRY_RUN"});
  log_environment(c.log, {});  // nothing to say
  log_failures(c.log, summary_with_failures(), "bkt");
  BOOST_TEST(c.text() ==
             "s3up: error: the bucket does not exist (check the s3:// URL)\n"
             "s3up: note: the endpoint does not verify CRC32C on PutObject\n"
             "s3up: warning: --no-verify-ssl: TLS certificates are not verified\n"
             "s3up: credentials: environment (AWS_ACCESS_KEY_ID), no expiry\n"
             "s3up: settings from the environment: S3UP_CONCURRENCY, S3UP_DRY_RUN\n"
             "failed: /data/a.txt -> s3://bkt/p/a.txt: HTTP 403 AccessDenied\n"
             "failed: /data/bad\xff: file name is not valid UTF-8\n"
             "failed: 2 files under way when the run stopped (listed in --json)\n");
}

BOOST_AUTO_TEST_CASE(json_events) {
  Captured c(LogFormat::Json);
  log_error(c.log, "the bucket does not exist", "check the s3:// URL");
  log_note(c.log, "note: the endpoint does not verify CRC32C on PutObject");
  log_failures(c.log, summary_with_failures(), "bkt");
  log_planned(c.log, {"/data/a.txt", "p/a.txt", 42, false}, "bkt");
  log_planned(c.log, {"/data/empty", "p/empty/", 0, true}, "bkt");
  s3up::engine::ProgressSnapshot snap{10, 20, 1000, 2000, 1, 2, 3, true, 4.5};
  log_progress(c.log, snap, 250.0, 2.5);
  s3up::engine::RunSummary dry;
  dry.dry_run = true;
  dry.files_planned = 2;
  dry.bytes_planned = 42;
  log_summary(c.log, dry, "Dry run: would upload 2 files (42 B); 0 failed; nothing was sent");
  const auto lines = c.objects();
  BOOST_TEST_REQUIRE(lines.size() == 10u);
  for (const auto& o : lines) {
    BOOST_TEST(o.at("time").as_string() == "2025-12-02T09:14:07.123Z");
    BOOST_TEST(o.contains("level"));
  }
  BOOST_TEST(lines[0].at("event").as_string() == "error");
  BOOST_TEST(lines[0].at("level").as_string() == "error");
  BOOST_TEST(lines[0].at("hint").as_string() == "check the s3:// URL");
  BOOST_TEST(lines[1].at("event").as_string() == "note");
  BOOST_TEST(lines[1].at("message").as_string() ==
             "the endpoint does not verify CRC32C on PutObject");
  // Every failed file is its own event in JSON, those the run's error stopped included.
  BOOST_TEST(lines[2].at("event").as_string() == "failed");
  BOOST_TEST(lines[2].at("url").as_string() == "s3://bkt/p/a.txt");
  BOOST_TEST(lines[2].at("reason").as_string() == "HTTP 403 AccessDenied");
  BOOST_TEST(lines[3].at("path").as_string() == "/data/bad\\xff");
  BOOST_TEST(!lines[3].contains("key"));
  BOOST_TEST(lines[4].at("reason").as_string() == "not uploaded: the run stopped");
  BOOST_TEST(lines[5].at("key").as_string() == "p/c.bin");
  BOOST_TEST(lines[6].at("event").as_string() == "dry-run");
  BOOST_TEST(lines[6].at("size").to_number<std::uint64_t>() == 42u);
  BOOST_TEST(!lines[6].contains("marker"));
  BOOST_TEST(lines[7].at("marker").as_bool());
  BOOST_TEST(lines[8].at("event").as_string() == "progress");
  BOOST_TEST(lines[8].at("files_done").to_number<std::uint64_t>() == 10u);
  BOOST_TEST(lines[8].at("bytes_total").to_number<std::uint64_t>() == 2000u);
  BOOST_TEST(lines[8].at("bytes_per_second").to_number<double>() == 250.0);
  BOOST_TEST(lines[8].at("totals_final").as_bool());
  BOOST_TEST(lines[9].at("event").as_string() == "summary");
  BOOST_TEST(lines[9].at("dry_run").as_bool());
  BOOST_TEST(lines[9].at("files").to_number<std::uint64_t>() == 2u);
  BOOST_TEST(lines[9].at("bytes").to_number<std::uint64_t>() == 42u);
  BOOST_TEST(lines[9].at("exit_code").to_number<std::int64_t>() == 0);
}

BOOST_AUTO_TEST_CASE(no_summary_event_in_text) {
  Captured c(LogFormat::Text);
  log_summary(c.log, s3up::engine::RunSummary{}, "Uploaded 0 files");  // stdout has the line
  BOOST_TEST(c.text().empty());
}

BOOST_AUTO_TEST_CASE(requests_and_retries) {
  s3up::s3::OpResult r;
  r.operation = "PutObject";
  r.method = "PUT";
  r.key = "dir/a b.txt";
  r.status = 503;
  r.message = "PutObject: HTTP 503 SlowDown: Please reduce your request rate.";
  r.latency = std::chrono::microseconds(12'345);
  {
    Captured c(LogFormat::Text, 3);
    log_retry(c.log, r, 0, true, 5);
    log_retry(c.log, r, 2, false, 5);
    log_request(c.log, r);
    s3up::s3::OpResult ok;
    ok.ok = true;
    ok.operation = "ListObjectsV2";
    ok.method = "GET";
    ok.status = 200;
    ok.latency = std::chrono::microseconds(800);
    log_request(c.log, ok);
    BOOST_TEST(c.text() ==
               "s3up: retry 1/5: PUT dir/a b.txt: " + r.message + "\n"
               "s3up: sending again (not a retry): PUT dir/a b.txt: " + r.message + "\n"
               "s3up: request: PUT dir/a b.txt -> 503: " + r.message + " (12.3 ms)\n"
               "s3up: request: GET (bucket) -> 200 (0.8 ms)\n");
  }
  Captured c(LogFormat::Json, 3);
  log_retry(c.log, r, 1, true, 5);
  log_request(c.log, r);
  const auto lines = c.objects();
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].at("event").as_string() == "retry");
  BOOST_TEST(lines[0].at("level").as_string() == "debug");
  BOOST_TEST(lines[0].at("attempt").to_number<std::int64_t>() == 2);
  BOOST_TEST(lines[0].at("max_retries").to_number<std::int64_t>() == 5);
  BOOST_TEST(lines[0].at("status").to_number<std::uint64_t>() == 503u);
  BOOST_TEST(lines[0].at("key").as_string() == "dir/a b.txt");
  BOOST_TEST(lines[1].at("event").as_string() == "request");
  BOOST_TEST(lines[1].at("method").as_string() == "PUT");
  BOOST_TEST(lines[1].at("operation").as_string() == "PutObject");
  BOOST_TEST(lines[1].at("latency_ms").to_number<double>() == 12.345);
  BOOST_TEST(!lines[1].at("ok").as_bool());
}

BOOST_AUTO_TEST_SUITE_END()
