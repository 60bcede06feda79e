// tests/web/support.mjs: chatd as a process on 127.0.0.1, Debian's Chromium
// driven by playwright-core, and people signed in to the web client.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";

import { chromium } from "playwright-core";

export const CHATD = process.env.CHATD;
export const ARTIFACTS = process.env.CHAT_WEB_ARTIFACTS ?? "artifacts";
const STEP_MS = 15_000; // the longest any one step may take on a busy machine

if (!CHATD) throw new Error("set CHATD to the chatd binary (ctest does)");

// A running chatd whose JSON log lines are kept.
export class Chatd {
  static async start({ port = 0, args = [] } = {}) {
    const c = new Chatd();
    await c.#spawn(port, args);
    return c;
  }

  async #spawn(port, args) {
    this.args = args;
    this.lines = [];
    this.proc = spawn(CHATD, ["--listen", `127.0.0.1:${port}`, "--threads", "1", ...args],
      { stdio: ["ignore", "pipe", "inherit"] });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    const lines = createInterface({ input: this.proc.stdout });
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chatd did not listen:\n${this.lines.join("\n")}`)), STEP_MS);
      lines.on("line", (line) => {
        this.lines.push(line);
        const m = line.match(/"event":"listening","transport":"ws".*"port":"(\d+)"/);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      this.exited.then(({ code }) => reject(new Error(`chatd exited ${code}:\n${this.lines.join("\n")}`)));
    });
    this.url = `http://127.0.0.1:${this.port}/`;
  }

  events(name) {
    return this.lines.map((l) => JSON.parse(l)).filter((e) => e.event === name);
  }

  // SIGTERM: chatd closes every connection (1001) and exits 0.
  async stop() {
    if (this.proc.exitCode !== null) return;
    this.proc.kill("SIGTERM");
    const { code } = await this.exited;
    assert.equal(code, 0, "chatd exit status after SIGTERM");
  }

  // Stops and starts again on the same port (the restart scenario).
  async restart() {
    const port = this.port;
    await this.stop();
    await this.#spawn(port, this.args);
    assert.equal(this.port, port);
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

// A chatd and a Chromium for the tests of one file, started before them and
// stopped after them: `const env = fixture()`, then `env.chatd`, `env.browser`.
// `args` go to chatd; `setup(env)` runs once both are up (one hook: Node 20 may not finish one
// top-level before() ahead of the next).
export function fixture(setup = async () => {}, args = []) {
  const env = {};
  before(async () => {
    env.chatd = await Chatd.start({ args });
    env.browser = await launchBrowser();
    await setup(env);
  });
  after(async () => {
    await env.browser?.close();
    await env.chatd?.stop();
  });
  return env;
}

// One person in their own browser context, with what their page received.
export class Person {
  static async open(browser, chatd, { viewport = { width: 1100, height: 720 }, query = "" } = {}) {
    const p = new Person();
    p.context = await browser.newContext({ viewport });
    p.context.setDefaultTimeout(STEP_MS);
    p.page = await p.context.newPage();
    p.received = []; // every WebSocket frame the page received, parsed
    p.sent = []; // every frame it sent
    p.problems = []; // page errors, console errors (a CSP violation is one)
    p.page.on("websocket", (ws) => {
      ws.on("framereceived", (f) => p.received.push(JSON.parse(f.payload)));
      ws.on("framesent", (f) => p.sent.push(JSON.parse(f.payload)));
    });
    p.page.on("pageerror", (e) => p.problems.push(`pageerror: ${e.message}`));
    p.page.on("console", (m) => {
      if (m.type() === "error") p.problems.push(`console: ${m.text()}`);
    });
    await p.page.goto(chatd.url + query);
    return p;
  }

  static async signIn(browser, chatd, user, options) {
    const p = await Person.open(browser, chatd, options);
    await p.signIn(user);
    return p;
  }

  async signIn(user) {
    this.user = user;
    await this.page.getByLabel("Your name").fill(user);
    await this.page.getByRole("button", { name: "Sign in" }).click();
    await this.waitOnline();
  }

  status() {
    return this.page.getByRole("status");
  }

  // From now on, records every text the status line shows, in order. A
  // status can last less than a test step: the first refused reconnect
  // replaces "closed 1001" within half a second.
  async recordStatus() {
    await this.page.evaluate(() => {
      const el = document.getElementById("status");
      window.statusHistory = [];
      new MutationObserver(() => window.statusHistory.push(el.textContent)).observe(el, {
        attributes: true,
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  }

  statusHistory() {
    return this.page.evaluate(() => window.statusHistory);
  }

  async waitOnline() {
    await this.page.locator('#status[data-state="online"]').waitFor();
    // The welcome replaced the "…" placeholder with the id (base-62, with a
    // "<node>-" prefix only in a cluster).
    await this.page.locator("#me-connection", { hasText: /^[0-9A-Za-z-]+$/ }).waitFor();
  }

  async connectionId() {
    return this.page.locator("#me-connection").textContent();
  }

  async openChat(peer) {
    await this.page.getByLabel("Chat with").fill(peer);
    await this.page.getByRole("button", { name: "Open", exact: true }).click();
    await this.page.getByRole("heading", { name: `Conversation with ${peer}` }).waitFor();
  }

  // Types into the composer and presses Enter.
  async say(text) {
    const box = this.page.getByLabel("Message", { exact: true });
    await box.fill(text);
    await box.press("Enter");
  }

  log() {
    return this.page.getByRole("log");
  }

  message(text) {
    return this.log().locator("li.message", { hasText: text });
  }

  // Waits until the message with `text` shows one of `states` ("delivered",
  // "read", ...). A state never goes back, so a test that does not control
  // when the peer reads passes both "delivered" and "read".
  async waitState(text, ...states) {
    const any = states.map((s) => `li.message[data-state="${s}"]`).join(", ");
    await this.log().locator(any, { hasText: text }).waitFor();
  }

  // The texts in the open pane, in order.
  async texts() {
    return this.log().locator("li.message .text").allTextContents();
  }

  messagesReceived() {
    return this.received.filter((f) => f.message).map((f) => f.message);
  }

  async screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, name);
    await this.page.screenshot({ path });
    return path;
  }

  // One picture of several people's pages side by side (for the README).
  static async sideBySide(browser, people, name) {
    const shots = await Promise.all(people.map((p) => p.page.screenshot()));
    const { width, height } = people[0].page.viewportSize();
    const page = await browser.newPage({
      viewport: { width: (width + 12) * people.length + 12, height: height + 24 },
    });
    const imgs = shots.map((b) => `<img src="data:image/png;base64,${b.toString("base64")}">`);
    await page.setContent(`<body style="margin:0;display:flex;gap:12px;background:#9aa3b5;padding:12px">${imgs.join("")}</body>`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, name);
    await page.screenshot({ path });
    await page.close();
    return path;
  }

  async close() {
    await this.context.close();
  }
}
