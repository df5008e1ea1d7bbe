// The S3 operations: what happens once a request's header is in (routing, faults, signature,
// body plan) and once its body is in (checks, storage, reply). No I/O on sockets here.
#pragma once
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

#include "server/auth.hpp"
#include "server/body.hpp"
#include "server/errors.hpp"
#include "server/faults.hpp"
#include "server/options.hpp"
#include "server/router.hpp"
#include "server/stats.hpp"
#include "server/store.hpp"

namespace s3up::testserver {

using RequestHeader = boost::beast::http::request_header<>;

// What to send back. The body is either `body` or `length` bytes of file `fd` from `offset`.
struct Reply {
  unsigned status = 200;
  Headers headers;
  std::string body;
  int fd = -1;  // owned by the Reply
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // Content-Length
  bool head = false;         // announce `length`, send no body (HEAD)
  bool close = false;

  Reply() = default;
  Reply(Reply&& o) noexcept;
  Reply& operator=(Reply&& o) noexcept;
  ~Reply();
};

// One request in flight.
struct Exchange {
  Route route;
  std::string method;
  std::string target;
  std::string request_id;
  FaultDecision fault;
  std::optional<S3Error> error;  // answered once the body is drained
  bool process_body = false;     // false: the body is read and thrown away
  std::optional<VerifiedRequest> auth;
  Spool spool;
};

class RequestLog {
 public:
  explicit RequestLog(const std::string& path);  // empty: off
  ~RequestLog();
  bool on() const { return file_ != nullptr; }
  void write(const Exchange& x, const char* status, std::uint64_t bytes);

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

class Service {
 public:
  Service(const Options& options, Store& store, Stats& stats, FaultInjector& faults,
          Authenticator& auth, RequestLog& log);

  // After the header: routes, counts, draws the fault, verifies the signature and plans the
  // body into `body`. Never throws (errors go to x.error).
  void begin(const RequestHeader& req, Exchange& x, BodyReader& body);

  // After the body (or straight away when x.error is set and the body is not to be read).
  Reply finish(const RequestHeader& req, Exchange& x, BodyReader& body);

  Reply error_reply(const S3Error& e, const Exchange& x) const;

  Stats& stats() { return stats_; }
  RequestLog& log() { return log_; }
  const Options& options() const { return options_; }

 private:
  void plan_body(const RequestHeader& req, Exchange& x, BodyReader& body);
  Reply run(const RequestHeader& req, Exchange& x, BodyReader& body);
  Reply get_object(const RequestHeader& req, Exchange& x, bool head);
  Reply list_objects(Exchange& x);

  const Options& options_;
  Store& store_;
  Stats& stats_;
  FaultInjector& faults_;
  Authenticator& auth_;
  RequestLog& log_;
};

}  // namespace s3up::testserver
