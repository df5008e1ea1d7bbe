// Path-style routing: /bucket/key?query -> S3 operation.
#pragma once
#include <boost/beast/http/verb.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/stats.hpp"

namespace s3up::testserver {

enum class Internal { None, Stats, ResetStats };

struct Route {
  Operation op = Operation::Unknown;
  Internal internal = Internal::None;
  std::string bucket, key;  // decoded
  std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters
  int part_number = 0;      // 0 when absent; -1 when present but not a number
  std::string upload_id;

  bool has(std::string_view name) const;
  // The value of a parameter, or `fallback`.
  std::string get(std::string_view name, std::string_view fallback = {}) const;
};

// target is the request target as received ("/bucket/key?x=y").
Route route(boost::beast::http::verb method, std::string_view target);

}  // namespace s3up::testserver
