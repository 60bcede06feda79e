// Two chat::server nodes joined through a real nats-server on 127.0.0.1:
// presence answered cluster-wide, a service send reaching a user on the
// other node, readiness following the bus.
#include <chat/server.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace chat::test {
namespace {

using namespace std::chrono_literals;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// nats-server -js on 127.0.0.1, killed with the test.
class nats_server {
 public:
  nats_server() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("chat-nats-" + std::to_string(::getpid()) + "-" +
            std::to_string(port_));
    std::filesystem::create_directories(dir_);
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p",
               port.c_str(), "-js", "-sd", dir_.c_str(), "-l", "/dev/null",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~nats_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string url() const {
    return "nats://127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::uint16_t port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

config node(const nats_server& n, std::string id) {
  config c;
  c.listen = "127.0.0.1:0";
  c.threads = 1;
  c.node_id = std::move(id);
  c.nats = {n.url()};
  return c;
}

// Polls `f` up to 20 s (bounded by count, no timing assertion).
template <class F>
bool eventually(F f) {
  for (int i = 0; i < 400; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// A nats-server and two nodes joined to it, started and ready.
class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(a.start());
    ASSERT_FALSE(b.start());
    ASSERT_TRUE(eventually([&] { return a.ready() && b.ready(); }));
  }
  nats_server nats;
  server a{node(nats, "na")};
  server b{node(nats, "nb")};
};

TEST_F(Cluster, PresenceIsAnsweredClusterWide) {
  auto alice = a.attach("alice", [](const v1::ServerFrame&) {});
  ASSERT_TRUE(alice);
  EXPECT_TRUE(eventually([&] { return b.online("alice"); }));
  EXPECT_TRUE(a.online("alice"));
  EXPECT_FALSE(b.online("zed"));
  EXPECT_EQ(b.connections("alice"), 0u);  // local count stays local
  alice->close();
  EXPECT_TRUE(eventually([&] { return !b.online("alice"); }));
}

TEST_F(Cluster, ServiceSendReachesAUserOnAnotherNode) {
  std::atomic<int> got{0};
  std::string text;
  auto bob = a.attach("bob", [&](const v1::ServerFrame& f) {
    if (f.has_message()) {
      text = f.message().text();
      got.fetch_add(1);
    }
  });
  ASSERT_TRUE(bob);
  ASSERT_TRUE(eventually([&] { return b.online("bob"); }));
  v1::Send s;
  s.set_id("s-1");
  s.set_to("bob");
  s.set_text("from b");
  const auto answer = b.send("system", s);
  ASSERT_TRUE(answer.has_sent()) << answer.ShortDebugString();
  EXPECT_EQ(answer.sent().status(), v1::Sent::DELIVERED);
  ASSERT_TRUE(eventually([&] { return got.load() == 1; }));
  EXPECT_EQ(text, "from b");
}

TEST(ClusterAlone, NotReadyUntilTheBusIsUp) {
  config c;
  c.listen = "127.0.0.1:0";
  c.threads = 1;
  c.nats = {"nats://127.0.0.1:" + std::to_string(free_port())};
  server s(c);
  ASSERT_FALSE(s.start());  // keeps trying in the background
  EXPECT_FALSE(s.ready());
  v1::Send send;
  send.set_id("s-1");
  send.set_to("nobody");
  send.set_text("hi");
  const auto answer = s.send("system", send);
  ASSERT_TRUE(answer.has_error()) << answer.ShortDebugString();
  EXPECT_EQ(answer.error().code(), v1::Error::UNAVAILABLE);
  EXPECT_EQ(answer.error().id(), "s-1");
}

}  // namespace
}  // namespace chat::test
