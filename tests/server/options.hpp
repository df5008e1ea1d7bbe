// Command line of s3-testserver.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "server/faults.hpp"

namespace s3up::testserver {

// How the flexible checksum headers (x-amz-checksum-*, x-amz-sdk-checksum-algorithm) are
// treated: as AWS does, or as the stores that do not (for s3up's integrity negotiation tests).
enum class ChecksumSupport {
  Full,             // verified, stored, echoed (AWS)
  Ignored,          // accepted with any value, neither verified, stored nor echoed (Ceph RGW 16)
  UnsupportedHeader,  // 400 InvalidArgument "Unsupported header" for any of them (Backblaze B2)
  NotImplemented,   // 501 NotImplemented for any of them (Cloudflare R2, for algorithms it lacks)
};

struct Options {
  std::uint16_t port = 0;  // 0: the system picks one
  int threads = 2;
  std::string root;        // objects stored as files under this folder
  bool discard = false;    // keep only sizes, ETags and metadata
  std::vector<std::string> buckets;
  std::string access_key;  // empty: no signature checks
  std::string region;      // empty: any signing region is accepted
  std::string secret_key;  // from S3_TESTSERVER_SECRET, never printed
  std::string tls_cert, tls_key;
  double fault_rate = 0;
  std::vector<FaultKind> faults;
  std::uint64_t seed = 1;
  int stall_seconds = 60;
  int clock_skew = 0;  // seconds added to the server's clock (Date, RequestTimeTooSkewed)
  std::vector<FailKey> fail_keys;
  std::uint64_t min_part_size = 5ull << 20;
  std::string log_file;
  bool no_etag_md5 = false;
  ChecksumSupport checksum_support = ChecksumSupport::Full;
};

// Parses argv. On --help prints usage and exits 0; on a bad command line prints the reason to
// stderr and exits 2.
Options parse_options(int argc, char** argv);

}  // namespace s3up::testserver
