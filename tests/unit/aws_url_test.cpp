// Callback URLs, regions and ECS credentials: the pure parts of the AWS
// plumbing.
#include <gtest/gtest.h>

#include "aws/credentials.hpp"
#include "aws/endpoint.hpp"

namespace chat::detail {
namespace {

TEST(AwsUrl, HttpsStageUrl) {
  const auto u =
      parse_aws_url("https://abc123.execute-api.eu-west-1.amazonaws.com/prod");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "abc123.execute-api.eu-west-1.amazonaws.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->path, "/prod");
  EXPECT_EQ(u->host_header(), u->host);
  EXPECT_EQ(execute_api_region(u->host), "eu-west-1");
}

TEST(AwsUrl, WssInvokeUrlGivesTheHttpsCallback) {
  const auto u =
      parse_aws_url("wss://abc123.execute-api.us-west-2.amazonaws.com/dev/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->path, "/dev");
  EXPECT_EQ(signing_region(*u), "us-west-2");
}

TEST(AwsUrl, ConnectionsSuffixAndPortsAreHandled) {
  const auto u = parse_aws_url("http://127.0.0.1:4510/stage/@connections");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "4510");
  EXPECT_EQ(u->path, "/stage");
  EXPECT_EQ(u->host_header(), "127.0.0.1:4510");
  const auto root = parse_aws_url("ws://localhost");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->port, "80");
  EXPECT_EQ(root->path, "");
}

TEST(AwsUrl, RejectsWhatIsNotACallbackUrl) {
  EXPECT_FALSE(parse_aws_url("ftp://x/y"));
  EXPECT_FALSE(parse_aws_url("abc.execute-api.us-east-1.amazonaws.com"));
  EXPECT_FALSE(parse_aws_url("https://"));
  EXPECT_FALSE(parse_aws_url("https://h:port/x"));
  EXPECT_FALSE(parse_aws_url("https://h/x?y=1"));
  EXPECT_FALSE(parse_aws_url("https://user@h/x"));
}

TEST(AwsUrl, RegionOnlyFromExecuteApiHosts) {
  EXPECT_EQ(execute_api_region("a.execute-api.cn-north-1.amazonaws.com.cn"),
            "cn-north-1");
  EXPECT_EQ(execute_api_region("a.execute-api.us-east-1.example.com"), "");
  EXPECT_EQ(execute_api_region("127.0.0.1"), "");
}

TEST(EcsCredentials, ParsesTheTaskRoleAnswer) {
  const auto c = parse_ecs_credentials(
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t",)"
      R"("Expiration":"2026-11-27T22:00:00Z","RoleArn":"arn:x"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ASIA1");
  EXPECT_EQ(c->secret_access_key, "s");
  EXPECT_EQ(c->session_token, "t");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(c->expiration), 1795816800);
}

TEST(EcsCredentials, RefusesIncompleteAnswers) {
  EXPECT_FALSE(parse_ecs_credentials("not json"));
  EXPECT_FALSE(parse_ecs_credentials(R"({"AccessKeyId":"a"})"));
  EXPECT_FALSE(parse_ecs_credentials(
      R"({"AccessKeyId":"a","SecretAccessKey":"s","Expiration":"soon"})"));
}

}  // namespace
}  // namespace chat::detail
