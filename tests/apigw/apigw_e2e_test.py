#!/usr/bin/python3
"""chatd --apigw-listen behind the API Gateway stand-in (gateway.py).

Usage: /usr/bin/python3 apigw_e2e_test.py PATH/TO/chatd

Two WebSocket clients chat through the stand-in, which calls chatd's
integrations; chatd answers through @connections with SigV4-signed calls.
Everything is on 127.0.0.1 with kernel-chosen ports; every wait is bounded.
"""

import asyncio
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import unittest
import urllib.parse

import websockets

from gateway import Gateway

CHATD = None
STEP = 5.0  # seconds for any one network step


class Chatd:
    def __init__(self, callback, *extra, env=None):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                   AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="eu-west-1",
                   **(env or {}))
        self.proc = subprocess.Popen(
            [CHATD, "--listen", "127.0.0.1:0", "--apigw-listen", "127.0.0.1:0",
             "--apigw-callback", callback, "--threads", "2",
             "--log-level", "debug", *extra],
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.port = int(self.wait_for(r"apigw on \S+ \(port (\d+)\)").group(1))

    def _pump(self):
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, pattern, timeout=STEP):
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.lines.get(timeout=timeout))
            if m:
                return m

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.proc.stderr.close()
        return rc


class Client:
    """A WebSocket client of the stand-in; frames are JSON objects."""

    def __init__(self, loop, ws):
        self.loop, self.ws = loop, ws

    def send(self, frame):
        self.loop.run(self.ws.send(json.dumps(frame)))

    def next(self, timeout=STEP):
        return json.loads(self.loop.run(asyncio.wait_for(self.ws.recv(),
                                                         timeout)))

    def hello(self):
        self.send({"hello": {}})
        return self.next()["welcome"]

    def barrier(self, tag="barrier"):
        """Frames that arrive before the answer to a ping."""
        self.send({"ping": {"id": tag}})
        before = []
        while True:
            f = self.next()
            if f.get("pong", {}).get("id") == tag:
                return before
            before.append(f)


