// The page: reads the DOM of index.html and writes to it. Text goes in
// with textContent only, never as HTML.

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function stateText(r) {
  switch (r.state) {
    case "sending": return "sending…";
    case "queued": return `queued: ${r.peer} is offline`;
    case "sent": return "sent from another device";
    case "delivered": return "delivered";
    case "read": return "read";
    case "failed":
      return `failed: ${r.reason.code}${r.reason.message ? ` (${r.reason.message})` : ""}`;
    default: return r.state;
  }
}

function timeText(d) {
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export class View {
  // handlers: signIn({user, token}), signOut(), open(peer), send(text),
  // retry(record), back().
  constructor(handlers) {
    this.h = handlers;
    this.items = new Map(); // record key -> <li> in the open pane
    this.peer = null;
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.h.signIn({ user: $("signin-name").value.trim(), token: $("signin-token").value.trim() });
    });
    $("signout").addEventListener("click", () => this.h.signOut());
    $("new-chat").addEventListener("submit", (e) => {
      e.preventDefault();
      this.h.open($("new-chat-name").value.trim());
    });
    $("back").addEventListener("click", () => this.h.back());
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
    $("composer-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    });
  }

  #submit() {
    const box = $("composer-text");
    if (!this.peer || box.value.trim() === "") return;
    this.h.send(box.value);
    box.value = "";
    box.focus();
  }

  showSignIn(server, error = "") {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin-server").textContent = server ?? "(invalid ?server= or config.js)";
    $("signin-error").textContent = error;
    document.title = "libchat";
    $("signin-name").focus();
  }

  showApp(user) {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("me-user").textContent = user;
    $("me-connection").textContent = "…";
    $("conversation-list").replaceChildren();
    $("no-conversations").hidden = false;
    this.showPane(null, []);
    $("new-chat-name").focus();
  }

  setMe(user, connectionId) {
    $("me-user").textContent = user;
    $("me-connection").textContent = connectionId;
  }

  setStatus(state, text) {
    const s = $("status");
    s.dataset.state = state;
    s.textContent = text;
  }

  setError(id, text) {
    $(id).textContent = text;
  }

  // Phone-sized screens show the list or the pane; wide ones show both.
  setNarrowView(which) {
    $("app").dataset.view = which;
  }

  renderList(conversations, unread) {
    const list = $("conversation-list");
    const rows = [];
    for (const peer of conversations.keys()) {
      const n = unread(peer);
      const b = el("button", "conversation");
      b.type = "button";
      b.dataset.peer = peer;
      b.append(el("span", "name", peer));
      if (n > 0) {
        const badge = el("span", "unread", String(n));
        badge.setAttribute("aria-label", `${n} unread`);
        b.append(badge);
      }
      if (peer === this.peer) b.setAttribute("aria-current", "true");
      b.addEventListener("click", () => this.h.open(peer));
      const li = el("li");
      li.append(b);
      rows.push(li);
    }
    list.replaceChildren(...rows);
    $("no-conversations").hidden = rows.length > 0;
  }

  showPane(peer, records) {
    this.peer = peer;
    this.items.clear();
    $("new-chat-name").value = "";
    $("pane-title").textContent = peer ? `Conversation with ${peer}` : "No conversation open";
    $("messages").replaceChildren();
    for (const r of records) this.upsert(r);
    $("composer-text").disabled = !peer;
    $("composer-send").disabled = !peer;
    if (peer) $("composer-text").focus();
  }

  // Adds a record to the open pane, or updates the one shown.
  upsert(r) {
    if (r.peer !== this.peer) return;
    let li = this.items.get(r.key);
    if (!li) {
      li = el("li", `message ${r.dir}`);
      li.append(el("p", "text", r.text), el("p", "meta"));
      this.items.set(r.key, li);
      const box = $("messages");
      const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
      box.append(li);
      if (atEnd || r.dir === "out") li.scrollIntoView({ block: "end" });
    }
    li.dataset.state = r.dir === "in" ? "received" : r.state;
    if (r.messageId) li.dataset.messageId = r.messageId;
    if (r.clientId) li.dataset.clientId = r.clientId;
    const meta = li.querySelector(".meta");
    const parts = [el("time", "", timeText(r.at))];
    parts[0].dateTime = r.at.toISOString();
    if (r.dir === "in") {
      parts.push(el("span", "from", r.from));
    } else {
      parts.push(el("span", "state", stateText(r)));
      if (r.state === "failed") {
        const retry = el("button", "retry", "Retry");
        retry.type = "button";
        retry.setAttribute("aria-label", `Send again: ${r.text.slice(0, 40)}`);
        retry.addEventListener("click", () => this.h.retry(r));
        parts.push(retry);
      }
    }
    meta.replaceChildren(...parts);
  }

  setTitleUnread(n) {
    document.title = n > 0 ? `(${n}) libchat` : "libchat";
  }
}
