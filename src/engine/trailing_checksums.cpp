#include "engine/trailing_checksums.hpp"

namespace s3up::engine {

TrailerNegotiator::TrailerNegotiator(TrailingChecksums when,
                                     std::function<void(const std::string&)> note)
    : when_(when), note_(std::move(note)) {}

bool TrailerNegotiator::use(const BodyChecks& checks, IntegrityNegotiator::Store store,
                            bool payload_signed) const {
  if (when_ == TrailingChecksums::Never || payload_signed ||
      checks.flexible == s3::ChecksumAlgorithm::None || checks.content_md5)
    return false;
  switch (state_.load(std::memory_order_acquire)) {
    case State::Refused:
      return false;
    case State::Decodes:
      return true;
    case State::Unknown:
      break;
  }
  return when_ == TrailingChecksums::FromStart || store == IntegrityNegotiator::Store::Echoes;
}

void TrailerNegotiator::decodes() {
  State expected = State::Unknown;
  state_.compare_exchange_strong(expected, State::Decodes, std::memory_order_acq_rel);
}

void TrailerNegotiator::refuse(const std::string& why) {
  State expected = State::Unknown;
  if (state_.compare_exchange_strong(expected, State::Refused, std::memory_order_acq_rel) &&
      note_)
    note_("note: the endpoint does not take checksums in aws-chunked trailers (" + why +
          "); large files are read twice (their checksum first) for the rest of the run");
}

bool TrailerNegotiator::refused(s3::ChecksumAlgorithm algorithm, const std::string& sent,
                                const s3::OpResult& reply) {
  if (state_.load(std::memory_order_acquire) == State::Decodes) return false;
  const std::string header(s3::header_name(algorithm));
  if (reply.ok) {
    const std::string echoed = reply.header(header);
    if (!sent.empty() && echoed == sent) {
      decodes();
      return false;
    }
    refuse(echoed.empty() ? "its reply echoes no " + header
                          : "its reply echoes " + header + ": " + echoed + ", not " + sent);
    return true;
  }
  // A checksum found wrong: the store read the trailer (the body was corrupted on the way).
  if (reply.code == "BadDigest" || reply.code == "XAmzContentChecksumMismatch" ||
      reply.code == "InvalidDigest") {
    decodes();
    return false;
  }
  const bool refusal = reply.status == 400 || reply.status == 411 || reply.status == 415 ||
                       reply.status == 501 ||
                       (reply.status == 403 && reply.code == "SignatureDoesNotMatch");
  if (!refusal) return false;  // a transport failure, a 5xx, throttling: the usual handling
  refuse(reply.message.empty() ? "HTTP " + std::to_string(reply.status) : reply.message);
  return true;
}

}  // namespace s3up::engine
