// Where SigV4 credentials come from: the standard AWS environment variables,
// or the ECS task-role endpoint. The parsing here is pure; the endpoint is
// fetched asynchronously by connections_client.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/endpoint.hpp"
#include "aws/sigv4.hpp"

namespace chat::detail {

/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, when the
/// first two are set.
std::optional<aws_credentials> credentials_from_env();

/// The ECS task-role endpoint named by AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
/// (on 169.254.170.2) or _FULL_URI, with the Authorization header value from
/// AWS_CONTAINER_AUTHORIZATION_TOKEN.
struct ecs_endpoint {
  aws_url url;
  std::string target;  ///< Path and query to GET.
  std::string authorization;
};
std::optional<ecs_endpoint> ecs_endpoint_from_env();

/// Parses the endpoint's answer: {"AccessKeyId", "SecretAccessKey",
/// "Token", "Expiration": "2026-11-27T22:00:00Z"}.
std::optional<aws_credentials> parse_ecs_credentials(std::string_view json);

/// The region to sign for: the callback host's, else AWS_REGION, else
/// AWS_DEFAULT_REGION, else us-east-1.
std::string signing_region(const aws_url& callback);

}  // namespace chat::detail
