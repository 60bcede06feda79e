// chatd restarts (same port) in the middle of a conversation: both pages
// reconnect by themselves, what alice wrote while it was down is sent once
// it is back, and nothing is lost or shown twice.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { Person, fixture } from "./support.mjs";

// The SQLite store keeps what is unacked, and the dedup of resends, across
// the restart.
const dir = mkdtempSync(join(tmpdir(), "chat-web-restart-"));
const env = fixture(async () => {}, ["--store", `sqlite:${join(dir, "chat.db")}`]);
after(() => rmSync(dir, { recursive: true, force: true }));

test("both pages reconnect after a restart and go on", async () => {
  const alice = await Person.signIn(env.browser, env.chatd, "alice");
  const bob = await Person.signIn(env.browser, env.chatd, "bob");
  await alice.openChat("bob");
  await bob.openChat("alice");
  await alice.say("before the restart");
  await bob.message("before the restart").waitFor();
  await bob.say("me too, before");
  await alice.message("me too, before").waitFor();
  const firstIds = [await alice.connectionId(), await bob.connectionId()];

  for (const p of [alice, bob]) await p.recordStatus();
  await env.chatd.stop();
  for (const p of [alice, bob]) {
    await p.page.locator('#status[data-state="offline"]').waitFor();
    // The first status after the stop; later ones are the refused retries.
    const first = (await p.statusHistory()).find((t) => t.startsWith("Offline"));
    assert.match(first, /closed 1001 going away.*reconnecting/);
  }
  // Written while the server is down: it waits, as "sending".
  await alice.say("while you were away");
  await alice.waitState("while you were away", "sending");

  await env.chatd.restart();
  await alice.waitOnline();
  await bob.waitOnline();
  const ids = [await alice.connectionId(), await bob.connectionId()];
  assert.notDeepEqual(ids, firstIds);
  assert.equal(env.chatd.events("connect").length >= 2, true);

  await bob.message("while you were away").waitFor();
  await alice.waitState("while you were away", "delivered", "read");
  await bob.say("back again");
  await alice.message("back again").waitFor();
  await bob.waitState("back again", "delivered", "read");

  const expected = ["before the restart", "me too, before", "while you were away", "back again"];
  assert.deepEqual(await alice.texts(), expected);
  assert.deepEqual(await bob.texts(), expected);
  // Bob's page showed each message once, whatever came again.
  const got = bob.messagesReceived().map((m) => m.text);
  assert.deepEqual([...new Set(got)], ["before the restart", "while you were away"]);
  // Chromium logs each attempt made while chatd was down; nothing else.
  const refused = /^console: WebSocket connection to .* failed: .*ERR_CONNECTION_REFUSED/;
  for (const p of [alice, bob]) {
    assert.deepEqual(p.problems.filter((m) => !refused.test(m)), [], p.user);
  }
});
