#include "util/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace s3up::util {

std::uint64_t raise_open_files_limit(std::uint64_t ceiling) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const rlim_t wanted =
      limit.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(ceiling)
                                      : std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(ceiling));
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    struct rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? ceiling : static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace s3up::util

namespace s3up::util {

std::size_t requests_for_open_files(std::uint64_t open_files) {
  if (open_files <= kFilesReserved + 2) return 1;
  return static_cast<std::size_t>((open_files - kFilesReserved) / 2);
}

}  // namespace s3up::util
