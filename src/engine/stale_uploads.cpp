#include "engine/stale_uploads.hpp"

#include "auth/time_format.hpp"
#include "s3/s3_protocol.hpp"
#include "s3/sigv4.hpp"

namespace s3up::engine {

SysTime on_server_clock(SysTime local, std::string_view date, SysTime now) {
  const auto server_now = s3::parse_http_date(date);
  if (!server_now) return local;
  return local + (*server_now - now);
}

bool is_stale_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                     SysTime start_on_server) {
  if (upload.key != key || upload.upload_id.empty() || upload.upload_id == keep) return false;
  const auto initiated = auth::parse_iso8601(upload.initiated);
  return initiated && *initiated < start_on_server + kStaleTolerance;
}

bool may_have_been_carried_out(const s3::OpResult& r) {
  if (r.ok) return false;
  switch (r.transport) {
    case http::Failure::Resolve:
    case http::Failure::Connect:
    case http::Failure::Tls:  // (the handshake: the request was not sent)
    case http::Failure::Certificate:
      return false;
    case http::Failure::None:  // an answer: a 5xx may come after the work was done, except
      return r.status >= 500 && r.status != 501;  // 501: the store has no such operation
    default:  // a timeout (of the connection's opening too), a reset, a broken reply
      return true;
  }
}

bool is_lost_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                    SysTime since_on_server) {
  if (upload.key != key || upload.upload_id.empty() || upload.upload_id == keep) return false;
  const auto initiated = auth::parse_iso8601(upload.initiated);
  return initiated && *initiated >= since_on_server - kStaleTolerance;
}

}  // namespace s3up::engine
