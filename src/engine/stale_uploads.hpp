// Multipart uploads an earlier run left open for a key (killed between CreateMultipartUpload's
// reply and its journal record, or run without --journal): which of those ListMultipartUploads
// shows are stale, so that the run about to upload the key aborts them instead of leaving them
// to be billed. Free of any transport; the requests are upload_steps.hpp's.
#pragma once
#include <chrono>
#include <string_view>

#include "s3/xml.hpp"

namespace s3up::engine {

using SysTime = std::chrono::system_clock::time_point;

// How much later than the run's start (on the server's clock) an upload may have been initiated
// and still count as an earlier run's: the server's Date and Initiated have a resolution of a
// second, and the clocks are compared through a reply that took some time.
inline constexpr std::chrono::seconds kStaleTolerance{2};

// The run's start (`started`, local clock) on the server's clock, from a reply's Date header
// (`date`, "" when none) received at `now` (local clock). Without a readable Date the local
// clock stands for the server's.
SysTime run_start_on_server(SysTime started, std::string_view date, SysTime now);

// Whether `upload` (listed by prefix `key`) is one an earlier run left open for `key`: exactly
// that key (a prefix listing shows longer keys too), not `keep` (the upload this run continues),
// and initiated before `start_on_server` + kStaleTolerance. An upload whose Initiated cannot be
// read is not stale (it is left, not aborted).
bool is_stale_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                     SysTime start_on_server);

}  // namespace s3up::engine
