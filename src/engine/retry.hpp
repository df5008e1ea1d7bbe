// Retry timing: capped exponential backoff with full jitter (the AWS SDKs' policy).
#pragma once
#include <chrono>
#include <cstdint>

namespace s3up::engine {

struct RetryPolicy {
  int max_retries = 5;  // attempts after the first
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{20'000};

  // Delay before retry number `retry` (1-based): uniform in [0, min(cap, base * 2^(retry-1))].
  std::chrono::milliseconds delay(int retry) const;
};

}  // namespace s3up::engine
