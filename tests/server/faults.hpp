// Fault injection: random faults drawn deterministically from a seed, and permanent faults for
// keys matching a glob.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace s3up::testserver {

enum class FaultKind {
  None,
  InternalError,  // "500": 500 InternalError, nothing stored
  SlowDown,       // "503": 503 SlowDown, nothing stored
  ResetBefore,    // "reset-before": connection reset before the body is read
  ResetMid,       // "reset-mid": part of the body read, then the connection is reset
  Stall,          // "stall": no answer for --stall-seconds, then the connection is closed
  Truncate,       // "truncate": a reply shorter than its Content-Length, then close
  CompleteError,  // "complete-error": 200 with an <Error> body, CompleteMultipartUpload only
  Corrupt,        // "corrupt": a byte of the body flipped as received, then verified as usual
                  // (BadDigest, XAmzContentSHA256Mismatch): a bit flip on the way
  CorruptEcho,    // "corrupt-echo": a byte flipped, nothing verified, the checksums of what was
                  // stored echoed: a store that does not verify, seen through its echo
  // Hostile and broken servers (see README.md, "Faults"):
  StallBody,      // "stall-body": half the body read, then nothing read for --stall-seconds
  StallReply,     // "stall-reply": carried out, then half the reply's header sent and held
  LengthLong,     // "length-long": carried out, Content-Length 1 KiB more than sent, kept open
  LengthShort,    // "length-short": carried out, Content-Length half the body, the whole body
                  // sent, then a forged 200 on the same connection
  EndlessHeader,  // "endless-header": a reply header line that never ends
  ContinueEarly,  // "continue-early": an unasked-for 100 Continue before the real reply
  ContinueStall,  // "continue-stall": 100 Continue, then neither read nor reply
  Unsolicited,    // "unsolicited": after the reply, a forged 200 for a request not yet sent
  IdleClose,      // "idle-close": the reply says keep-alive, the connection is closed right
                  // after it (while the client holds it idle)
  Empty200,       // "empty-200": not carried out, 200 with an empty body and no ETag
  Garbage200,     // "garbage-200": not carried out, 200 with a body of garbage and no ETag
};

// Whether a fault kind means the request is not carried out at all (its body is drained and
// thrown away), whatever the operation.
bool skips_operation(FaultKind kind);

// "500", "503", "reset-before", ...; nullopt for an unknown name.
std::optional<FaultKind> parse_fault_kind(std::string_view name);
std::string_view fault_name(FaultKind kind);  // "-" for None

// --fail-key GLOB[=STATUS]: every request for a key matching GLOB (fnmatch, '*' also matches
// '/') fails with STATUS (500 InternalError by default, 403 AccessDenied, 503 SlowDown).
struct FailKey {
  std::string glob;
  int status = 500;
};
std::optional<FailKey> parse_fail_key(std::string_view text);

// What one request is to suffer.
struct FaultDecision {
  FaultKind kind = FaultKind::None;
  int permanent_status = 0;  // != 0: a --fail-key match (kind is None then)
  std::uint64_t salt = 0;    // random bits of the draw, for faults that need a number
};

class FaultInjector {
 public:
  FaultInjector(std::uint64_t seed, double rate, std::vector<FaultKind> kinds,
                std::vector<FailKey> fail_keys);

  bool active() const { return rate_ > 0 && !kinds_.empty(); }

  // The fault for one request. The random draw depends only on (seed, method, bucket/key,
  // part number, how many requests with that key and part number came before), so a rerun
  // with the same seed and the same requests per key sees the same faults whatever the
  // interleaving. `object_request` is false for bucket and service requests, which
  // --fail-key never matches. complete-error is only drawn for CompleteMultipartUpload.
  FaultDecision decide(std::string_view method, std::string_view bucket, std::string_view key,
                       int part_number, bool object_request, bool is_complete);

 private:
  std::uint64_t seed_;
  double rate_;
  std::vector<FaultKind> kinds_;
  std::vector<FailKey> fail_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint32_t> attempts_;
};

}  // namespace s3up::testserver
