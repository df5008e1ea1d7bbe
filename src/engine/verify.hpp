// Checking what S3 says it stored against what we sent.
#pragma once
#include "s3/checksum.hpp"
#include "s3/s3_client.hpp"

#include <optional>
#include <string>

namespace s3up::engine {

// S3 echoes the checksum it computed over the bytes it received (x-amz-checksum-*), or for
// Content-MD5 uploads returns the MD5 as the ETag. Returns nullopt when the reply agrees with
// `sent` (or says nothing to compare), else a one-line reason.
std::optional<std::string> verify_stored_checksum(s3::ChecksumAlgorithm algorithm, const std::string& sent,
                                   const s3::OpResult& reply);

}  // namespace s3up::engine
