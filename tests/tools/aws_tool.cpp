// aws_tool: the AWS plumbing from the command line, for the Python tests
// that check it against botocore and moto.
//
//   aws_tool sign METHOD CALLBACK_URL CONNECTION_ID EPOCH_SECONDS [BODY]
//     prints the request target, then the Authorization header that
//     connections_client sends for that @connections call at that time,
//     with the AWS_* environment credentials.
//   aws_tool call CALLBACK_URL post|get|delete CONNECTION_ID [DATA]
//     makes one @connections call and prints "STATUS BODY".
//   aws_tool call CALLBACK_URL burst N
//     POSTs to ids c0 .. c{N-1} all at once and prints how many got 200.
// Credentials as chatd finds them: the AWS_* variables, else the ECS
// endpoint.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <future>
#include <string>

#include "aws/connections_client.hpp"
#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"

namespace {

using namespace chat::detail;

int sign(int argc, char** argv) {
  if (argc < 6) return 2;
  const auto creds = credentials_from_env();
  if (!creds) {
    std::fputs("aws_tool: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n",
               stderr);
    return 2;
  }
  const auto url = parse_aws_url(argv[3]);
  if (!url) return 2;
  sigv4_request req;
  req.method = argv[2];
  req.host = url->host_header();
  req.path = connections_target(*url, argv[4]);
  if (argc > 6) req.payload = argv[6];
  const auto t = std::chrono::system_clock::time_point(
      std::chrono::seconds(std::stoll(argv[5])));
  const auto r =
      sigv4_sign(req, *creds, signing_region(*url), "execute-api", t);
  std::printf("%s\n%s\n", req.path.c_str(), r.authorization.c_str());
  return 0;
}

int call(int argc, char** argv) {
  if (argc < 5) return 2;
  const auto url = parse_aws_url(argv[2]);
  if (!url) {
    std::fputs("aws_tool: bad callback URL\n", stderr);
    return 2;
  }
  boost::asio::io_context ioc;
  connections_client::options o;
  o.callback = *url;
  o.region = signing_region(*url);
  o.credentials = credentials_from_env();
  if (!o.credentials) o.ecs = ecs_endpoint_from_env();
  o.max_attempts = 3;
  auto client = std::make_shared<connections_client>(
      ioc, o, [](chat::log_level, std::string_view t) {
        std::fprintf(stderr, "%.*s\n", static_cast<int>(t.size()), t.data());
      });
  connections_result result;
  const std::string verb = argv[3];
  const auto done = [&](const connections_result& r) { result = r; };
  if (verb == "burst") {
    const int n = std::stoi(argv[4]);
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      client->post("c" + std::to_string(i), "x",
                   [&](const connections_result& r) { ok += r.status == 200; });
    }
    ioc.run_for(std::chrono::seconds(30));
    std::printf("%d\n", ok);
    return 0;
  }
  if (verb == "post") {
    client->post(argv[4], argc > 5 ? argv[5] : "", done);
  } else if (verb == "get") {
    client->get(argv[4], done);
  } else if (verb == "delete") {
    client->remove(argv[4], done);
  } else {
    return 2;
  }
  ioc.run_for(std::chrono::seconds(20));
  if (result.ec) {
    std::fprintf(stderr, "aws_tool: %s\n", result.ec.message().c_str());
    return 1;
  }
  std::printf("%u %s\n", result.status, result.body.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  int rc = 2;
  if (cmd == "sign") rc = sign(argc, argv);
  if (cmd == "call") rc = call(argc, argv);
  if (rc == 2) std::fputs("usage: see the comment in aws_tool.cpp\n", stderr);
  return rc;
}
