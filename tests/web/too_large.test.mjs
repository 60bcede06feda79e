// A message over the server's 128 KiB limit shows the server's reason; the
// page reconnects and goes on, and bob is not disturbed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Person, fixture } from "./support.mjs";

const env = fixture();

test("an oversized message fails with MESSAGE_TOO_LARGE", async () => {
  const alice = await Person.signIn(env.browser, env.chatd, "alice");
  const bob = await Person.signIn(env.browser, env.chatd, "bob");
  const bobId = await bob.connectionId();
  const aliceId = await alice.connectionId();
  await alice.openChat("bob");
  await alice.say("small first");
  await bob.page.getByRole("button", { name: /alice/ }).getByLabel("1 unread").waitFor();

  const big = `big ${"x".repeat(140 * 1024)}`;
  await alice.say(big);
  const failed = alice.log().locator('li.message[data-state="failed"]');
  await failed.waitFor();
  const reason = await failed.locator(".state").textContent();
  assert.match(reason, /^failed: MESSAGE_TOO_LARGE/);
  // chatd closes the WebSocket with 1009 (docs/protocol.md §1.3); a server
  // that answers with an error frame instead shows its own message.
  const frame = alice.received.find((f) => f.error?.code === "MESSAGE_TOO_LARGE");
  if (!frame) assert.match(reason, /1009/);
  await failed.getByRole("button", { name: /Send again/ }).waitFor();

  // The page reconnects and the conversation goes on.
  await alice.waitOnline();
  await alice.say("small after");
  await alice.waitState("small after", "delivered");
  await bob.page.getByRole("button", { name: /alice/ }).getByLabel("2 unread").waitFor();
  assert.deepEqual(bob.messagesReceived().map((m) => m.text), ["small first", "small after"]);
  assert.equal(await bob.connectionId(), bobId);
  if (!frame) assert.notEqual(await alice.connectionId(), aliceId);
  // It stays failed: never resent after the reconnect.
  const bigSends = alice.sent.filter((f) => f.send?.text === big);
  assert.equal(bigSends.length, 1);
  assert.equal(await alice.log().locator('li.message[data-state="failed"]').count(), 1);
});
