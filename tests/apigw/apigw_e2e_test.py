#!/usr/bin/python3
"""chatd --apigw-listen behind the API Gateway stand-in (gateway.py).

Usage: /usr/bin/python3 apigw_e2e_test.py PATH/TO/chatd

Two WebSocket clients chat through the stand-in, which calls chatd's
integrations; chatd answers through @connections with SigV4-signed calls.
"""

import asyncio
import json
import re
import sys
import unittest

import websockets

import harness
from harness import ApigwTestCase


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
        # Answers (the integration response) and deliveries (@connections)
        # take different paths, so a pong is no barrier here: count instead.
        texts = [bob.next()["message"]["text"] for _ in range(10)]
        self.assertEqual(texts, [f"to bob {i}" for i in range(10)])
        for i in range(10):
            bob.send({"send": {"to": "alice", "text": f"to alice {i}"}})
            self.assertEqual(bob.next()["sent"]["status"], "DELIVERED")
        texts = [alice.next()["message"]["text"] for _ in range(10)]
        self.assertEqual(texts, [f"to alice {i}" for i in range(10)])
        self.assertEqual(carol.barrier(), [])
        with self.assertRaises(asyncio.TimeoutError):
            carol.next(timeout=0.5)

    def test_order_is_kept_per_sender_and_recipient(self):
        # Each $default request may arrive on another HTTP connection, so on
        # another chatd thread; the order must hold all the same.
        alice, bob = self.connect("?user=alice"), self.connect("?user=bob")
        alice.hello()
        bob.hello()
        for i in range(50):
            alice.send({"send": {"to": "bob", "text": str(i)}})
            self.assertIn("sent", alice.next())
        self.assertEqual([bob.next()["message"]["text"] for _ in range(50)],
                         [str(i) for i in range(50)])

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
        sent = bob.next()["sent"]
        self.assertEqual((sent["status"], sent["id"]), ("QUEUED", "b-2"))
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


if __name__ == "__main__":
    harness.CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)
