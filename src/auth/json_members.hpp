// Reading the members of the JSON documents credential providers return (IMDS, container,
// credential_process, the SSO token cache and portal reply).
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace s3up::auth {

// A non-empty string member of `object`, or nullptr.
inline const boost::json::string* string_member(const boost::json::object& object,
                                                const char* key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return nullptr;
  return &value->get_string();
}

}  // namespace s3up::auth
