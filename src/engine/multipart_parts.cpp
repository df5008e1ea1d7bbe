#include "engine/multipart_parts.hpp"

namespace s3up::engine {

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

}  // namespace s3up::engine
