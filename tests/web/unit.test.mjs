// The client's logic without a browser: server URLs, backoff, names, and
// the conversation records that keep a resend, a redelivery or a copy from
// being shown twice.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoff, serverUrl, validUserName } from "../../server/web/connection.js";
import { Conversations, bodyText } from "../../server/web/conversations.js";

const page = (href) => new URL(href);

test("the server URL is the page's own /ws unless one is configured", () => {
  assert.equal(serverUrl("", page("http://127.0.0.1:8080/?x=1")), "ws://127.0.0.1:8080/ws");
  assert.equal(serverUrl("", page("https://chat.example/")), "wss://chat.example/ws");
  assert.equal(serverUrl("http://10.0.0.1:9000", page("https://a/")), "ws://10.0.0.1:9000/ws");
  assert.equal(serverUrl("https://b.example/chat", page("http://a/")), "wss://b.example/chat");
  const apigw = "wss://abc.execute-api.eu-west-1.amazonaws.com/prod";
  assert.equal(serverUrl(apigw, page("https://a/")), apigw);
  assert.equal(serverUrl("ftp://x/", page("http://a/")), null);
  assert.equal(serverUrl("http://[bad", page("http://a/")), null);
});

test("backoff doubles from 250 ms to 8 s, with jitter of 20%", () => {
  assert.equal(backoff(0, () => 0.5), 250);
  assert.equal(backoff(1, () => 0.5), 500);
  assert.equal(backoff(5, () => 0.5), 8000);
  assert.equal(backoff(50, () => 0.5), 8000);
  assert.equal(backoff(0, () => 0), 200);
  assert.equal(backoff(0, () => 1), 300);
});

test("user names follow chatd's rule", () => {
  for (const ok of ["a", "alice", "a.b_c-d@e", "x".repeat(64)]) assert.ok(validUserName(ok), ok);
  for (const bad of ["", "x".repeat(65), "a b", "ä", "a/b", "a!"]) assert.ok(!validUserName(bad), bad);
});

test("a resend answered again is one record", () => {
  const c = new Conversations();
  const r = c.addOutgoing("bob", "hi", "p-1");
  assert.deepEqual(c.pending(), [r]);
  assert.equal(c.onSent({ id: "p-1", messageId: "m1", status: "QUEUED" }), r);
  assert.equal(r.state, "queued");
  assert.equal(c.onSent({ id: "p-1", messageId: "m1", status: "DELIVERED" }), r);
  assert.equal(r.state, "delivered");
  assert.deepEqual(c.pending(), []);
  assert.equal(c.conversation("bob").records.length, 1);
  assert.equal(c.onSent({ id: "unknown", messageId: "m9", status: "DELIVERED" }), null);
});

test("states only move up: a late DELIVERED receipt does not undo read", () => {
  const c = new Conversations();
  const r = c.addOutgoing("bob", "hi", "p-1");
  c.onSent({ id: "p-1", messageId: "m1", status: "DELIVERED" });
  assert.equal(c.onReceipt({ messageId: "m1", status: "READ", by: "bob" }), r);
  assert.equal(r.state, "read");
  assert.equal(c.onReceipt({ messageId: "m1", status: "DELIVERED", by: "bob" }), null);
  assert.equal(r.state, "read");
  // A receipt can come before the sent answer: found by the client id.
  const q = c.addOutgoing("bob", "again", "p-2");
  assert.equal(c.onReceipt({ messageId: "m2", id: "p-2", status: "DELIVERED" }), q);
  assert.equal(q.state, "delivered");
  assert.equal(q.messageId, "m2");
});

test("an error answering a send fails it with the server's reason", () => {
  const c = new Conversations();
  const r = c.addOutgoing("bob", "hi", "p-1");
  c.onError({ id: "p-1", code: "RATE_LIMITED", message: "slow down" });
  assert.equal(r.state, "failed");
  assert.deepEqual(r.reason, { code: "RATE_LIMITED", message: "slow down" });
  assert.equal(c.onError({ code: "UNKNOWN_FRAME", message: "x" }), null);
  assert.equal(c.onSent({ id: "p-1", messageId: "m1", status: "DELIVERED" }).state, "failed");
});

test("a redelivered message is shown once, and read once", () => {
  const c = new Conversations();
  const m = { messageId: "m1", from: "alice", to: "bob", text: "hi", sentAt: "2026-01-01T00:00:00Z" };
  assert.equal(c.onMessage(m, "bob").isNew, true);
  assert.equal(c.onMessage({ ...m }, "bob").isNew, false);
  assert.equal(c.unread("alice"), 1);
  assert.equal(c.totalUnread(), 1);
  assert.deepEqual(c.markRead("alice"), ["m1"]);
  assert.deepEqual(c.markRead("alice"), []);
  assert.equal(c.unread("alice"), 0);
});

test("a copy from another device is filed as sent, under the recipient", () => {
  const c = new Conversations();
  const copy = { messageId: "m5", from: "alice", to: "bob", text: "from my phone", copy: true, id: "x-1" };
  const { record, isNew } = c.onMessage(copy, "alice");
  assert.equal(isNew, true);
  assert.equal(record.dir, "out");
  assert.equal(record.peer, "bob");
  assert.equal(record.state, "sent");
  assert.equal(c.unread("bob"), 0);
  assert.equal(c.onReceipt({ messageId: "m5", status: "READ" }).state, "read");
  assert.equal(c.onMessage(copy, "alice").isNew, false);
});

test("1009 fails the largest send written on the closed connection only", () => {
  const c = new Conversations();
  const small = c.addOutgoing("bob", "small", "p-1");
  const big = c.addOutgoing("bob", "x".repeat(1000), "p-2");
  const later = c.addOutgoing("bob", "y".repeat(5000), "p-3");
  small.connection = big.connection = 1;
  later.connection = null; // not written yet
  const reason = { code: "MESSAGE_TOO_LARGE", message: "1009" };
  assert.equal(c.failTooLarge(1, reason), big);
  assert.equal(big.state, "failed");
  assert.deepEqual(c.pending(), [small, later]);
  assert.equal(c.failTooLarge(2, reason), null);
});

test("binary bodies are described, not shown", () => {
  assert.equal(bodyText({ text: "hi" }), "hi");
  assert.equal(bodyText({ data: "AAEC" }), "[3 bytes of binary data]");
  assert.equal(bodyText({ data: "AAE=" }), "[2 bytes of binary data]");
});
