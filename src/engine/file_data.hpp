// Reading file bytes for upload, refusing torn data: the file must still be the one the walker
// listed (same size and modification time) before and after the read.
#pragma once
#include "s3/checksum.hpp"
#include "walker/file_reader.hpp"
#include "walker/walker.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace s3up::engine {

// Reads `length` bytes at `offset` of the entry's file into `out`. Returns nullopt on success,
// else a one-line reason (open failure, changed since listed, changed while read, short read).
std::optional<std::string> read_range(const walker::Entry& entry, std::uint64_t offset, std::span<char> out);

// A body read for upload with its digests: `problem` as read_range's; `checksum` by the
// --checksum algorithm (empty for none); `sha256` the hex SHA-256 when requests sign their
// payload (plain HTTP), else empty.
struct ReadDigest {
  std::optional<std::string> problem;
  std::string checksum;
  std::string sha256;
};

// read_range, then the digests of what was read.
ReadDigest read_and_digest(const walker::Entry& entry, std::uint64_t offset, std::span<char> out,
                           s3::ChecksumAlgorithm algorithm, bool sha256);

// Memory for file data, allocated without zero-filling.
struct DataBuffer {
  explicit DataBuffer(std::size_t size) : data(size ? new char[size] : nullptr), size(size) {}
  std::unique_ptr<char[]> data;
  std::size_t size;
  std::span<char> span() { return {data.get(), size}; }
};

}  // namespace s3up::engine
