// Multipart uploads left open for a key that no run will complete, so that they are aborted
// instead of left to be billed: those an earlier run left (killed between CreateMultipartUpload's
// reply and its journal record, or run without --journal), and those a CreateMultipartUpload of
// this run created although its reply never arrived (a timeout, a reset: the run created another
// and never learnt the first one's ID). Which of the uploads ListMultipartUploads shows are
// such. Free of any transport; the requests are upload_steps.hpp's.
#pragma once
#include <chrono>
#include <string_view>

#include "s3/xml.hpp"

namespace s3up::s3 {
struct OpResult;
}  // namespace s3up::s3

namespace s3up::engine {

using SysTime = std::chrono::system_clock::time_point;

// How much later than the run's start (on the server's clock) an upload may have been initiated
// and still count as an earlier run's: the server's Date and Initiated have a resolution of a
// second, and the clocks are compared through a reply that took some time.
inline constexpr std::chrono::seconds kStaleTolerance{2};

// A time of this machine's clock (`local`: the run's start, a request's sending) on the server's
// clock, from a reply's Date header (`date`, "" when none) received at `now` (local clock).
// Without a readable Date the local clock stands for the server's.
SysTime on_server_clock(SysTime local, std::string_view date, SysTime now);

// Whether `upload` (listed by prefix `key`) is one an earlier run left open for `key`: exactly
// that key (a prefix listing shows longer keys too), not `keep` (the upload this run continues),
// and initiated before `start_on_server` + kStaleTolerance. An upload whose Initiated cannot be
// read is not stale (it is left, not aborted).
bool is_stale_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                     SysTime start_on_server);

// Whether a request that failed with `r` may have been carried out all the same: its reply was
// lost (a timeout, a reset, a reply cut short) or was a server error (a 5xx other than 501 Not
// Implemented), rather than an answer refusing it (4xx) or a connection that never carried it
// (resolving, connecting, the TLS handshake). A timeout while connecting counts: told apart from
// one waiting for the reply by nothing but its message, it costs a listing at most.
bool may_have_been_carried_out(const s3::OpResult& r);

// Whether `upload` (listed by prefix `key`) is one a CreateMultipartUpload of this run may have
// created without its reply arriving: exactly that key, not `keep` (the upload the run got the
// ID of), and initiated no earlier than `since_on_server` (the first such attempt's sending, on
// the server's clock) - kStaleTolerance. An upload whose Initiated cannot be read is left.
bool is_lost_upload(const s3::ListedUpload& upload, std::string_view key, std::string_view keep,
                    SysTime since_on_server);

}  // namespace s3up::engine
