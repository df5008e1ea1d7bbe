// What the store checked of each body s3up sent, and how s3up makes sure every object gets a
// check on stores that do not verify the flexible checksums (x-amz-checksum-*).
//
// AWS, moto and s3-testserver verify x-amz-checksum-<algo> and echo it in the reply. Other stores
// accept it without a check and echo nothing (Ceph RGW 16, older MinIO), or refuse the headers
// themselves (Backblaze B2: 400 "Unsupported header 'x-amz-sdk-checksum-algorithm'"; Cloudflare
// R2: 501 NotImplemented). The negotiator learns which from the first replies of the run:
//  - Unknown (the first bodies): the flexible checksum, and the MD5, so that a reply without an
//    echo can still be checked: its ETag must be the MD5 of the bytes sent (streamed PUTs and
//    parts compute it only after such a reply: compares_etag);
//  - Echoes: the flexible checksum only (nothing more to compute);
//  - Silent (a success without an echo): Content-MD5 as well, which nearly every store verifies
//    (400 BadDigest); said once in a note;
//  - Refuses (a reply refusing the headers): no flexible checksum headers at all, Content-MD5
//    instead, for the rest of the run; said once in a note;
//  - Plain (a PutObject success with neither an ETag nor an echo: 201 Created or 204 No Content
//    from a plain HTTP PUT server such as nginx's WebDAV module, which every S3 store answers
//    with an ETag): nothing sent is verified by it, so no checksum is computed or sent for the
//    rest of the run and its objects count as `none`; said once in a note.
#pragma once
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/integrity_level.hpp"
#include "s3/checksum.hpp"
#include "s3/s3_protocol.hpp"

namespace s3up::engine {

// The requests that carry bodies, learned about separately: a store may echo the checksum of a
// PutObject and not of an UploadPart (moto 5.2 does so).
enum class BodyKind { Object = 0, Part = 1 };

// What one body is sent with.
struct BodyChecks {
  BodyKind kind = BodyKind::Object;
  s3::ChecksumAlgorithm flexible = s3::ChecksumAlgorithm::None;  // x-amz-checksum-<algo> header
  bool content_md5 = false;  // a Content-MD5 header
  bool md5 = false;          // the MD5 is computed (for Content-MD5, or to compare the ETag)
};

// The digests of one body as sent: `checksum` the base64 flexible checksum ("" when none),
// `md5` the base64 MD5 ("" when not computed).
struct SentDigests {
  std::string checksum;
  std::string md5;
};

// A success judged: the check the store performed, or why the body must be sent again.
struct Verdict {
  Integrity level = Integrity::None;
  std::optional<std::string> corrupted;
};

class IntegrityNegotiator {
 public:
  enum class Store { Unknown, Echoes, Silent, Refuses, Plain };

  // `algorithm`: --checksum. `etag_is_md5`: whether an ETag can be the MD5 of the body (not with
  // SSE-KMS or SSE-C, whose ETags are not). `note` receives the one-line notes (may be empty).
  IntegrityNegotiator(s3::ChecksumAlgorithm algorithm, bool etag_is_md5,
                      std::function<void(const std::string&)> note);

  // What the next body of this kind is to be sent with. Thread-safe.
  BodyChecks plan(BodyKind kind = BodyKind::Object) const;

  // Judges a successful reply to a body sent with `sent` and `digests`, and learns from it.
  // Thread-safe.
  Verdict judge(const BodyChecks& sent, const SentDigests& digests, const s3::OpResult& reply);

  // Whether judge() compares the ETag of `reply` (a success to a body sent with `sent`) with the
  // body's MD5: no echo of the checksum sent, an ETag that can be an MD5. A streamed PUT
  // computes that MD5 only then, after the reply. Thread-safe.
  bool compares_etag(const BodyChecks& sent, const s3::OpResult& reply) const;
  // After a failed reply to a request sent with `sent`: true when the store refused the flexible
  // checksum headers themselves (the request is to be sent again at once, without them, which
  // plan() now says). Thread-safe.
  bool refused(const BodyChecks& sent, const s3::OpResult& reply);

  // Whether HeadObject may ask for the stored checksum (x-amz-checksum-mode: ENABLED): false
  // once the store refused that header (Backblaze B2 answers 400), said once.
  bool checksum_mode() const { return checksum_mode_.load(std::memory_order_acquire); }
  void checksum_mode_refused();

  Store store(BodyKind kind = BodyKind::Object) const {
    return store_[static_cast<int>(kind)].load(std::memory_order_acquire);
  }
  s3::ChecksumAlgorithm algorithm() const { return algorithm_; }

 private:
  void learn(BodyKind kind, Store from, Store to, const std::string& note);

  s3::ChecksumAlgorithm algorithm_;
  bool etag_is_md5_;
  std::function<void(const std::string&)> note_;
  std::atomic<Store> store_[2] = {Store::Unknown, Store::Unknown};
  std::atomic<bool> checksum_mode_{true};
  std::atomic<bool> refusal_noted_{false};
};

// A successful reply whose stored body differs from the one sent (`reason`, from judge), turned
// into a retryable failure of `what` ("PutObject", "UploadPart 3"): the body was corrupted on
// the way, and is sent again (re-read, re-hashed) like after a reset, within --retries.
s3::OpResult corrupted(s3::OpResult reply, std::string_view what, const std::string& reason);

// Whether a failed reply refuses the flexible checksum headers themselves: B2's 400
// InvalidArgument "Unsupported header 'x-amz-sdk-checksum-algorithm'", R2's 501 NotImplemented
// naming an x-amz-checksum header, and the like. A wrong value (BadDigest, InvalidDigest) is not.
bool refuses_checksum_headers(const s3::OpResult& reply);

// `etag` (quoted or not) is 32 hex digits equal to the base64 MD5 `md5`.
bool etag_matches_md5(std::string etag, const std::string& md5);
// `etag` looks like an MD5 (32 hex digits, once unquoted).
bool etag_is_plain_md5(std::string etag);

}  // namespace s3up::engine
