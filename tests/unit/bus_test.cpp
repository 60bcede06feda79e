// bus: subject tokens for user names, and the inbox record format.
#include "bus/cluster.hpp"
#include "bus/subject.hpp"

#include <gtest/gtest.h>

namespace chat::detail::bus {
namespace {

TEST(Subject, EscapesWhatATokenCannotHold) {
  EXPECT_EQ(escape_token("alice"), "alice");
  EXPECT_EQ(escape_token("a.b"), "a%2Eb");
  EXPECT_EQ(escape_token("x*y>z w%"), "x%2Ay%3Ez%20w%25");
  EXPECT_EQ(escape_token("tab\there"), "tab%09here");
  EXPECT_EQ(escape_token("\xff"), "%FF");
}

TEST(Subject, UnescapeInvertsEscape) {
  for (const std::string name :
       {"alice", "a.b.c", "bob@example.com", "%2E", "x*y>z w", "-_.@"}) {
    EXPECT_EQ(unescape_token(escape_token(name)), name) << name;
  }
}

TEST(Subject, MalformedTokensUnescapeToNothing) {
  EXPECT_EQ(unescape_token("a%2"), "");
  EXPECT_EQ(unescape_token("a%zz"), "");
  EXPECT_EQ(unescape_token("a.b"), "");
  EXPECT_EQ(unescape_token("%"), "");
}

TEST(Subject, UserSubjectsAreOneTokenEach) {
  EXPECT_EQ(inbox_subject("u.1"), "chat.inbox.u%2E1");
  EXPECT_EQ(live_subject("u.1"), "chat.live.u%2E1");
  EXPECT_EQ(node_subject("n-1"), "chat.node.n-1");
  EXPECT_EQ(user_of("chat.inbox.u%2E1"), "u.1");
  EXPECT_EQ(user_of("chat.live.bob"), "bob");
  EXPECT_EQ(user_of("chat.node.bob"), "");
}

TEST(InboxRecord, PackThenUnpack) {
  v1::ServerFrame f;
  f.mutable_message()->set_from("a");
  f.mutable_message()->set_text("hi\n0:");
  const std::string data = cluster::pack("c:1\n", f);
  std::string id;
  v1::ServerFrame back;
  ASSERT_TRUE(cluster::unpack(data, id, back));
  EXPECT_EQ(id, "c:1\n");
  EXPECT_EQ(back.message().text(), "hi\n0:");
}

TEST(InboxRecord, RefusesMalformedRecords) {
  std::string id;
  v1::ServerFrame f;
  EXPECT_FALSE(cluster::unpack("", id, f));
  EXPECT_FALSE(cluster::unpack("5:ab", id, f));
  EXPECT_FALSE(cluster::unpack("x:", id, f));
  EXPECT_FALSE(cluster::unpack("0:", id, f));  // no message, no receipt
}

}  // namespace
}  // namespace chat::detail::bus
