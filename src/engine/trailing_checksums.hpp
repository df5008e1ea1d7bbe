// Whether a streamed body (a large PutObject, a part) carries its flexible checksum in an
// aws-chunked trailer (s3/trailing_checksum.hpp: the file read once, the checksum sent after it)
// or in a header computed by a first pass over the file, learned from the store's replies (to
// either kind of body: one verdict for the run).
//
// AWS decodes trailers and verifies and echoes the checksum, as current MinIO does; moto 5.2
// decodes them and echoes the value. Stores that do not know aws-chunked refuse the request
// (a 400, 501 or a signature mismatch) or store the framing with the body; either way their
// replies do not echo the checksum the trailer carried. So a trailer is sent only where the
// store echoes checksums (or is presumed to, --trailing-checksum on, AWS's endpoints), and the
// first replies to trailers decide: the checksum echoed, the store decodes them; anything else
// (a refusal, no echo, a different echo) and the body is sent again at once, not as a retry,
// with the checksum in a header, as every streamed body after it; said once in a note.
#pragma once
#include "engine/integrity.hpp"
#include "engine/options.hpp"
#include "s3/s3_protocol.hpp"

#include <atomic>
#include <functional>
#include <string>

namespace s3up::engine {

class TrailerNegotiator {
 public:
  // `note` receives the one-line note (may be empty).
  TrailerNegotiator(TrailingChecksums when, std::function<void(const std::string&)> note);

  // Whether a streamed body sent with `checks`, to a store whose PutObject checksums are
  // `store`, carries its checksum in a trailer. Never for signed payloads (plain HTTP, whose
  // first pass computes the SHA-256 anyway) nor for Content-MD5. Thread-safe.
  bool use(const BodyChecks& checks, IntegrityNegotiator::Store store, bool payload_signed) const;

  // After `reply` to a body whose trailer carried `sent` (its value, "" when the body was not
  // sent whole): true when the store did not take the trailer, and the body is to be sent again
  // at once without one (use() now says no). Thread-safe.
  bool refused(s3::ChecksumAlgorithm algorithm, const std::string& sent,
               const s3::OpResult& reply);

 private:
  enum class State { Unknown, Decodes, Refused };
  // The first verdict stands: Unknown becomes Decodes, or Refused (with the note).
  void decodes();
  void refuse(const std::string& why);

  TrailingChecksums when_;
  std::function<void(const std::string&)> note_;
  std::atomic<State> state_{State::Unknown};
};

}  // namespace s3up::engine
