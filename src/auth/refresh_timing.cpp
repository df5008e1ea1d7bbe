#include "auth/refresh_timing.hpp"

#include <algorithm>

namespace s3up::auth {

RefreshTiming plan_refresh(SysTime fetched, SysTime expires) {
  using namespace std::chrono;
  const auto lifetime = duration_cast<Millis>(expires - fetched);
  Millis margin = std::clamp<Millis>(lifetime / 4, seconds(1), minutes(15));
  SysTime at = expires - margin;
  if (at < fetched) at = fetched;
  return {at, expires};
}

Millis refresh_retry_delay(int failures, SysTime now, SysTime expires) {
  using namespace std::chrono;
  const int doublings = std::clamp(failures - 1, 0, 5);
  Millis delay = seconds(1) * (1 << doublings);
  delay = std::min<Millis>(delay, seconds(30));
  const auto left = std::max<Millis>(duration_cast<Millis>(expires - now), Millis(0));
  delay = std::min<Millis>(delay, left / 4);
  return std::max<Millis>(delay, Millis(100));
}

}  // namespace s3up::auth
