#include "server/multipart_checksum.hpp"

#include <optional>

#include "s3/checksum.hpp"
#include "s3/full_object_checksum.hpp"
#include "server/errors.hpp"

namespace s3up::testserver {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The parts' values of checksum header `name`, with their sizes; nullopt unless every part has
// one (S3 stores no object checksum when a part went without).
std::optional<std::vector<s3::PartChecksum>> parts_with(const std::vector<PartInfo>& parts,
                                                        const std::string& name) {
  std::vector<s3::PartChecksum> out;
  for (const auto& p : parts) {
    bool found = false;
    for (const auto& [n, v] : p.checksums)
      if (n == name) {
        out.push_back({v, p.size});
        found = true;
      }
    if (!found) return std::nullopt;
  }
  return out;
}

S3Error bad_digest(std::string_view algorithm) {
  return S3Error(400, "BadDigest",
                 "The " + std::string(algorithm) +
                     " you specified for the full object did not match the calculated checksum.");
}

}  // namespace

std::string upload_checksum_type(std::string_view algorithm, std::string_view requested_type) {
  const std::string type = upper(requested_type);
  if (algorithm.empty()) {
    if (!type.empty())
      throw S3Error(400, "InvalidRequest",
                    "The x-amz-checksum-type header can only be used with the "
                    "x-amz-checksum-algorithm header.");
    return "";
  }
  const auto algo = s3::parse_checksum_algorithm(algorithm);
  const bool crc64 = algo == s3::ChecksumAlgorithm::Crc64nvme;
  const bool full_ok = algo && s3::supports_full_object(*algo);
  if (type.empty()) return crc64 ? "FULL_OBJECT" : "COMPOSITE";
  if (type != "FULL_OBJECT" && type != "COMPOSITE")
    throw S3Error(400, "InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  if ((type == "FULL_OBJECT" && !full_ok) || (type == "COMPOSITE" && crc64))
    throw S3Error(400, "InvalidRequest",
                  "The " + type + " checksum type cannot be used with the " + lower(algorithm) +
                      " checksum algorithm.");
  return type;
}

ObjectChecksums object_checksums(const std::string& algorithm, const std::string& type,
                                 const std::vector<PartInfo>& parts,
                                 const CompleteChecksum& sent) {
  if (!sent.type.empty() && upper(sent.type) != type)
    throw S3Error(400, "BadDigest",
                  "The checksum type you specified (" + upper(sent.type) +
                      ") did not match the checksum type of the multipart upload (" +
                      (type.empty() ? "none" : type) + ").");
  const std::string upload_header = "x-amz-checksum-" + lower(algorithm);
  if (!sent.header.empty() && sent.header != upload_header)
    throw S3Error(400, "InvalidRequest",
                  "The upload was created using the " +
                      (algorithm.empty() ? std::string("no") : lower(algorithm)) +
                      " checksum algorithm; " + sent.header + " cannot be checked.");
  ObjectChecksums out;
  if (type == "FULL_OBJECT") {
    // The CRC of the object, combined from the verified part CRCs as S3 does.
    const auto algo = s3::parse_checksum_algorithm(algorithm);
    const auto pieces = parts_with(parts, upload_header);
    if (algo && pieces) {
      const auto full = s3::full_object_checksum(*algo, *pieces);
      if (full) {
        if (!sent.value.empty() && sent.value != *full) throw bad_digest(algorithm);
        out.checksums.emplace_back(upload_header, *full);
        out.type = type;
      }
    }
    return out;
  }
  // COMPOSITE, or an upload created without an algorithm: the checksum of the part checksums,
  // for each algorithm every part has.
  for (const auto& [name, first_value] : parts.front().checksums) {
    const auto algo = s3::parse_checksum_algorithm(std::string_view(name).substr(15));
    const auto pieces = parts_with(parts, name);
    if (!algo || !pieces) continue;
    const auto composite = s3::composite_checksum(*algo, *pieces);
    if (!composite) continue;
    // The value sent may carry the "-N" or not.
    if (name == sent.header && !sent.value.empty() && sent.value != *composite &&
        sent.value != composite->substr(0, composite->rfind('-')))
      throw bad_digest(upper(name.substr(15)));
    out.checksums.emplace_back(name, *composite);
    out.type = "COMPOSITE";
  }
  return out;
}

}  // namespace s3up::testserver
