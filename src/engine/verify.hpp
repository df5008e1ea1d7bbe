// Checking what S3 says it stored against what we sent.
#pragma once
#include "s3/checksum.hpp"
#include "s3/s3_client.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace s3up::engine {

// S3 echoes the checksum it computed over the bytes it received (x-amz-checksum-*), or for
// Content-MD5 uploads returns the MD5 as the ETag. Returns nullopt when the reply agrees with
// `sent` (or says nothing to compare), else a one-line reason.
std::optional<std::string> verify_stored_checksum(s3::ChecksumAlgorithm algorithm, const std::string& sent,
                                   const s3::OpResult& reply);

// A successful reply whose stored checksum differs from the one sent (`reason`, from
// verify_stored_checksum), turned into a retryable failure of `what` ("PutObject", "UploadPart
// 3"): the body was corrupted on the way, and is sent again (re-read, re-hashed) like after a
// reset, within --retries.
s3::OpResult corrupted(s3::OpResult reply, std::string_view what, const std::string& reason);

}  // namespace s3up::engine
