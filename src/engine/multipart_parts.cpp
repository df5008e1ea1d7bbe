#include "engine/multipart_parts.hpp"

#include <algorithm>
#include <cctype>

#include "s3/full_object_checksum.hpp"
#include "util/crypto.hpp"

namespace s3up::engine {
namespace {

// The parts as the checksum combinations take them; nullopt when one lacks a checksum.
std::optional<std::vector<s3::PartChecksum>> part_checksums(
    const std::vector<s3::CompletedPart>& parts, const PartPlan& plan) {
  std::vector<s3::PartChecksum> out;
  out.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].checksum_value.empty()) return std::nullopt;
    out.push_back({parts[i].checksum_value, plan.length(i)});
  }
  return out;
}

// "...-N": a COMPOSITE checksum (base64 has no '-').
bool is_composite(const std::string& value) {
  const auto dash = value.rfind('-');
  return dash != std::string::npos && dash + 1 < value.size() &&
         std::all_of(value.begin() + static_cast<std::ptrdiff_t>(dash) + 1, value.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string> journaled_multipart_etag(const JournalUpload& open,
                                                    std::uint64_t part_count) {
  if (part_count == 0 || open.parts.size() != part_count) return std::nullopt;
  std::string digests;
  std::uint64_t expected = 1;
  for (const auto& [number, part] : open.parts) {
    if (static_cast<std::uint64_t>(number) != expected++) return std::nullopt;
    const std::string hex = s3::unquoted_etag(part.etag);
    const auto md5 = util::hex_decode(hex);
    if (hex.size() != 32 || !md5) return std::nullopt;  // not an MD5 (SSE-KMS, another store)
    digests += *md5;
  }
  const auto digest = util::md5(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(digests.data()), digests.size()));
  return util::hex_lower(digest) + "-" + std::to_string(part_count);
}

bool is_journaled_completion(const s3::OpResult& head, const JournalUpload& open,
                             std::uint64_t size, std::uint64_t part_count) {
  if (!head.ok || head.header("content-length") != std::to_string(size)) return false;
  const auto expected = journaled_multipart_etag(open, part_count);
  return expected && s3::unquoted_etag(head.header("etag")) == *expected;
}

void require_part_etag(s3::OpResult& r, int number) {
  if (!r.ok || !r.etag.empty()) return;
  r.ok = false;
  r.error = s3::S3Errc::bad_reply;
  r.error_class = s3::ErrorClass::Retryable;
  r.message = "UploadPart " + std::to_string(number) + ": reply without an ETag";
}

void fill_part_slot(s3::CompletedPart& slot, int number, const std::string& etag,
                    s3::ChecksumAlgorithm algorithm, const std::string& checksum) {
  slot.number = number;
  slot.etag = etag;
  // A part sent without its checksum (the store refused the headers) is completed without one.
  if (checksum.empty()) return;
  slot.checksum_name = std::string(s3::xml_element(algorithm));
  if (!slot.checksum_name.empty()) slot.checksum_value = checksum;
}

bool is_completed_object(const s3::OpResult& head, std::uint64_t size, std::uint64_t parts) {
  if (!head.ok) return false;
  std::string etag = head.header("etag");
  while (!etag.empty() && etag.back() == '"') etag.pop_back();
  const std::string suffix = "-" + std::to_string(parts);
  return head.header("content-length") == std::to_string(size) && etag.size() > suffix.size() &&
         etag.compare(etag.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void match_resumed_parts(const std::vector<s3::ListedPart>& listed, const JournalUpload& open,
                         const PartPlan& plan, s3::ChecksumAlgorithm checksum,
                         std::vector<s3::CompletedPart>& parts) {
  for (const auto& part : listed) {
    const auto index = static_cast<std::uint64_t>(part.number - 1);
    const auto journaled = open.parts.find(part.number);
    if (part.number < 1 || index >= plan.part_count || journaled == open.parts.end() ||
        part.size != plan.length(index) || journaled->second.etag != part.etag)
      continue;
    fill_part_slot(parts[index], part.number, part.etag, checksum, journaled->second.checksum);
  }
}

bool resumable_checksum(const JournalUpload& open, s3::ChecksumAlgorithm checksum) {
  return open.checksum.empty() || open.checksum == s3::to_string(checksum);
}

std::optional<std::string> full_object_checksum(const std::vector<s3::CompletedPart>& parts,
                                                const PartPlan& plan,
                                                s3::ChecksumAlgorithm checksum) {
  const auto pieces = part_checksums(parts, plan);
  if (!pieces) return std::nullopt;
  return s3::full_object_checksum(checksum, *pieces);
}

std::optional<std::string> verify_completed_checksum(const s3::OpResult& reply,
                                                     const std::vector<s3::CompletedPart>& parts,
                                                     const PartPlan& plan,
                                                     s3::ChecksumAlgorithm checksum) {
  const std::string_view element = s3::xml_element(checksum);
  if (!reply.ok || element.empty()) return std::nullopt;
  // S3 names it in the result document; a header would do as well.
  std::string stored;
  for (const auto& [name, value] : s3::parse_complete(reply.body).checksums)
    if (name == element) stored = value;
  if (stored.empty()) stored = reply.header(s3::header_name(checksum));
  if (stored.empty()) return std::nullopt;
  const auto pieces = part_checksums(parts, plan);
  if (!pieces) return std::nullopt;  // nothing to compare with
  const auto expected = is_composite(stored) ? s3::composite_checksum(checksum, *pieces)
                                             : s3::full_object_checksum(checksum, *pieces);
  if (!expected || *expected == stored) return std::nullopt;
  return "CompleteMultipartUpload: the endpoint stored a " + std::string(s3::to_string(checksum)) +
         " checksum (" + stored + ") that is not the file's (" + *expected + ")";
}

}  // namespace s3up::engine
