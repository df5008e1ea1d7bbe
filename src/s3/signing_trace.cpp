#include "s3/signing_trace.hpp"

#include <boost/json.hpp>

#include <cstdlib>

namespace s3up::s3 {
namespace {

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "<redacted>");
  return text;
}

}  // namespace

std::unique_ptr<SigningTrace> SigningTrace::from_environment() {
  const char* path = std::getenv("S3UP_DEBUG_SIGNING");
  if (path == nullptr || *path == '\0') return nullptr;
  return std::unique_ptr<SigningTrace>(new SigningTrace(path));
}

void SigningTrace::record(const RequestToSign& request, const Signature& signature,
                          const std::string& session_token) {
  boost::json::array headers;
  for (const auto& [name, value] : request.headers)
    headers.push_back(boost::json::array{name.c_str(), redact(value, session_token)});
  const boost::json::object line{
      {"method", request.method},
      {"path", request.path},
      {"query", request.query},
      {"headers", std::move(headers)},
      {"payload_hash", request.payload_hash},
      {"canonical_request", redact(signature.canonical_request, session_token)},
      {"string_to_sign", signature.string_to_sign},
      {"signature", signature.signature},
  };
  std::lock_guard lock(mutex_);
  out_ << boost::json::serialize(line) << '\n';
  out_.flush();
}

}  // namespace s3up::s3
