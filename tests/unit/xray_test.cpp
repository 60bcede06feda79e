// X-Ray: the trace header, ids, segment documents, and the UDP emitter
// against a socket standing in for the daemon.
#include "aws/xray.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/json/parse.hpp>

namespace chat::detail {
namespace {

namespace net = boost::asio;

TEST(Xray, ParsesTheTraceHeader) {
  const auto t = parse_trace_header(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
      "Sampled=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->trace_id, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(t->parent_id, "53995c3f42cd8ad8");
  EXPECT_TRUE(t->sampled);
  const auto unsampled =
      parse_trace_header("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled);
  EXPECT_TRUE(unsampled->parent_id.empty());
  EXPECT_FALSE(parse_trace_header(""));
  EXPECT_FALSE(parse_trace_header("Root=2-5759e988-bd862e3fe1be46a994272793"));
  EXPECT_FALSE(parse_trace_header("Root=1-5759e988-bd86"));
}

TEST(Xray, NewIdsHaveTheDocumentedShape) {
  const auto now =
      std::chrono::system_clock::time_point(std::chrono::seconds(0x5759e988));
  const std::string id = new_trace_id(now);
  EXPECT_TRUE(parse_trace_header("Root=" + id)) << id;
  EXPECT_TRUE(id.starts_with("1-5759e988-")) << id;
  EXPECT_EQ(new_segment_id().size(), 16u);
  EXPECT_NE(new_segment_id(), new_segment_id());
}

xray_segment sample_subsegment() {
  xray_segment s;
  s.name = "execute-api";
  s.id = "70de5b6f19ff9a0a";
  s.trace = {"1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true};
  s.start = std::chrono::system_clock::time_point(std::chrono::seconds(100));
  s.end = s.start + std::chrono::milliseconds(250);
  s.subsegment = true;
  s.method = "POST";
  s.url = "https://x/prod/@connections/a%3D";
  s.status = 429;
  s.aws_operation = "PostToConnection";
  return s;
}

TEST(Xray, SubsegmentDocument) {
  const auto doc = boost::json::parse(format_segment(sample_subsegment()));
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("type"), "subsegment");
  EXPECT_EQ(o.at("namespace"), "aws");
  EXPECT_EQ(o.at("parent_id"), "53995c3f42cd8ad8");
  EXPECT_EQ(o.at("trace_id"), "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_DOUBLE_EQ(o.at("start_time").as_double(), 100.0);
  EXPECT_DOUBLE_EQ(o.at("end_time").as_double(), 100.25);
  EXPECT_EQ(o.at("http").at("response").at("status"), 429);
  EXPECT_EQ(o.at("throttle"), true);
  EXPECT_EQ(o.at("error"), true);
  EXPECT_EQ(o.at("aws").at("operation"), "PostToConnection");
}

TEST(Xray, EmitterSendsHeaderLineThenDocument) {
  net::io_context ioc;
  net::ip::udp::socket daemon(ioc, {net::ip::make_address("127.0.0.1"), 0});
  auto emitter = std::make_shared<xray_emitter>(ioc);
  ASSERT_FALSE(emitter->open("127.0.0.1:" +
                             std::to_string(daemon.local_endpoint().port())));
  emitter->emit(sample_subsegment());
  ioc.run_for(std::chrono::seconds(1));
  char buf[4096];
  const std::size_t n = daemon.receive(net::buffer(buf));
  const std::string packet(buf, n);
  const std::string header = "{\"format\":\"json\",\"version\":1}\n";
  ASSERT_TRUE(packet.starts_with(header)) << packet;
  EXPECT_EQ(boost::json::parse(packet.substr(header.size())).at("id"),
            "70de5b6f19ff9a0a");
}

TEST(Xray, DaemonAddressForms) {
  net::io_context ioc;
  EXPECT_FALSE(std::make_shared<xray_emitter>(ioc)->open(
      "tcp:127.0.0.1:2000 udp:127.0.0.1:2001"));
  EXPECT_TRUE(std::make_shared<xray_emitter>(ioc)->open("nonsense"));
}

}  // namespace
}  // namespace chat::detail
