#include "engine/integrity.hpp"

#include <algorithm>
#include <cctype>

#include "util/crypto.hpp"
#include "util/text.hpp"

namespace s3up::engine {
namespace {

// Whether `reply` does not echo the flexible checksum `sent` carried (or it carried none).
bool no_echo(const BodyChecks& sent, const s3::OpResult& reply) {
  return sent.flexible == s3::ChecksumAlgorithm::None ||
         reply.header(s3::header_name(sent.flexible)).empty();
}

// A successful PutObject reply with neither an ETag nor the echo of the checksum sent: not S3
// (which always answers with an ETag; s3_protocol.cpp lets only 201 and 204 through without one).
bool plain_put_server(const BodyChecks& sent, const s3::OpResult& reply) {
  return sent.kind == BodyKind::Object && reply.ok && reply.etag.empty() && no_echo(sent, reply);
}

}  // namespace

std::string integrity_name(Integrity level, s3::ChecksumAlgorithm algorithm) {
  switch (level) {
    case Integrity::None:
      return "none";
    case Integrity::EtagCompared:
      return "etag-md5-compared";
    case Integrity::Md5Verified:
      return "md5-verified";
    case Integrity::ChecksumVerified:
      return std::string(s3::to_string(algorithm)) + "-verified";
  }
  return "none";
}

Integrity full_integrity(s3::ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case s3::ChecksumAlgorithm::None:
      return Integrity::None;
    case s3::ChecksumAlgorithm::Md5:
      return Integrity::Md5Verified;
    default:
      return Integrity::ChecksumVerified;
  }
}

