"""Reusable pieces for cluster process tests: nats-server processes (one,
or a 3-server cluster with routes), chatd nodes joined to them, a small
WebSocket client, and the message-accounting checker.

Everything listens on 127.0.0.1 on free ports; every wait is bounded.
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import websockets

HOST = "127.0.0.1"
NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class NatsServer:
    """nats-server -js on 127.0.0.1, its JetStream files in `store_dir`
    (kept across restarts), optionally routed to others (a cluster)."""

    def __init__(self, store_dir, port=None, name="n0", cluster_port=None,
                 routes=()):
        self.port = port or free_port()
        self.store_dir = store_dir
        self.name = name
        self.cluster_port = cluster_port
        self.routes = list(routes)
        self.http_port = free_port()   # monitoring: /jsz
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"nats://{HOST}:{self.port}"

    def start(self, jetstream=True):
        self._write_config(jetstream)
        self.log = open(os.path.join(self.store_dir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-c", self.config], stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            self.kill()
            raise AssertionError("nats-server did not start")

    def reload(self, jetstream):
        """Turns JetStream on or off in the running server (SIGHUP): its
        clients stay connected."""
        self._write_config(jetstream)
        self.proc.send_signal(signal.SIGHUP)

    def _write_config(self, jetstream):
        self.config = os.path.join(self.store_dir, "nats.conf")
        lines = [f"server_name: {self.name}",
                 f"listen: {HOST}:{self.port}",
                 f"http: {HOST}:{self.http_port}"]
        if jetstream:
            lines.append(f"jetstream {{ store_dir: {json.dumps(self.store_dir)} }}")
        if self.cluster_port:
            routes = ", ".join(json.dumps(r) for r in self.routes)
            lines.append(f"cluster {{ name: chat, listen: {HOST}:"
                         f"{self.cluster_port}, routes: [{routes}] }}")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def consumer_subjects(self):
        """The filter subjects of the JetStream consumers this server
        hosts (its /jsz monitoring page)."""
        url = (f"http://{HOST}:{self.http_port}/jsz?accounts=true"
               "&streams=true&consumers=true&config=true")
        with urllib.request.urlopen(url, timeout=5) as r:
            jsz = json.load(r)
        out = []
        for acc in jsz.get("account_details") or []:
            for st in acc.get("stream_detail") or []:
                for c in st.get("consumer_detail") or []:
                    out.append((c.get("config") or {}).get("filter_subject"))
        return out

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def nats_cluster(root, size=3):
    """`size` routed nats-servers with JetStream; returns them once all
    listen (JetStream needs a moment more to elect: Chatd waits for it)."""
    ports = [free_port() for _ in range(size)]
    cports = [free_port() for _ in range(size)]
    routes = [f"nats://{HOST}:{p}" for p in cports]
    servers = []
    for i in range(size):
        d = os.path.join(root, f"nats{i}")
        os.makedirs(d, exist_ok=True)
        servers.append(NatsServer(d, ports[i], f"n{i}", cports[i],
                                  [r for j, r in enumerate(routes) if j != i]))
    return servers


class Chatd:
    """A chatd node joined to NATS; log kept for assertions."""

    def __init__(self, chatd, nats_urls, node_id, *extra, port=None,
                 replicas=1, ready=True):
        self.port = port or free_port()
        self.node_id = node_id
        args = [chatd, "--listen", f"{HOST}:{self.port}", "--node-id",
                node_id, "--log-level", "info", "--nats-replicas",
                str(replicas), "--drain-timeout", "2s"]
        for u in nats_urls:
            args += ["--nats", u]
        self.proc = subprocess.Popen(
            args + list(extra), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not wait_port(self.port):
            self.kill()
            raise AssertionError("chatd did not start:\n" + self.output())
        if ready and not self.wait_ready(30):
            self.kill()
            raise AssertionError("chatd not ready:\n" + self.output())

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self):
        return "\n".join(self.lines)

    def get(self, path):
        try:
            with urllib.request.urlopen(
                    f"http://{HOST}:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)

    def wait_ready(self, limit, want=200):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.get("/readyz")[0] == want:
                return True
            time.sleep(0.1)
        return False

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


class Client:
    """One WebSocket connection: frames in a queue, helpers to send."""

    def __init__(self, ws, user, conn_id):
        self.ws, self.user, self.id = ws, user, conn_id

    @classmethod
    async def open(cls, port, user):
        ws = await websockets.connect(f"ws://{HOST}:{port}/ws?user={user}",
                                      open_timeout=10, close_timeout=1,
                                      max_queue=None)
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return cls(ws, user, welcome["welcome"]["connectionId"])

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def recv(self, limit=10):
        return json.loads(await asyncio.wait_for(self.ws.recv(), limit))

    async def recv_until(self, pred, limit=10):
        """Frames up to and including the first one `pred` accepts."""
        got = []
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            left = deadline - asyncio.get_running_loop().time()
            f = await self.recv(max(left, 0.01))
            got.append(f)
            if pred(f):
                return got

    async def close(self):
        await self.ws.close()


class Ledger:
    """The message-accounting checker.

    Senders record every send (key: sender, n) and what `sent` told them;
    receivers record every message they get (recipient, sender, n, message
    id, the receiving user). check() counts:
      lost        - sends answered `sent` that never arrived,
      duplicated  - sends that arrived under two message ids (a redelivery
                    of the same id after a reconnect is allowed),
      misrouted   - arrivals at anyone but the addressee,
      out_of_order- per sender->recipient, first arrivals not in send order.
    """

    def __init__(self):
        self.confirmed = {}   # (sender, n) -> message id
        self.addressee = {}   # (sender, n) -> recipient
        self.arrivals = []    # (receiver, sender, n, message id)

    def sent(self, sender, n, to, message_id):
        self.confirmed[(sender, n)] = message_id
        self.addressee[(sender, n)] = to

    def planned(self, sender, n, to):
        self.addressee[(sender, n)] = to

    def arrived(self, receiver, sender, n, message_id):
        self.arrivals.append((receiver, sender, n, message_id))

    @staticmethod
    def body(sender, n, to):
        return f"{sender}|{n}|{to}"

    @staticmethod
    def parse(text):
        sender, n, to = text.split("|")
        return sender, int(n), to

    def check(self):
        misrouted = 0
        ids = {}       # (sender, n) -> set of message ids
        first = {}     # (receiver, sender) -> [n in first-arrival order]
        seen = set()   # (receiver, message id)
        for receiver, sender, n, mid in self.arrivals:
            if self.addressee.get((sender, n)) != receiver:
                misrouted += 1
                continue
            ids.setdefault((sender, n), set()).add(mid)
            if (receiver, mid) in seen:
                continue
            seen.add((receiver, mid))
            first.setdefault((receiver, sender), []).append(n)
        lost = sum(1 for k in self.confirmed if k not in ids)
        duplicated = sum(len(v) - 1 for v in ids.values())
        disorder = sum(sum(1 for a, b in zip(o, o[1:]) if b < a)
                       for o in first.values())
        return {"lost": lost, "duplicated": duplicated,
                "misrouted": misrouted, "out_of_order": disorder}

    def lost(self):
        """What check() counts as lost, as 'sender n..m -> recipient'
        runs, for a failure message."""
        arrived = {(s, n) for _, s, n, _ in self.arrivals}
        runs = []
        for (s, n), mid in sorted(self.confirmed.items()):
            if (s, n) in arrived:
                continue
            to = self.addressee[(s, n)]
            if runs and runs[-1][0] == s and runs[-1][2] == n - 1:
                runs[-1][2] = n
            else:
                runs.append([s, n, n, to, mid])
        return "; ".join(f"{s} {a}..{b} -> {to} (first id {mid})"
                         for s, a, b, to, mid in runs)


def explain(nodes, servers=(), lines=40):
    """The warnings and errors of every chatd node, and the tail of every
    nats-server log: what a failed cluster test prints."""
    out = []
    for n in nodes:
        bad = [ln for ln in n.output().splitlines()
               if '"warn"' in ln or '"error"' in ln]
        out.append(f"--- chatd {n.node_id}: {len(bad)} warnings/errors")
        out.extend(bad[-lines:])
    for s in servers:
        path = os.path.join(s.store_dir, "server.log")
        try:
            with open(path, errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            tail = []
        out.append(f"--- nats-server {s.name}")
        out.extend(tail)
    return "\n".join(out)


def tempdir():
    return tempfile.mkdtemp(prefix="chat-cluster-")


class Traffic:
    """Senders and receivers that survive node and NATS failures.

    Each sender sends numbered messages to its peers with up to `window`
    in flight; a send that got no `sent` (a lost connection, UNAVAILABLE)
    is sent again with the same client id, on the same or another node,
    so dedup must drop it if it was stored. Receivers ack every message and
    reconnect to the next node in `ports` when their connection dies.
    Everything goes into `ledger`.
    """

    def __init__(self, ledger, ports, window=4):
        self.ledger = ledger
        self.ports = ports   # a list, may be changed while running
        self.window = window
        self.stop = asyncio.Event()
        self.unavailable = 0
        self.reconnects = 0

    async def _connect(self, user, start):
        for i in range(200):
            port = self.ports[(start + i) % len(self.ports)]
            try:
                return await Client.open(port, user)
            except (OSError, asyncio.TimeoutError,
                    websockets.exceptions.WebSocketException, KeyError):
                await asyncio.sleep(0.1)
        raise AssertionError(f"{user} could not connect anywhere")

    async def receiver(self, user, start):
        while not self.stop.is_set():
            c = await self._connect(user, start)
            try:
                while not self.stop.is_set():
                    try:
                        f = await c.recv(0.2)
                    except asyncio.TimeoutError:
                        continue
                    m = f.get("message")
                    if m and not m.get("copy"):
                        s, n, _ = Ledger.parse(m["text"])
                        self.ledger.arrived(user, s, n, m["messageId"])
                        await c.send({"ack": {"messageId": m["messageId"]}})
            except websockets.exceptions.ConnectionClosed:
                self.reconnects += 1
                start += 1
            finally:
                await c.close()

    async def sender(self, user, plan, start, limit=120):
        """`plan`: [(recipient, n)] sent in this order; returns once every
        one got `sent`, or after `limit` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        todo = list(plan)
        for to, n in todo:
            self.ledger.planned(user, n, to)
        while todo and loop.time() < deadline:
            c = await self._connect(user, start)
            try:
                todo = await self._send_all(c, user, todo, deadline)
            except websockets.exceptions.ConnectionClosed:
                self.reconnects += 1
                start += 1
            finally:
                await c.close()
        return not todo

    async def _send_all(self, c, user, todo, deadline):
        loop = asyncio.get_running_loop()
        pending = {}   # client id -> (to, n)
        queue = list(todo)
        retry = []
        while (queue or pending) and loop.time() < deadline:
            while queue and len(pending) < self.window:
                to, n = queue.pop(0)
                cid = f"{user}-{n}"
                pending[cid] = (to, n)
                await c.send({"send": {"id": cid, "to": to,
                                       "text": Ledger.body(user, n, to)}})
            try:
                f = await c.recv(5)
            except asyncio.TimeoutError:
                # No answer in time: send what is pending again (same ids).
                retry = list(pending.values())
                pending.clear()
                queue = sorted(retry + queue, key=lambda x: x[1])
                continue
            if "sent" in f:
                to, n = pending.pop(f["sent"]["id"], (None, None))
                if to is not None:
                    self.ledger.sent(user, n, to, f["sent"]["messageId"])
            elif "error" in f:
                e = f["error"]
                assert e["code"] == "UNAVAILABLE", f
                self.unavailable += 1
                item = pending.pop(e["id"], None)
                if item:
                    # Everything after it waits too, to keep the order.
                    queue = sorted([item] + list(pending.values()) + queue,
                                   key=lambda x: x[1])
                    pending.clear()
                    await asyncio.sleep(0.2)
        return sorted(list(pending.values()) + queue, key=lambda x: x[1])
