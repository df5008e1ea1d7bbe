// Credentials from the container endpoint: ECS task roles (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)
// and EKS Pod Identity or any local agent (AWS_CONTAINER_CREDENTIALS_FULL_URI with
// AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).
#pragma once
#include <optional>
#include <string>

#include "auth/http_fetch.hpp"
#include "auth/provider.hpp"
#include "s3/aws_config.hpp"

namespace s3up::auth {

struct ContainerSettings {
  std::string url;                         // full URL of the credentials document
  std::optional<std::string> token;        // Authorization header value
  std::optional<std::string> token_file;   // re-read at every fetch; wins over `token`
  HttpSettings http;
};

// From the environment, as the SDKs: RELATIVE_URI is appended to http://169.254.170.2 and wins
// over FULL_URI. A FULL_URI must be https, or http to a loopback address (127.0.0.0/8, ::1,
// localhost) or to the ECS/EKS agent addresses 169.254.170.2, 169.254.170.23, fd00:ec2::23.
// nullopt when neither variable is set; throws ProviderError for a URL that breaks those rules.
std::optional<ContainerSettings> container_settings(const s3::Environment& env);

// GETs the document (with the Authorization header when a token is configured; a token holding
// CR or LF is refused) and parses it with parse_credentials_json. Two attempts, 2 s timeout.
ProviderPtr make_container_provider(ContainerSettings settings);

}  // namespace s3up::auth
