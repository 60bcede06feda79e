#!/usr/bin/python3
"""chat-load, the end-to-end load generator: a short bounded run against
chatd over each transport, and proof that its checks catch what they name.

Usage: /usr/bin/python3 tests/process/chat_load_test.py CHAT-LOAD CHATD

A faulty relay (python3-websockets) speaking the benchmark's protocol subset
drops, duplicates or misroutes exactly one message; chat-load must fail and
name that fault, and pass against the same relay without the fault.
"""

import asyncio
import json
import re
import subprocess
import sys
import threading
import unittest
import urllib.parse

import websockets

CHAT_LOAD = None
CHATD = None
HOST = "127.0.0.1"


def chat_load(*args, timeout=60):
    """Runs chat-load; returns (exit status, its JSON line, all output)."""
    p = subprocess.run([CHAT_LOAD, *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, f"no JSON line:\n{p.stdout}\n{p.stderr}"
    return p.returncode, json.loads(lines[-1]), p.stdout + p.stderr


class Chatd:
    def __init__(self):
        self.proc = subprocess.Popen(
            [CHATD, "--listen", f"{HOST}:0", "--tcp-listen", f"{HOST}:0",
             "--log-level", "info"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.ports = {}
        for line in self.proc.stdout:
            m = re.search(r'"event":"listening","transport":"(\w+)".*'
                          r'"port":"(\d+)"', line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if len(self.ports) == 2:
                break
        # Keep draining the log so that chatd never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class FaultyRelay:
    """Relays like the benchmark peers; message number `at` suffers `fault`
    (None, "drop", "duplicate" or "misroute")."""

    def __init__(self, fault, at=10):
        self.fault, self.at, self.count, self.users = fault, at, 0, {}
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            websockets.serve(self._session, HOST, 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _session(self, ws, path=None):
        query = urllib.parse.urlparse(path or ws.path).query
        user = urllib.parse.parse_qs(query)["user"][0]
        self.users[user] = ws
        await ws.send(json.dumps({"welcome": {"connectionId": user,
                                              "user": user}}))
        try:
            async for raw in ws:
                send = json.loads(raw).get("send")
                if send:
                    await self._relay(ws, user, send)
        except websockets.ConnectionClosed:
            pass  # chat-load exits without a closing handshake

    async def _relay(self, ws, user, send):
        self.count += 1
        mid = str(self.count)
        await ws.send(json.dumps({"sent": {"id": send["id"], "messageId": mid,
                                           "status": "DELIVERED"}}))
        message = {"messageId": mid, "from": user, "to": send["to"],
                   "text": send["text"]}
        faulty = self.count == self.at
        if faulty and self.fault == "drop":
            return
        if faulty and self.fault == "misroute":
            message["from"] = "mallory"
        frame = json.dumps({"message": message})
        await self.users[send["to"]].send(frame)
        if faulty and self.fault == "duplicate":
            await self.users[send["to"]].send(frame)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


class AgainstChatd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chatd = Chatd()

    @classmethod
    def tearDownClass(cls):
        cls.chatd.stop()

    def run_load(self, url, *extra, prefix):
        code, r, out = chat_load("--url", url, "--pairs", "20", "--count",
                                 "100", "--window", "8", "--server-pid",
                                 str(self.chatd.proc.pid), "--prefix",
                                 prefix, *extra)
        self.assertEqual(code, 0, out)
        self.assertTrue(r["ok"], out)
        self.assertEqual(r["messages"], 2 * 20 * 100, out)
        self.assertEqual(r["sent"], 2 * 20 * 100, out)
        for key in ("lost", "out_of_order", "misrouted", "rejected",
                    "bad_frames", "closed", "connect_failed"):
            self.assertEqual(r[key], 0, f"{key}: {out}")
        self.assertGreater(r["p99_us"], 0, out)
        # Per-connection growth can be 0 here: chatd reuses what the
        # previous runs freed. The figure is for a fresh server (compare).
        self.assertGreater(r["server_rss"], 0, out)
        self.assertGreaterEqual(r["rss_per_conn"], 0, out)
        return r

    def test_websocket_json(self):
        self.run_load(f"ws://{HOST}:{self.chatd.ports['ws']}/ws", prefix="wj")

    def test_websocket_protobuf(self):
        self.run_load(f"ws://{HOST}:{self.chatd.ports['ws']}/ws", "--proto",
                      prefix="wp")

    def test_tcp(self):
        self.run_load(f"tcp://{HOST}:{self.chatd.ports['tcp']}", prefix="tc")

    def test_acks_every_message(self):
        r = self.run_load(f"ws://{HOST}:{self.chatd.ports['ws']}/ws",
                          "--ack", prefix="ak")
        self.assertEqual(r["acks"], 2 * 20 * 100)

    def test_idle_connections_and_two_threads(self):
        r = self.run_load(f"ws://{HOST}:{self.chatd.ports['ws']}/ws",
                          "--idle", "50", "--threads", "2", "--connect-rate",
                          "2000", "--source", "127.0.0.1,127.0.0.2",
                          prefix="id")
        self.assertGreaterEqual(r["rss_per_idle_conn"], 0)


class CatchesFaults(unittest.TestCase):
    def run_relay(self, fault):
        relay = FaultyRelay(fault)
        try:
            return chat_load("--url", f"ws://{HOST}:{relay.port}/ws",
                             "--pairs", "2", "--count", "20", "--window",
                             "4", "--drain", "1")
        finally:
            relay.stop()

    def test_passes_a_correct_relay(self):
        code, r, out = self.run_relay(None)
        self.assertEqual(code, 0, out)
        self.assertEqual(r["messages"], 80, out)

    def test_names_a_lost_message(self):
        code, r, out = self.run_relay("drop")
        self.assertEqual(code, 1, out)
        self.assertEqual(r["lost"], 1, out)
        self.assertEqual((r["out_of_order"], r["misrouted"]), (0, 0), out)

    def test_names_a_duplicate(self):
        code, r, out = self.run_relay("duplicate")
        self.assertEqual(code, 1, out)
        self.assertEqual(r["out_of_order"], 1, out)
        self.assertEqual((r["lost"], r["misrouted"]), (0, 0), out)

    def test_names_a_misrouted_message(self):
        code, r, out = self.run_relay("misroute")
        self.assertEqual(code, 1, out)
        self.assertEqual(r["misrouted"], 1, out)

    def test_fails_when_nothing_listens(self):
        with socket_port() as port:
            code, r, out = chat_load("--url", f"ws://{HOST}:{port}/ws",
                                     "--pairs", "3", "--count", "1")
        self.assertEqual(code, 1, out)
        self.assertEqual(r["connect_failed"], 6, out)


class socket_port:
    """A port on 127.0.0.1 that is bound but not listening."""

    def __enter__(self):
        import socket
        self.s = socket.socket()
        self.s.bind((HOST, 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc):
        self.s.close()


def main():
    global CHAT_LOAD, CHATD
    CHAT_LOAD, CHATD = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
