// What the client knows about its conversations, with no DOM and no socket:
// one record per message, found by the client id of a send or by the
// server's message id, so that a resend, a redelivery or a copy from another
// device is shown once.

// How far a sent message got; a state only ever moves up this list.
const RANK = { sending: 0, queued: 1, sent: 1, delivered: 2, read: 3 };

export function upgrade(record, state) {
  if (record.state === "failed") return false;
  if ((RANK[state] ?? -1) <= (RANK[record.state] ?? -1)) return false;
  record.state = state;
  return true;
}

// The text of a message body (`data` is base64 in JSON).
export function bodyText(m) {
  if (typeof m.text === "string") return m.text;
  if (typeof m.data === "string") {
    const bytes = Math.floor((m.data.replace(/=+$/, "").length * 3) / 4);
    return `[${bytes} bytes of binary data]`;
  }
  return "";
}

export class Conversations {
  constructor() {
    this.peers = new Map(); // peer -> { peer, records: [] }
    this.byClientId = new Map();
    this.byMessageId = new Map();
    this.serial = 0;
  }

  conversation(peer) {
    let c = this.peers.get(peer);
    if (!c) {
      c = { peer, records: [] };
      this.peers.set(peer, c);
    }
    return c;
  }

  unread(peer) {
    const c = this.peers.get(peer);
    return c ? c.records.filter((r) => r.dir === "in" && !r.read).length : 0;
  }

  totalUnread() {
    let n = 0;
    for (const peer of this.peers.keys()) n += this.unread(peer);
    return n;
  }

  #add(peer, fields) {
    const record = { key: `m${++this.serial}`, peer, ...fields };
    this.conversation(peer).records.push(record);
    if (record.clientId) this.byClientId.set(record.clientId, record);
    if (record.messageId) this.byMessageId.set(record.messageId, record);
    return record;
  }

  // A message this user is sending from here; it stays "sending" until the
  // server answers.
  addOutgoing(peer, text, clientId) {
    return this.#add(peer, {
      dir: "out", clientId, text, state: "sending", at: new Date(),
      messageId: null, reason: null, connection: null,
    });
  }

  // The sends the server has not answered, in the order they were made.
  pending() {
    const out = [];
    for (const c of this.peers.values()) {
      for (const r of c.records) if (r.dir === "out" && r.state === "sending") out.push(r);
    }
    return out.sort((a, b) => Number(a.key.slice(1)) - Number(b.key.slice(1)));
  }

  // {"sent":{id, messageId, status}}: the record it answers, or null.
  onSent(sent) {
    const r = this.byClientId.get(sent.id);
    if (!r) return null;
    if (sent.messageId && !r.messageId) {
      r.messageId = sent.messageId;
      this.byMessageId.set(r.messageId, r);
    }
    upgrade(r, sent.status === "QUEUED" ? "queued" : "delivered");
    return r;
  }

  // {"error":{id, code, message}} answering a send: that send failed.
  onError(error) {
    const r = error.id ? this.byClientId.get(error.id) : null;
    if (!r || r.dir !== "out" || r.state !== "sending") return null;
    r.state = "failed";
    r.reason = { code: error.code || "UNKNOWN", message: error.message || "" };
    return r;
  }

  // {"receipt":{messageId, id, status, by}}: the recipient got or read it.
  onReceipt(receipt) {
    const r = this.byMessageId.get(receipt.messageId) ??
      (receipt.id ? this.byClientId.get(receipt.id) : undefined);
    if (!r || r.dir !== "out") return null;
    if (!r.messageId && receipt.messageId) {
      r.messageId = receipt.messageId;
      this.byMessageId.set(r.messageId, r);
    }
    const state = receipt.status === "READ" ? "read" : "delivered";
    return upgrade(r, state) ? r : null;
  }

  // {"message":{...}} for user `me`: returns { record, isNew }. A copy is
  // what `me` sent from another device, filed under its recipient.
  onMessage(m, me) {
    const known = this.byMessageId.get(m.messageId);
    if (known) return { record: known, isNew: false };
    const at = m.sentAt ? new Date(m.sentAt) : new Date();
    if (m.copy) {
      const mine = m.id ? this.byClientId.get(m.id) : undefined;
      if (mine && mine.peer === m.to) return { record: mine, isNew: false };
      return {
        record: this.#add(m.to, {
          dir: "out", clientId: null, messageId: m.messageId, text: bodyText(m),
          state: "sent", at, reason: null, elsewhere: true,
        }),
        isNew: true,
      };
    }
    const peer = m.from === me ? m.to : m.from;
    return {
      record: this.#add(peer, {
        dir: "in", messageId: m.messageId, from: m.from, text: bodyText(m),
        at, read: false,
      }),
      isNew: true,
    };
  }

  // Marks what `peer` sent as read; returns the message ids newly read.
  markRead(peer) {
    const c = this.peers.get(peer);
    if (!c) return [];
    const ids = [];
    for (const r of c.records) {
      if (r.dir === "in" && !r.read) {
        r.read = true;
        ids.push(r.messageId);
      }
    }
    return ids;
  }

  // The connection was closed for a frame that was too big (1009): the
  // largest send written on it and not answered failed. Returns it, or null.
  failTooLarge(connection, reason) {
    let worst = null;
    for (const r of this.pending()) {
      if (r.connection !== connection) continue;
      if (!worst || r.text.length > worst.text.length) worst = r;
    }
    if (worst) {
      worst.state = "failed";
      worst.reason = reason;
    }
    return worst;
  }
}
