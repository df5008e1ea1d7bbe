// parse_sts_credentials and sts_error_text (declared in sts.hpp): reading STS's XML replies,
// apart from the requests so that they can be tested and fuzzed without the network code.
#include <pugixml.hpp>

#include "auth/sts.hpp"
#include "auth/support.hpp"
#include "auth/time_format.hpp"
#include "s3/sigv4.hpp"
#include "util/xml_nodes.hpp"

namespace s3up::auth {
namespace {

using util::child;
using util::local_name;

// The text of an element, every white-space character removed (AWS's documented examples wrap
// long tokens over several lines).
std::string compact_text(pugi::xml_node node) {
  std::string out;
  for (const char* p = node.text().get(); *p != '\0'; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') out.push_back(*p);
  return out;
}

pugi::xml_node load(pugi::xml_document& doc, std::string_view xml) {
  if (xml.empty()) return {};
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto)) return {};
  return doc.document_element();
}

}  // namespace

s3::Credentials parse_sts_credentials(std::string_view xml, std::string_view action) {
  pugi::xml_document doc;
  const pugi::xml_node root = load(doc, xml);
  if (!root) throw ProviderError("the STS reply is not XML");
  if (local_name(root.name()) == "ErrorResponse") {
    const std::string text = sts_error_text(xml);
    throw ProviderError("STS answered an error" + (text.empty() ? std::string() : " " + text));
  }
  const std::string action_name(action);
  if (local_name(root.name()) != action_name + "Response")
    throw ProviderError("the STS reply is not an " + action_name + "Response");
  const pugi::xml_node creds = child(child(root, action_name + "Result"), "Credentials");
  if (!creds) throw ProviderError("the STS reply holds no credentials");
  s3::Credentials out;
  out.access_key_id = compact_text(child(creds, "AccessKeyId"));
  out.secret_access_key = compact_text(child(creds, "SecretAccessKey"));
  out.session_token = compact_text(child(creds, "SessionToken"));
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.session_token.empty())
    throw ProviderError("the STS reply's credentials are incomplete");
  const auto expiration = parse_iso8601(child(creds, "Expiration").text().get());
  if (!expiration) throw ProviderError("the STS reply's credentials have no valid Expiration");
  out.expiration = *expiration;
  return out;
}

std::string sts_error_text(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_node root = load(doc, xml);
  if (!root || local_name(root.name()) != "ErrorResponse") return {};
  const pugi::xml_node error = child(root, "Error");
  // One line each: white space (line breaks included) collapsed.
  const std::string code = s3::canonical_header_value(child(error, "Code").text().get());
  const std::string message = s3::canonical_header_value(child(error, "Message").text().get());
  if (code.empty()) return detail::clip(message);
  return message.empty() ? code : code + ": " + detail::clip(message);
}

}  // namespace s3up::auth
