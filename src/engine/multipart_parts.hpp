// Multipart part bookkeeping shared by both engines, free of any transport: filling the completed
// part slots from UploadPart replies and, on resume, from ListParts and the journal.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/journal.hpp"
#include "engine/part_plan.hpp"
#include "s3/checksum.hpp"
#include "s3/s3_protocol.hpp"
#include "s3/xml.hpp"

namespace s3up::engine {

// An UploadPart reply that succeeded without an ETag cannot be completed: turns it into a
// retryable failure naming part `number`.
void require_part_etag(s3::OpResult& r, int number);

// Records part `number` as S3 holds it: its ETag and, when `algorithm` sends checksums, the
// part's checksum.
void fill_part_slot(s3::CompletedPart& slot, int number, const std::string& etag,
                    s3::ChecksumAlgorithm algorithm, const std::string& checksum);

// Resuming from the journal: fills `parts` (one slot per planned part) from one ListParts page.
// A listed part counts as done when it is within the plan, has the planned size, and the journal
// recorded it with the same ETag.
// Whether a HeadObject reply shows the object a multipart upload of `size` bytes in `parts` parts
// would have made: the size, and an ETag ending in "-<parts>" (the lost-Complete check).
bool is_completed_object(const s3::OpResult& head, std::uint64_t size, std::uint64_t parts);

// The ETag S3 gives the object CompleteMultipartUpload makes of the journal's parts of `open`:
// the MD5 of the parts' binary MD5 ETags, then "-N" (unquoted). nullopt unless the journal holds
// all `part_count` parts, each with an MD5 ETag.
std::optional<std::string> journaled_multipart_etag(const JournalUpload& open,
                                                    std::uint64_t part_count);

// Whether a HeadObject reply shows the object the journal's upload `open` made when completed
// (a run stopped after the Complete and before recording it): `size` bytes, and the ETag
// journaled_multipart_etag gives.
bool is_journaled_completion(const s3::OpResult& head, const JournalUpload& open,
                             std::uint64_t size, std::uint64_t part_count);

void match_resumed_parts(const std::vector<s3::ListedPart>& listed, const JournalUpload& open,
                         const PartPlan& plan, s3::ChecksumAlgorithm checksum,
                         std::vector<s3::CompletedPart>& parts);

// Whether the journal's open upload can be continued with this run's --checksum: it was created
// with the same algorithm (its parts' journaled checksums are of that algorithm). Records older
// than the journaled algorithm are continued as before, as COMPOSITE uploads.
bool resumable_checksum(const JournalUpload& open, s3::ChecksumAlgorithm checksum);

// The CRC of the whole file, combined from the parts' checksums in `parts` (filled in whatever
// order the parts finished, or from the journal) and their planned lengths: the value a
// FULL_OBJECT upload's CompleteMultipartUpload names. nullopt when a part has no checksum of
// that CRC.
std::optional<std::string> full_object_checksum(const std::vector<s3::CompletedPart>& parts,
                                                const PartPlan& plan,
                                                s3::ChecksumAlgorithm checksum);

// What a successful CompleteMultipartUpload reply says the object's checksum is, checked:
// nullopt when it names none or agrees, else a one-line reason (the object exists but its
// checksum is not the file's). A plain value is compared with the full-object checksum of the
// parts; a "...-N" value (a COMPOSITE upload, or a store that ignored FULL_OBJECT) with the
// composite checksum of the parts.
std::optional<std::string> verify_completed_checksum(const s3::OpResult& reply,
                                                     const std::vector<s3::CompletedPart>& parts,
                                                     const PartPlan& plan,
                                                     s3::ChecksumAlgorithm checksum);

}  // namespace s3up::engine
