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
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"nats://{HOST}:{self.port}"

    def start(self):
        args = [NATS_SERVER, "-a", HOST, "-p", str(self.port), "-js",
                "-sd", self.store_dir, "-n", self.name]
        if self.cluster_port:
            args += ["--cluster_name", "chat", "--cluster",
                     f"nats://{HOST}:{self.cluster_port}",
                     "--routes", ",".join(self.routes)]
        self.log = open(os.path.join(self.store_dir, "server.log"), "a")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            self.kill()
            raise AssertionError("nats-server did not start")

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


def tempdir():
    return tempfile.mkdtemp(prefix="chat-cluster-")