bool etag_is_plain_md5(std::string etag) {
  etag = s3::unquoted_etag(etag);
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

bool etag_matches_md5(std::string etag, const std::string& md5) {
  if (!etag_is_plain_md5(etag)) return false;
  const auto raw = util::base64_decode(md5);
  return raw && raw->size() == 16 &&
         s3::unquoted_etag(etag) == util::hex_lower(util::as_bytes(*raw));
}

bool refuses_checksum_headers(const s3::OpResult& reply) {
  if (reply.ok) return false;
  if (reply.status == 501 && reply.code == "NotImplemented") return true;
  if (reply.status != 400) return false;
  if (reply.code != "InvalidArgument" && reply.code != "InvalidRequest" &&
      reply.code != "NotImplemented")
    return false;
  const std::string said = util::ascii_lower(reply.message);
  return said.find("x-amz-checksum") != std::string::npos ||
         said.find("x-amz-sdk-checksum") != std::string::npos ||
         said.find("checksum algorithm") != std::string::npos;
}

IntegrityNegotiator::IntegrityNegotiator(s3::ChecksumAlgorithm algorithm, bool etag_is_md5,
                                         std::function<void(const std::string&)> note)
    : algorithm_(algorithm), etag_is_md5_(etag_is_md5), note_(std::move(note)) {}

BodyChecks IntegrityNegotiator::plan(BodyKind kind) const {
  BodyChecks checks;
  checks.kind = kind;
  if (store(kind) == Store::Plain) return checks;  // nothing it would verify
  switch (algorithm_) {
    case s3::ChecksumAlgorithm::None:
      return checks;
    case s3::ChecksumAlgorithm::Md5:
      checks.content_md5 = checks.md5 = true;
      return checks;
    default:
      break;
  }
  switch (store(kind)) {
    case Store::Unknown:
      checks.flexible = algorithm_;
      checks.md5 = etag_is_md5_;  // a reply without an echo is still checked by its ETag
      break;
    case Store::Echoes:
      checks.flexible = algorithm_;
      break;
    case Store::Silent:
      checks.flexible = algorithm_;  // kept: stores that ignore it may still store it
      checks.content_md5 = checks.md5 = true;
      break;
    case Store::Refuses:
      checks.content_md5 = checks.md5 = true;
      break;
    case Store::Plain:
      break;
  }
  return checks;
}

void IntegrityNegotiator::learn(BodyKind kind, Store from, Store to, const std::string& note) {
  Store expected = from;
  if (store_[static_cast<int>(kind)].compare_exchange_strong(expected, to,
                                                            std::memory_order_acq_rel) &&
      note_ &&
      !note.empty())
    note_(note);
}

Verdict IntegrityNegotiator::judge(const BodyChecks& sent, const SentDigests& digests,
                                   const s3::OpResult& reply) {
  Verdict v;
  if (plain_put_server(sent, reply)) {
    const std::string note =
        "note: the endpoint stores bodies without an ETag or a checksum (HTTP " +
        std::to_string(reply.status) +
        " to PutObject: a plain HTTP PUT server, not S3): it verifies nothing sent to it; no "
        "checksum is computed or sent for the rest of the run";
    // Whatever was learned before; only one of these can switch, so the note is said once.
    for (Store from : {Store::Unknown, Store::Echoes, Store::Silent, Store::Refuses})
      learn(BodyKind::Object, from, Store::Plain, note);
    return v;  // Integrity::None: whatever was sent, nothing checked it
  }
  if (sent.flexible != s3::ChecksumAlgorithm::None && !digests.checksum.empty()) {
    const std::string echoed = reply.header(s3::header_name(sent.flexible));
    if (!echoed.empty()) {
      learn(sent.kind, Store::Unknown, Store::Echoes, {});
      if (echoed == digests.checksum) {
        v.level = Integrity::ChecksumVerified;
      } else {
        v.corrupted = "the endpoint stored a different " +
                      std::string(s3::to_string(sent.flexible)) + " checksum (" + echoed +
                      ") than the one sent (" + digests.checksum + ")";
      }
      return v;
    }
    const std::string_view name = s3::algorithm_header_value(sent.flexible);  // "CRC32C"
    const char* op = sent.kind == BodyKind::Part ? "UploadPart" : "PutObject";
    const std::string note = "note: the endpoint does not verify " + std::string(name) + " on " +
                             op + " (its replies echo no " +
                             std::string(s3::header_name(sent.flexible)) +
                             "); verifying with Content-MD5";
    // Unknown or Echoes (a store that stopped echoing) both go to Silent, noted once.
    learn(sent.kind, Store::Unknown, Store::Silent, note);
    learn(sent.kind, Store::Echoes, Store::Silent, note);
  }
  if (sent.content_md5 && !digests.md5.empty()) {
    v.level = Integrity::Md5Verified;  // a wrong Content-MD5 is refused (400 BadDigest)
    return v;
  }
  if (!digests.md5.empty() && compares_etag(sent, reply)) {
    if (etag_matches_md5(reply.etag, digests.md5)) {
      v.level = Integrity::EtagCompared;
    } else {
      // Sent again with Content-MD5 (plan() says so now): a store whose ETags are not MD5s
      // then verifies the body itself, and real corruption is caught either way.
      const auto raw = util::base64_decode(digests.md5);
      v.corrupted = "the ETag " + reply.etag + " is not the MD5 of the bytes sent (" +
                    (raw ? util::hex_lower(util::as_bytes(*raw)) : digests.md5) + ")";
    }
  }
  return v;
}

bool IntegrityNegotiator::compares_etag(const BodyChecks& sent, const s3::OpResult& reply) const {
  return reply.ok && sent.md5 && !sent.content_md5 && etag_is_md5_ &&
         etag_is_plain_md5(reply.etag) && no_echo(sent, reply);
}

s3::OpResult corrupted(s3::OpResult reply, std::string_view what, const std::string& reason) {
  reply.ok = false;
  reply.error = s3::S3Errc::checksum_mismatch;
  reply.error_class = s3::ErrorClass::Retryable;
  reply.message = std::string(what) + ": " + reason;
  return reply;
}

void IntegrityNegotiator::checksum_mode_refused() {
  if (checksum_mode_.exchange(false) && note_)
    note_("note: the endpoint refuses x-amz-checksum-mode (HTTP 400 to HeadObject): it keeps no "
          "checksum to compare; --sync-checksum compares ETags (MD5) or size and modification "
          "time instead");
}

bool IntegrityNegotiator::refused(const BodyChecks& sent, const s3::OpResult& reply) {
  if (sent.flexible == s3::ChecksumAlgorithm::None || !refuses_checksum_headers(reply))
    return false;
  const std::string note = "note: the endpoint refuses the " +
                           std::string(s3::algorithm_header_value(sent.flexible)) +
                           " checksum headers (" +
                           reply.message + "); sending Content-MD5 instead for the rest of the run";
  // (A store that refuses the headers refuses them on every request: noted once.)
  bool switched = false;
  for (BodyKind kind : {BodyKind::Object, BodyKind::Part})
    for (Store from : {Store::Unknown, Store::Echoes, Store::Silent}) {
      Store expected = from;
      switched |= store_[static_cast<int>(kind)].compare_exchange_strong(
          expected, Store::Refuses, std::memory_order_acq_rel);
    }
  if (switched && note_ && !refusal_noted_.exchange(true)) note_(note);
  return true;
}

}  // namespace s3up::engine
