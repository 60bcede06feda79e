// The page on a phone-sized and a desktop-sized screen, its accessible
// names, sign-in errors, and ?server= pointing it at another chatd.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Chatd, Person, fixture } from "./support.mjs";

const PHONE = { width: 390, height: 844 };
const env = fixture();

// Nothing wider than the screen, and `locator` inside it.
async function fitsScreen(p, locator) {
  const width = await p.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `page is ${width}px wide`);
  const box = await locator.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width &&
    box.y + box.height <= PHONE.height, JSON.stringify(box));
}

test("a phone-sized screen shows the list or the conversation, usable", async () => {
  const alice = await Person.signIn(env.browser, env.chatd, "alice", { viewport: PHONE });
  const bob = await Person.signIn(env.browser, env.chatd, "bob");
  const nav = alice.page.getByRole("navigation", { name: "Conversations" });
  assert.equal(await nav.isVisible(), true);
  assert.equal(await alice.log().isVisible(), false);

  await alice.openChat("bob");
  assert.equal(await nav.isVisible(), false);
  const box = alice.page.getByLabel("Message", { exact: true });
  await fitsScreen(alice, box);
  await fitsScreen(alice, alice.page.getByRole("button", { name: "Send" }));
  await alice.say("sent from a phone");
  await alice.waitState("sent from a phone", "delivered", "read");
  await bob.openChat("alice");
  await bob.say("a long answer ".repeat(30));
  await alice.message("a long answer").waitFor();
  await fitsScreen(alice, alice.message("a long answer"));

  await alice.page.getByRole("button", { name: "Back to conversations" }).click();
  assert.equal(await nav.isVisible(), true);
  assert.equal(await alice.log().isVisible(), false);
  await alice.page.getByRole("button", { name: /^bob/ }).click();
  assert.equal(await alice.log().isVisible(), true);
  await alice.screenshot("phone.png");
  assert.deepEqual(alice.problems, []);
});

test("a desktop-sized screen shows both, without a back button", async () => {
  const carol = await Person.signIn(env.browser, env.chatd, "carol");
  await carol.openChat("dave");
  assert.equal(await carol.page.getByRole("navigation", { name: "Conversations" }).isVisible(), true);
  assert.equal(await carol.log().isVisible(), true);
  assert.equal(await carol.page.getByRole("button", { name: "Back to conversations" }).isVisible(), false);
});

test("every control has an accessible name", async () => {
  const p = await Person.open(env.browser, env.chatd);
  const unnamed = async () => p.page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll("input, textarea, button, select")) {
      if (e.closest("[hidden]")) continue;
      const named = (e.labels && e.labels.length > 0) || e.getAttribute("aria-label") ||
        e.getAttribute("aria-labelledby") || (e.tagName === "BUTTON" && e.textContent.trim());
      if (!named) out.push(e.outerHTML);
    }
    return out;
  });
  assert.deepEqual(await unnamed(), []);
  await p.signIn("erin");
  await p.openChat("frank");
  assert.deepEqual(await unnamed(), []);
  // Landmarks and live regions a screen reader announces.
  await p.page.getByRole("log", { name: "Conversation with frank" }).waitFor();
  await p.page.getByRole("status").waitFor();
  await p.page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await p.page.getByRole("heading", { name: "libchat" }).waitFor();
});

test("a name chatd would refuse is caught before connecting", async () => {
  const p = await Person.open(env.browser, env.chatd);
  await p.page.getByLabel("Your name").fill("not valid!");
  await p.page.getByRole("button", { name: "Sign in" }).click();
  await p.page.getByRole("alert").filter({ hasText: "Cannot sign in" }).waitFor();
  assert.equal(p.sent.length + p.received.length, 0);
});

test("?server= connects to another chatd than the one serving the page", async () => {
  const other = await Chatd.start();
  try {
    const p = await Person.open(env.browser, env.chatd, { query: `?server=ws://127.0.0.1:${other.port}/ws` });
    assert.equal(await p.page.locator("#signin-server").textContent(),
      `ws://127.0.0.1:${other.port}/ws`);
    await p.signIn("gina");
    assert.equal(other.events("connect").filter((e) => e.user === "gina").length, 1);
    assert.equal(env.chatd.events("connect").filter((e) => e.user === "gina").length, 0);
  } finally {
    await other.stop();
  }
});
