// A message to someone who is not signed in shows queued, and turns
// delivered when they sign in and receive it (once).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Person, fixture } from "./support.mjs";

const env = fixture();

test("queued while dave is offline, delivered when he signs in", async () => {
  const alice = await Person.signIn(env.browser, env.chatd, "alice");
  // Dave was online once, so the server knows him; now he is gone.
  const before = await Person.signIn(env.browser, env.chatd, "dave");
  await before.close();

  await alice.openChat("dave");
  await alice.say("are you there, dave?");
  await alice.waitState("are you there", "queued");
  assert.equal(await alice.message("are you there").locator(".state").textContent(),
    "queued: dave is offline");
  const sent = alice.received.find((f) => f.sent)?.sent;
  assert.equal(sent.status, "QUEUED");

  const dave = await Person.signIn(env.browser, env.chatd, "dave");
  const row = dave.page.getByRole("button", { name: /alice/ });
  await row.getByLabel("1 unread").waitFor();
  await alice.waitState("are you there", "delivered");
  const got = dave.messagesReceived();
  assert.equal(got.length, 1);
  assert.equal(got[0].messageId, sent.messageId);
  assert.equal(got[0].from, "alice");

  await row.click();
  await dave.message("are you there").waitFor();
  assert.deepEqual(await dave.texts(), ["are you there, dave?"]);
  await alice.waitState("are you there", "read");
  for (const p of [alice, dave]) assert.deepEqual(p.problems, [], p.user);
});
