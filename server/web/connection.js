// One WebSocket to a chat server (protocol chat.v1, JSON frames) that
// reconnects by itself, with backoff, until it is stopped.

export const SUBPROTOCOL = "chat.v1.json";

// The rule chatd applies to names (docs/protocol.md §1.1).
export function validUserName(name) {
  return /^[A-Za-z0-9._@-]{1,64}$/.test(name);
}

// The WebSocket URL to use: `configured` (a ?server= parameter or
// config.js) when set, else this page's own server at /ws. An http(s) URL
// with no path means that server's /ws. Null when it is not a URL.
export function serverUrl(configured, location) {
  if (!configured) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }
  let url;
  try {
    url = new URL(configured, location.href);
  } catch {
    return null;
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (url.pathname === "/") url.pathname = "/ws";
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") return null;
  url.hash = "";
  return url.toString();
}

// Waits before reconnect attempt `n` (0-based): 250 ms doubling to 8 s,
// with ±20% jitter so that clients of a restarted server spread out.
export function backoff(n, random = Math.random) {
  const base = Math.min(8000, 250 * 2 ** Math.min(n, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}

// API Gateway sends no welcome at connect; a client asks with a hello.
const HELLO_AFTER_MS = 1500;

// Events: "welcome" {connectionId, user}; "frame" (any other server frame);
// "state" {state: "connecting" | "online" | "waiting" | "refused" |
// "stopped", code, reason, retryIn}.
export class Connection extends EventTarget {
  constructor(url, { user = "", token = "" }) {
    super();
    const u = new URL(url);
    if (token) u.searchParams.set("token", token);
    else u.searchParams.set("user", user);
    this.url = u.toString();
    this.ws = null;
    this.ready = false; // welcomed on the current socket
    this.generation = 0; // counts sockets, so a record knows which one it went out on
    this.attempt = 0;
    this.everWelcomed = false;
    this.stopped = true;
    this.timer = null;
    this.onOnline = () => this.#retryNow();
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.#open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "signed out");
    this.#emit("state", { state: "stopped" });
  }

  // Writes a client frame; false (nothing written) until welcomed.
  send(frame) {
    if (!this.ready) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #open() {
    clearTimeout(this.timer);
    this.ready = false;
    this.generation += 1;
    this.#emit("state", { state: "connecting" });
    const ws = new WebSocket(this.url, SUBPROTOCOL);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.timer = setTimeout(() => {
        if (this.ws === ws && !this.ready) ws.send('{"hello":{}}');
      }, HELLO_AFTER_MS);
    };
    ws.onmessage = (ev) => this.#receive(ws, ev.data);
    ws.onclose = (ev) => this.#closed(ws, opened, ev.code, ev.reason);
  }

  #receive(ws, data) {
    if (ws !== this.ws || typeof data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn("chat: a frame that is not JSON", data);
      return;
    }
    if (frame.welcome) {
      clearTimeout(this.timer);
      this.ready = true;
      this.attempt = 0;
      this.everWelcomed = true;
      this.#emit("state", { state: "online" });
      this.#emit("welcome", frame.welcome);
    } else if (frame.ping) {
      ws.send(JSON.stringify({ pong: { id: frame.ping.id ?? "" } }));
    } else {
      this.#emit("frame", frame);
    }
  }

  #closed(ws, opened, code, reason) {
    if (ws !== this.ws) return;
    clearTimeout(this.timer);
    this.ready = false;
    if (this.stopped) return;
    if (!this.everWelcomed && !opened) {
      // The very first handshake failed: a refused name or token, or no
      // server there. Say so rather than retry forever.
      this.stopped = true;
      this.#emit("state", { state: "refused", code, reason });
      return;
    }
    const retryIn = backoff(this.attempt++);
    this.#emit("state", { state: "waiting", code, reason, retryIn });
    this.timer = setTimeout(() => this.#open(), retryIn);
  }

  #retryNow() {
    if (!this.stopped && !this.ready && this.ws?.readyState !== WebSocket.CONNECTING) {
      this.#open();
    }
  }
}
