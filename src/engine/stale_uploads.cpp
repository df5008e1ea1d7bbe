#include "engine/stale_uploads.hpp"

#include "auth/time_format.hpp"
#include "s3/sigv4.hpp"

namespace s3up::engine {

SysTime run_start_on_server(SysTime started, std::string_view date, SysTime now) {
  const auto server_now = s3::parse_http_date(date);
  if (!server_now) return started;
  return started + (*server_now - now);
}

bool is_stale_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                     SysTime start_on_server) {
  if (upload.key != key || upload.upload_id.empty() || upload.upload_id == keep) return false;
  const auto initiated = auth::parse_iso8601(upload.initiated);
  return initiated && *initiated < start_on_server + kStaleTolerance;
}

}  // namespace s3up::engine
