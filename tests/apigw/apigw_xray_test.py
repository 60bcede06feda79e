#!/usr/bin/python3
"""chatd --xray behind the API Gateway stand-in, with a UDP socket in the
X-Ray daemon's place.

Usage: /usr/bin/python3 apigw_xray_test.py PATH/TO/chatd
"""

import json
import socket
import sys
import unittest
import urllib.parse

import harness
from harness import STEP, ApigwTestCase


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
    harness.CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)