class Loop:
    """An asyncio loop on a thread, driven synchronously by the tests."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(STEP*2)


class ApigwTestCase(unittest.TestCase):
    CHATD_ARGS = ()
    CHATD_ENV = None

    def setUp(self):
        self.gateway = Gateway()
        self.gateway.start()
        self.chatd = Chatd(
            f"http://127.0.0.1:{self.gateway.callback_port}/test",
            *self.CHATD_ARGS, env=self.CHATD_ENV)
        self.gateway.integration = f"127.0.0.1:{self.chatd.port}"
        self.loop = Loop()
        self.sockets = []

    def tearDown(self):
        for ws in self.sockets:
            self.loop.run(ws.close())
        self.chatd.stop()
        self.gateway.stop()

    def connect(self, query):
        async def open_socket():
            return await websockets.connect(self.gateway.url(query),
                                            open_timeout=STEP)

        ws = self.loop.run(open_socket())
        self.sockets.append(ws)
        return Client(self.loop, ws)


class ApigwChat(ApigwTestCase):
    def test_alice_and_bob_chat_through_the_gateway(self):
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        a, b = alice.hello(), bob.hello()
        self.assertEqual(a["user"], "alice")
        self.assertTrue(a["connectionId"].startswith("gw"))
        self.assertNotEqual(a["connectionId"], b["connectionId"])

        alice.send({"send": {"to": "bob", "text": "hi bob", "id": "a-1"}})
        sent = alice.next()["sent"]  # the $default integration response
        self.assertEqual(sent["id"], "a-1")
        self.assertEqual(sent["status"], "DELIVERED")
        got = bob.next()["message"]  # pushed through @connections
        self.assertEqual((got["from"], got["to"], got["text"]),
                         ("alice", "bob", "hi bob"))
        self.assertEqual(got["fromConnection"], a["connectionId"])

        bob.send({"send": {"to": "alice", "text": "hi alice", "id": "b-1"}})
        self.assertEqual(bob.next()["sent"]["status"], "DELIVERED")
        self.assertEqual(alice.next()["message"]["text"], "hi alice")

        # Every @connections call was signed for execute-api.
        calls = self.gateway.calls_to(b["connectionId"])
        self.assertEqual([c[:3] for c in calls],
                         [("POST", b["connectionId"], 200)])
        self.assertRegex(calls[0][3], r"^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE"
                         r"/\d{8}/eu-west-1/execute-api/aws4_request, ")

    def test_carol_receives_nothing(self):
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        carol = self.connect("?user=carol")
        for c in (alice, bob, carol):
            c.hello()
        for i in range(10):
            alice.send({"send": {"to": "bob", "text": f"to bob {i}"}})
            self.assertEqual(alice.next()["sent"]["status"], "DELIVERED")
        texts = [f["message"]["text"] for f in bob.barrier()]
        self.assertEqual(texts, [f"to bob {i}" for i in range(10)])
        for i in range(10):
            bob.send({"send": {"to": "alice", "text": f"to alice {i}"}})
            self.assertEqual(bob.next()["sent"]["status"], "DELIVERED")
        texts = [f["message"]["text"] for f in alice.barrier()]
        self.assertEqual(texts, [f"to alice {i}" for i in range(10)])
        self.assertEqual(carol.barrier(), [])

    def test_refused_connect_refuses_the_socket(self):
        with self.assertRaises(websockets.InvalidStatusCode) as cm:
            self.connect("?user=not%20valid")
        self.assertEqual(cm.exception.status_code, 400)
        with self.assertRaises(websockets.InvalidStatusCode):
            self.connect("")

    def test_stale_id_is_removed_after_410(self):
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        a = alice.hello()
        bob.hello()
        self.gateway.vanish(a["connectionId"])  # no $disconnect
        bob.send({"send": {"to": "alice", "text": "anyone?", "id": "b-1"}})
        self.assertEqual(bob.next()["sent"]["status"], "DELIVERED")
        self.chatd.wait_for(r"connection " + re.escape(a["connectionId"]) +
                            r" gone \(410\)")
        bob.send({"send": {"to": "alice", "text": "still?", "id": "b-2"}})
        error = bob.next()["error"]
        self.assertEqual((error["code"], error["id"]),
                         ("RECIPIENT_OFFLINE", "b-2"))
        self.assertEqual([c[2] for c in self.gateway.calls_to(a["connectionId"])],
                         [410])

    def test_throttled_callbacks_are_retried(self):
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        alice.hello()
        b = bob.hello()
        self.gateway.throttle = 3
        alice.send({"send": {"to": "bob", "text": "eventually", "id": "a-1"}})
        self.assertEqual(alice.next()["sent"]["status"], "DELIVERED")
        self.assertEqual(bob.next()["message"]["text"], "eventually")
        self.assertEqual([c[2] for c in self.gateway.calls_to(b["connectionId"])],
                         [429, 429, 429, 200])

    def test_unknown_connection_is_told_to_reconnect(self):
        alice = self.connect("?user=alice")
        a = alice.hello()
        # chatd forgets alice (as after a restart) while the socket stays.
        self.gateway.vanish(a["connectionId"])
        status, body = self.gateway._integrate(
            "default", a["connectionId"], b'{"ping":{"id":"x"}}')
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["pong"]["id"], "x")
        self.gateway._integrate("disconnect", a["connectionId"])
        status, body = self.gateway._integrate(
            "default", a["connectionId"], b'{"ping":{"id":"x"}}')
        self.assertEqual(json.loads(body)["error"]["code"], "UNAUTHENTICATED")


class ApigwShutdown(ApigwTestCase):
    def test_sigterm_disconnects_through_delete(self):
        alice = self.connect("?user=alice")
        a = alice.hello()
        self.assertEqual(self.chatd.stop(), 0)
        with self.assertRaises(websockets.ConnectionClosed):
            alice.next()
        self.assertEqual([c[:3] for c in self.gateway.calls_to(a["connectionId"])],
                         [("DELETE", a["connectionId"], 204)])


class ApigwXray(ApigwTestCase):
    """chatd --xray, with a UDP socket in the X-Ray daemon's place."""

    ROOT = "1-5759e988-bd862e3fe1be46a994272793"
    PARENT = "53995c3f42cd8ad8"
    HEADER = b'{"format":"json","version":1}\n'

    def setUp(self):
        self.daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.daemon.bind(("127.0.0.1", 0))
        self.daemon.settimeout(STEP)
        port = self.daemon.getsockname()[1]
        self.CHATD_ARGS = ("--xray",)
        self.CHATD_ENV = {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}"}
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.daemon.close()

    def segments(self, until):
        """Documents received until `until(docs)` holds (or a timeout)."""
        docs = []
        while not until(docs):
            packet = self.daemon.recv(65536)
            self.assertTrue(packet.startswith(self.HEADER), packet)
            docs.append(json.loads(packet[len(self.HEADER):]))
        return docs

    def test_segments_continue_the_trace_header(self):
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        alice.hello()
        b = bob.hello()
        self.gateway.trace_header = (
            f"Root={self.ROOT};Parent={self.PARENT};Sampled=1")
        alice.send({"send": {"to": "bob", "text": "traced", "id": "t-1"}})
        self.assertIn("sent", alice.next())
        self.assertEqual(bob.next()["message"]["text"], "traced")

        def traced(docs):
            return any(d.get("type") == "subsegment" and
                       d["trace_id"] == self.ROOT for d in docs)
        docs = [d for d in self.segments(traced) if d["trace_id"] == self.ROOT]
        segment = next(d for d in docs if "type" not in d)
        sub = next(d for d in docs if d.get("type") == "subsegment")
        self.assertEqual(segment["name"], "chatd")
        self.assertEqual(segment["parent_id"], self.PARENT)
        self.assertEqual(segment["http"]["request"]["url"], "/apigw/default")
        self.assertEqual(segment["http"]["response"]["status"], 200)
        self.assertRegex(segment["id"], r"^[0-9a-f]{16}$")
        self.assertLessEqual(segment["start_time"], segment["end_time"])
        self.assertEqual(sub["parent_id"], segment["id"])
        self.assertEqual(sub["namespace"], "aws")
        self.assertEqual(sub["aws"]["operation"], "PostToConnection")
        self.assertEqual(sub["http"]["request"]["method"], "POST")
        self.assertTrue(sub["http"]["request"]["url"].endswith(
            "/test/@connections/" +
            urllib.parse.quote(b["connectionId"], safe="")))
        self.assertEqual(sub["http"]["response"]["status"], 200)

    def test_requests_without_a_header_start_new_traces(self):
        alice = self.connect("?user=alice")
        alice.hello()

        def connect_seen(docs):
            return any(d["http"]["request"]["url"] == "/apigw/connect"
                       for d in docs)
        docs = self.segments(connect_seen)
        seg = next(d for d in docs
                   if d["http"]["request"]["url"] == "/apigw/connect")
        self.assertRegex(seg["trace_id"], r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
        self.assertNotIn("parent_id", seg)


if __name__ == "__main__":
    CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)
