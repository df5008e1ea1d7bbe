#include "server/body.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "s3/sigv4.hpp"
#include "server/sigv4_chunked.hpp"
#include "server/errors.hpp"

namespace s3up::testserver {
namespace {

constexpr std::size_t kMaxLine = 4096;

S3Error incomplete_body(std::string message) {
  return S3Error(400, "IncompleteBody", std::move(message));
}

S3Error bad_chunk(std::string message) {
  return S3Error(400, "InvalidRequest", "aws-chunked body: " + std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view algorithm_label(s3::ChecksumAlgorithm a) {
  const std::string_view name = s3::algorithm_header_value(a);  // "CRC32C", "CRC64NVME"...
  return name.empty() ? "checksum" : name;
}

}  // namespace

BodyReader::BodyReader() = default;
BodyReader::~BodyReader() = default;

void BodyReader::start(BodyPlan plan) {
  plan_ = std::move(plan);
  size_ = 0;
  md5_.reset();
  sha256_.reset();
  if (plan_.md5) md5_.emplace();
  if (!plan_.expected_sha256.empty()) sha256_.emplace();
  checksummers_.clear();
  for (const auto& c : plan_.checksums) checksummers_.emplace_back(c.algorithm);
  collected_.clear();
  state_ = State::Size;
  line_.clear();
  chunk_left_ = 0;
  chunk_signature_.clear();
  chunk_sha_.reset();
  crlf_seen_ = 0;
  trailers_.clear();
  trailer_block_.clear();
  trailer_signature_.clear();
}

void BodyReader::payload(std::span<const unsigned char> data) {
  if (data.empty()) return;
  size_ += data.size();
  if (md5_) md5_->update(data);
  for (auto& c : checksummers_) c.update(data);
  if (plan_.spool) plan_.spool->write(data);
  if (plan_.collect) {
    if (collected_.size() + data.size() > plan_.collect_limit)
      throw S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.");
    collected_.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
}

void BodyReader::feed(std::span<const unsigned char> wire) {
  std::vector<unsigned char> flipped;
  if (plan_.corrupt && !plan_.aws_chunked && !wire.empty()) {
    // The corruption fault: one bit of the body changes on the way, once per request.
    flipped.assign(wire.begin(), wire.end());
    flipped[flipped.size() / 2] ^= 0x10;
    wire = flipped;
    plan_.corrupt = false;
  }
  if (sha256_) sha256_->update(wire);
  if (!plan_.aws_chunked) {
    payload(wire);
    return;
  }
  while (!wire.empty()) {
    switch (state_) {
      case State::Size:
      case State::Trailer: {
        const auto* nl = static_cast<const unsigned char*>(std::memchr(wire.data(), '\n', wire.size()));
        const std::size_t take = nl ? static_cast<std::size_t>(nl - wire.data()) + 1 : wire.size();
        line_.append(reinterpret_cast<const char*>(wire.data()), take);
        wire = wire.subspan(take);
        if (line_.size() > kMaxLine) throw bad_chunk("line too long");
        if (!nl) break;
        std::string_view line(line_);
        line.remove_suffix(1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (state_ == State::Size)
          chunk_line(line);
        else
          trailer_line(line);
        line_.clear();
        break;
      }
      case State::Data: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, wire.size()));
        auto piece = wire.first(n);
        std::vector<unsigned char> flipped_data;
        if (plan_.corrupt && n > 0) {
          // The corruption fault in an aws-chunked body: a bit of the data, not of the framing.
          flipped_data.assign(piece.begin(), piece.end());
          flipped_data[n / 2] ^= 0x10;
          piece = flipped_data;
          plan_.corrupt = false;
        }
        if (chunk_sha_) chunk_sha_->update(piece);
        payload(piece);
        wire = wire.subspan(n);
        chunk_left_ -= n;
        if (chunk_left_ == 0) {
          end_chunk();
          state_ = State::DataEnd;
          crlf_seen_ = 0;
        }
        break;
      }
      case State::DataEnd: {
        const unsigned char want = crlf_seen_ == 0 ? '\r' : '\n';
        if (wire.front() != want) throw bad_chunk("chunk data not followed by CRLF");
        wire = wire.subspan(1);
        if (++crlf_seen_ == 2) state_ = State::Size;
        break;
      }
      case State::Done:
        throw bad_chunk("bytes after the end of the body");
    }
  }
}

void BodyReader::chunk_line(std::string_view line) {
  const auto semi = line.find(';');
  const auto hex = trim(line.substr(0, semi));
  std::uint64_t size = 0;
  const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
  if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
    throw bad_chunk("bad chunk size line");
  chunk_signature_.clear();
  if (semi != std::string_view::npos) {
    auto ext = trim(line.substr(semi + 1));
    constexpr std::string_view kSig = "chunk-signature=";
    if (ext.starts_with(kSig)) chunk_signature_ = std::string(ext.substr(kSig.size()));
  }
  if (plan_.chunk_signer && chunk_signature_.empty())
    throw S3Error(403, "SignatureDoesNotMatch", "aws-chunked chunk without chunk-signature");
  if (plan_.chunk_signer) chunk_sha_.emplace();
  chunk_left_ = size;
  if (size == 0) {
    end_chunk();
    state_ = State::Trailer;
  } else {
    state_ = State::Data;
  }
}

void BodyReader::end_chunk() {
  if (!plan_.chunk_signer) return;
  const std::string data_hash = util::hex_lower(chunk_sha_->finish());
  chunk_sha_.reset();
  const auto expected = plan_.chunk_signer->next_hashed(data_hash);
  if (!same_secret(expected.signature, chunk_signature_)) {
    S3Error e(403, "SignatureDoesNotMatch",
              "The chunk signature we calculated does not match the signature you provided.");
    e.details.emplace_back("StringToSign", expected.string_to_sign);
    e.details.emplace_back("SignatureProvided", chunk_signature_);
    throw e;
  }
}

void BodyReader::trailer_line(std::string_view line) {
  if (line.empty()) {
    state_ = State::Done;
    if (plan_.signed_trailer) {
      if (trailer_signature_.empty())
        throw S3Error(403, "SignatureDoesNotMatch", "trailer without x-amz-trailer-signature");
      const auto expected = plan_.chunk_signer->trailer(trailer_block_);
      if (!same_secret(expected.signature, trailer_signature_)) {
        S3Error e(403, "SignatureDoesNotMatch",
                  "The trailer signature we calculated does not match the signature you "
                  "provided.");
        e.details.emplace_back("StringToSign", expected.string_to_sign);
        e.details.emplace_back("SignatureProvided", trailer_signature_);
        throw e;
      }
    }
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) throw bad_chunk("bad trailer line");
  std::string name = lower(trim(line.substr(0, colon)));
  const auto value = trim(line.substr(colon + 1));
  if (name == "x-amz-trailer-signature") {
    trailer_signature_ = std::string(value);
    return;
  }
  trailer_block_.append(name).append(":").append(value).append("\n");
  trailers_.emplace_back(std::move(name), std::string(value));
}

BodyResult BodyReader::finish() {
  if (plan_.aws_chunked && state_ != State::Done)
    throw incomplete_body("The request body terminated unexpectedly");
  if (plan_.decoded_length && *plan_.decoded_length != size_)
    throw incomplete_body("x-amz-decoded-content-length is " +
                          std::to_string(*plan_.decoded_length) + " but the body has " +
                          std::to_string(size_) + " bytes");
  BodyResult r;
  r.size = size_;
  if (sha256_) {
    const std::string got = util::hex_lower(sha256_->finish());
    sha256_.reset();
    if (plan_.verify && got != plan_.expected_sha256) {
      S3Error e(400, "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.");
      e.details.emplace_back("ClientComputedContentSHA256", plan_.expected_sha256);
      e.details.emplace_back("S3ComputedContentSHA256", got);
      throw e;
    }
  }
  if (md5_) {
    r.md5 = md5_->finish();
    r.has_md5 = true;
    md5_.reset();
    if (plan_.verify && !plan_.content_md5.empty() && util::base64(r.md5) != plan_.content_md5) {
      S3Error e(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
      e.details.emplace_back("ExpectedDigest", plan_.content_md5);
      e.details.emplace_back("CalculatedDigest", util::base64(r.md5));
      throw e;
    }
  }
  for (std::size_t i = 0; i < checksummers_.size(); ++i) {
    const auto& want = plan_.checksums[i];
    std::string got = checksummers_[i].value();
    std::string expected = want.expected;
    if (expected.empty()) {
      for (const auto& [name, value] : trailers_)
        if (name == want.header) expected = value;
      if (expected.empty())
        throw S3Error(400, "InvalidRequest",
                      "x-amz-trailer names " + want.header + " but the trailer lacks it");
    }
    if (plan_.verify && got != expected) {
      throw S3Error(400, "BadDigest",
                    "The " + std::string(algorithm_label(want.algorithm)) +
                        " you specified did not match the calculated checksum.");
    }
    r.checksums.emplace_back(want.header, std::move(got));
  }
  r.collected = std::move(collected_);
  collected_.clear();
  return r;
}

}  // namespace s3up::testserver
