// The web chat client: signs in, keeps one connection, and ties the
// conversations (conversations.js) to the page (view.js).
import config from "./config.js";
import { Connection, serverUrl, validUserName } from "./connection.js";
import { Conversations } from "./conversations.js";
import { View } from "./view.js";

const NAME_RULE = "a name is 1 to 64 letters, digits, '.', '_', '-' or '@'";

const server = serverUrl(
  new URLSearchParams(location.search).get("server") || config.server, location);

// Client ids are unique per page load, so that two tabs of one user never
// collide in the server's dedup of resends.
const idPrefix = Array.from(crypto.getRandomValues(new Uint8Array(4)),
  (b) => b.toString(16).padStart(2, "0")).join("");

let session = null;

const handlers = {
  signIn: ({ user, token }) => {
    if (!server) return view.showSignIn(server, "No server to connect to.");
    if (!token && !validUserName(user)) {
      return view.showSignIn(server, `Cannot sign in: ${NAME_RULE}.`);
    }
    session = new Session(new Connection(server, { user, token }), user);
  },
  signOut: () => {
    session?.stop();
    session = null;
    view.showSignIn(server);
  },
  open: (peer) => session?.open(peer),
  back: () => session?.back(),
  send: (text) => session?.send(text),
  retry: (record) => session?.retry(record),
};
const view = new View(handlers);

class Session {
  constructor(conn, user) {
    this.conn = conn;
    this.user = user;
    this.store = new Conversations();
    this.peer = null; // the open conversation
    this.serial = 0;
    this.unsentReads = []; // message ids
    conn.addEventListener("welcome", (e) => this.#welcome(e.detail));
    conn.addEventListener("frame", (e) => this.#frame(e.detail));
    conn.addEventListener("state", (e) => this.#state(e.detail));
    this.onVisible = () => this.#markRead();
    document.addEventListener("visibilitychange", this.onVisible);
    view.showApp(user || "…");
    conn.start();
  }

  stop() {
    document.removeEventListener("visibilitychange", this.onVisible);
    this.conn.stop();
  }

  open(peer) {
    if (!validUserName(peer)) return view.setError("new-chat-error", `Cannot open: ${NAME_RULE}.`);
    if (peer === this.user) return view.setError("new-chat-error", "That is you: pick someone else.");
    view.setError("new-chat-error", "");
    this.peer = peer;
    view.showPane(peer, this.store.conversation(peer).records);
    view.setNarrowView("pane");
    this.#markRead();
  }

  back() {
    view.setNarrowView("list");
  }

  send(text) {
    const r = this.store.addOutgoing(this.peer, text, `${idPrefix}-${++this.serial}`);
    this.#transmit(r);
    this.#changed(r);
  }

  // A failed message goes again as a new send (a new client id).
  retry(failed) {
    const r = this.store.addOutgoing(failed.peer, failed.text, `${idPrefix}-${++this.serial}`);
    this.#transmit(r);
    this.#changed(r);
  }

  // Written now when welcomed; otherwise on the next welcome, with the same id.
  #transmit(r) {
    if (this.conn.send({ send: { id: r.clientId, to: r.peer, text: r.text } })) {
      r.connection = this.conn.generation;
    }
  }

  #welcome(w) {
    this.user = w.user;
    view.setMe(w.user, w.connectionId);
    // Resend what was not answered, with the same client ids: the server
    // answers a resend it already routed with the original message id.
    for (const r of this.store.pending()) this.#transmit(r);
    this.#sendReads();
  }

  #frame(f) {
    if (f.sent) return this.#changed(this.store.onSent(f.sent));
    if (f.receipt) return this.#changed(this.store.onReceipt(f.receipt));
    if (f.error) {
      const r = this.store.onError(f.error);
      if (!r) console.warn("chat: server error", f.error);
      return this.#changed(r);
    }
    if (f.message) return this.#message(f.message);
  }

  #message(m) {
    // Ack every message (a redelivered one too), so that it is not
    // delivered again; a copy of our own is never acked.
    if (!m.copy) this.conn.send({ ack: { messageId: m.messageId } });
    const { record, isNew } = this.store.onMessage(m, this.user);
    if (!isNew) return;
    this.#changed(record);
    if (record.peer === this.peer) this.#markRead();
  }

  // READ receipts for what is on screen: the open conversation, page shown.
  #markRead() {
    if (!this.peer || document.visibilityState !== "visible") return;
    this.unsentReads.push(...this.store.markRead(this.peer));
    this.#sendReads();
    this.#changed(null);
  }

  // READ receipts go out once connected; what is read offline waits.
  #sendReads() {
    while (this.unsentReads.length > 0 &&
      this.conn.send({ receipt: { messageId: this.unsentReads[0], status: "READ" } })) {
      this.unsentReads.shift();
    }
  }

  #state(s) {
    const closed = s.code ? ` (closed ${s.code}${s.reason ? ` ${s.reason}` : ""})` : "";
    if (s.code === 1009) {
      const r = this.store.failTooLarge(this.conn.generation, {
        code: "MESSAGE_TOO_LARGE",
        message: `the server closed the connection with 1009 ${s.reason || "message too big"}`,
      });
      this.#changed(r);
    }
    switch (s.state) {
      case "connecting": return view.setStatus("connecting", "Connecting…");
      case "online": return view.setStatus("online", "Online");
      case "waiting": {
        const secs = (s.retryIn / 1000).toFixed(1);
        return view.setStatus("offline", `Offline${closed}: reconnecting in ${secs} s`);
      }
      case "refused":
        session = null;
        return view.showSignIn(server,
          `Could not connect to ${server}${closed}: the server refused the sign-in or is not reachable.`);
      default: return undefined;
    }
  }

  #changed(record) {
    if (record) view.upsert(record);
    view.renderList(this.store.peers, (p) => (p === this.peer ? 0 : this.store.unread(p)));
    view.setTitleUnread(this.store.totalUnread());
  }
}

view.showSignIn(server);
// ?user=NAME signs in at once (a bookmark for --auth none).
const preset = new URLSearchParams(location.search).get("user");
if (preset) handlers.signIn({ user: preset, token: "" });
