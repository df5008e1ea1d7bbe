// When temporary credentials are renewed: a margin before their expiration that scales with their
// lifetime (minutes for hour-long credentials, seconds for ones that live 20 s), so that no
// request is signed with credentials about to lapse, and a backoff for failed refreshes.
#pragma once
#include <chrono>

namespace s3up::auth {

using SysTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

struct RefreshTiming {
  SysTime refresh_at;  // start renewing here (the refresher wakes up)
  SysTime expires;     // the credentials' expiration
};

// Credentials fetched at `fetched` that expire at `expires`: renew when a quarter of their
// lifetime is left, but at most 15 minutes and at least 1 s before they expire (never before
// `fetched`). A lifetime of 1 h renews 15 min early; 20 s renews 5 s early.
RefreshTiming plan_refresh(SysTime fetched, SysTime expires);

// The wait before refresh attempt number `failures` + 1 after `failures` failed ones (1-based):
// 1 s, 2 s, 4 s... capped at 30 s and at a quarter of the time left before `expires` (at least
// 100 ms), so that several attempts fit before the credentials lapse.
Millis refresh_retry_delay(int failures, SysTime now, SysTime expires);

}  // namespace s3up::auth
