// Finding elements in a pugixml tree by local name, so that a namespace prefix ("s3:Key") or a
// default namespace does not matter: the XML replies of S3 and of STS are read this way.
#pragma once
#include <pugixml.hpp>

#include <string_view>

namespace s3up::util {

// "s3:Key" -> "Key".
inline std::string_view local_name(const char* name) {
  const std::string_view n(name);
  const std::size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// First child element called `name` (namespace prefix ignored); an empty node if none.
inline pugi::xml_node child(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c : parent.children())
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  return {};
}

}  // namespace s3up::util
