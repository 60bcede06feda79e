// SigV4 against the published AWS test suite (aws-sig-v4-test-suite) and the
// IAM documentation's ListUsers example.
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

namespace chat::detail {
namespace {

// The suite's credentials, scope and time.
aws_credentials suite_credentials() {
  aws_credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

std::chrono::system_clock::time_point suite_time() {
  // 2015-08-30T12:36:00Z
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(1440938160));
}

// A suite request: no headers or body beyond what signing adds.
sigv4_request suite_request(
    std::string method, std::string path = "/",
    std::vector<std::pair<std::string, std::string>> query = {}) {
  sigv4_request r;
  r.method = std::move(method);
  r.host = "example.amazonaws.com";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

sigv4_result sign_suite(const sigv4_request& r) {
  return sigv4_sign(r, suite_credentials(), "us-east-1", "service",
                    suite_time());
}

std::string suite_authorization(std::string_view signature) {
  return "AWS4-HMAC-SHA256 "
         "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=" +
         std::string(signature);
}

TEST(Sigv4, GetVanilla) {
  const auto r = sign_suite(suite_request("GET"));
  EXPECT_EQ(r.amz_date, "20150830T123600Z");
  EXPECT_EQ(r.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z"
            "\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
            "aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(r.authorization,
            suite_authorization("5fa00fa31553b73ebf1942676e86291e8372ff2a226095"
                                "6d9b8aae1d763fbf31"));
}

TEST(Sigv4, PostVanilla) {
  const auto r = sign_suite(suite_request("POST"));
  EXPECT_EQ(r.authorization,
            suite_authorization("5da7c1a2acd57cee7505fc6676e4e544621c30862966e3"
                                "7dddb68e92efbe5d6b"));
}

TEST(Sigv4, GetVanillaQueryOrderKeyCase) {
  const auto r = sign_suite(
      suite_request("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}));
  EXPECT_EQ(r.authorization,
            suite_authorization("b97d918cfa904a5beff61c982a1b6f458b799221646efd"
                                "99d3219ec94cdf2500"));
}

TEST(Sigv4, PostVanillaEmptyQueryValue) {
  const auto r = sign_suite(suite_request("POST", "/", {{"Param1", "value1"}}));
  EXPECT_EQ(r.authorization,
            suite_authorization("28038455d6de14eafc1f9222cf5aa6f1a96197d7deb826"
                                "3271d420d138af7f11"));
}

TEST(Sigv4, IamListUsersDocumentationExample) {
  sigv4_request req;
  req.method = "GET";
  req.host = "iam.amazonaws.com";
  req.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
  req.headers = {
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  const auto r =
      sigv4_sign(req, suite_credentials(), "us-east-1", "iam", suite_time());
  EXPECT_EQ(r.authorization,
            "AWS4-HMAC-SHA256 "
            "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924"
            "a6f2b5d7");
}

TEST(Sigv4, SessionTokenIsSigned) {
  auto creds = suite_credentials();
  creds.session_token = "token";
  const auto r = sigv4_sign(suite_request("GET"), creds, "us-east-1",
                            "execute-api", suite_time());
  EXPECT_EQ(r.security_token, "token");
  EXPECT_NE(r.authorization.find("SignedHeaders=host;x-amz-date;"
                                 "x-amz-security-token,"),
            std::string::npos);
}

TEST(Sigv4, PathIsEncodedAgainForTheCanonicalRequest) {
  // What API Gateway's @connections paths look like on the wire: a
  // connection id ends in '=' and is sent as %3D.
  const auto r = sign_suite(
      suite_request("POST", "/prod/@connections/L0SM9cOFvHcCIhw%3D"));
  EXPECT_TRUE(r.canonical_request.starts_with(
      "POST\n/prod/%40connections/L0SM9cOFvHcCIhw%253D\n"));
}

TEST(Sigv4, UriEncode) {
  EXPECT_EQ(uri_encode("a-b_c.d~e f/g=", false), "a-b_c.d~e%20f%2Fg%3D");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
}

}  // namespace
}  // namespace chat::detail
