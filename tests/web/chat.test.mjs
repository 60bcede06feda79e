// Two people chat both ways in their own browser contexts; a third, signed
// in all along, sees nothing of it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Person, fixture } from "./support.mjs";

// Small desktop windows, so that two fit side by side in the screenshot.
const WINDOW = { viewport: { width: 760, height: 520 } };
let alice, bob, carol;
const env = fixture(async ({ browser, chatd }) => {
  alice = await Person.signIn(browser, chatd, "alice", WINDOW);
  bob = await Person.signIn(browser, chatd, "bob", WINDOW);
  carol = await Person.signIn(browser, chatd, "carol", WINDOW);
});

test("each page shows who it is and its connection id", async () => {
  for (const p of [alice, bob, carol]) {
    const welcome = p.received.find((f) => f.welcome).welcome;
    assert.equal(welcome.user, p.user);
    assert.equal(await p.page.locator("#me-user").textContent(), p.user);
    assert.equal(await p.connectionId(), welcome.connectionId);
  }
  const ids = new Set([alice, bob, carol].map((p) => p.received[0].welcome.connectionId));
  assert.equal(ids.size, 3);
});

test("alice and bob chat both ways; Enter sends", async () => {
  await alice.openChat("bob");
  await alice.say("hi bob");
  await alice.waitState("hi bob", "delivered");

  // Bob has not opened the conversation: it is listed with one unread.
  const row = bob.page.getByRole("button", { name: /alice/ });
  await row.getByLabel("1 unread").waitFor();
  assert.equal(await bob.page.title(), "(1) libchat");
  await row.click();
  await bob.message("hi bob").waitFor();
  assert.equal(await bob.page.title(), "libchat");

  await bob.say("hi alice, how are you?");
  await bob.waitState("how are you", "delivered", "read");
  await alice.message("how are you").waitFor();
  // The Send button works as well as Enter; Shift+Enter is a new line.
  const box = alice.page.getByLabel("Message", { exact: true });
  await box.fill("fine, thanks");
  await box.press("Shift+Enter");
  await box.pressSequentially("and you?");
  await alice.page.getByRole("button", { name: "Send" }).click();
  await bob.message("and you?").waitFor();
  await alice.waitState("and you?", "delivered", "read");

  const expected = ["hi bob", "hi alice, how are you?", "fine, thanks\nand you?"];
  assert.deepEqual(await alice.texts(), expected);
  assert.deepEqual(await bob.texts(), expected);
  // Sends carry the client id and no sender: the server stamps `from`.
  const sends = alice.sent.filter((f) => f.send).map((f) => f.send);
  assert.deepEqual(sends.map((s) => [s.to, s.text]),
    [["bob", "hi bob"], ["bob", "fine, thanks\nand you?"]]);
  assert.ok(sends.every((s) => s.id && !("from" in s)));
  assert.deepEqual(bob.messagesReceived().map((m) => m.from), ["alice", "alice"]);
  // Every message shown was acknowledged.
  const acked = bob.sent.filter((f) => f.ack).map((f) => f.ack.messageId);
  assert.deepEqual(acked, bob.messagesReceived().map((m) => m.messageId));

});

test("carol sees nothing of it", async () => {
  assert.deepEqual(carol.received.map((f) => Object.keys(f)[0]), ["welcome"]);
  assert.equal(await carol.page.locator("#conversation-list li").count(), 0);
  assert.equal(await carol.page.locator("#no-conversations").isVisible(), true);
  assert.equal(await carol.page.title(), "libchat");
});

test("a message bob reads shows read on alice's side", async () => {
  // Bob has the conversation open and the page shown: he sent READ.
  const reads = bob.sent.filter((f) => f.receipt).map((f) => f.receipt);
  assert.ok(reads.length >= 2 && reads.every((r) => r.status === "READ"));
  await alice.waitState("hi bob", "read");
  await alice.waitState("and you?", "read");
  const receipts = alice.received.filter((f) => f.receipt).map((f) => f.receipt);
  assert.ok(receipts.some((r) => r.status === "READ" && r.by === "bob"));
  await bob.waitState("how are you", "read");
  await Person.sideBySide(env.browser, [alice, bob], "two-person.png");
});

test("no page reported an error", () => {
  for (const p of [alice, bob, carol]) assert.deepEqual(p.problems, [], p.user);
});
