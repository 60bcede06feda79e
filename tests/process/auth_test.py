#!/usr/bin/python3
"""chatd --auth jwt as a process: key files made by the openssl command,
tokens in the query and the Authorization header, refusals with their
reasons, the startup warning of --auth none, the Origin allow-list, and no
token ever in chatd's log (at debug level, refused handshakes included).

Usage: /usr/bin/python3 tests/process/auth_test.py PATH/TO/chatd

Standard library, Debian's python3-websockets and the openssl command.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import time
import unittest

import websockets

import chatd_test
from chatd_test import HOST, STEP_TIMEOUT, Chatd, Peer, upgrade

SECRET = b"process-test-secret-at-least-32-bytes!"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper(token):
    """The token with the first character of its signature changed (never
    to itself: replacing the last two with "AA" kept about one token in a
    thousand as it was)."""
    head, body, sig = token.split(".")
    return f"{head}.{body}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"


def claims(sub, exp_in, **extra):
    return {"sub": sub, "exp": int(time.time()) + exp_in, **extra}


def hs256(payload):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    sig = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def rs256(key_file, payload):
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    sig = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", key_file],
        input=f"{head}.{body}".encode(), capture_output=True, check=True).stdout
    return f"{head}.{body}.{b64(sig)}"


class Keys:
    """An HS256 secret file and an RSA key pair made by openssl."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.secret = os.path.join(d, "secret")
        with open(self.secret, "wb") as f:
            f.write(SECRET + b"\n")  # the newline is dropped
        self.private = os.path.join(d, "rsa.pem")
        self.public = os.path.join(d, "rsa.pub.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                        "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                        self.private], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", self.private, "-pubout",
                        "-out", self.public], check=True, capture_output=True)


class AuthNone(unittest.TestCase):
    def test_auth_none_warns_at_start(self):
        server = Chatd("--threads", "1")
        try:
            warnings = [e for e in server.events("log") if e["level"] == "warn"]
            self.assertEqual(len(warnings), 1, server.output())
            self.assertIn("--auth none", warnings[0]["message"])
        finally:
            server.kill()


class AuthJwt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = Keys()
        cls.server = Chatd(
            "--threads", "2", "--log-level", "debug", "--auth", "jwt",
            "--jwt-hs256-secret-file", cls.keys.secret,
            "--jwt-public-key", cls.keys.public,
            "--jwt-issuer", "https://issuer.example", "--jwt-audience", "chat",
            "--allowed-origin", "https://app.example.com")

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        cls.keys.dir.cleanup()

    def good(self, sub, exp_in=3600):
        return hs256(claims(sub, exp_in, iss="https://issuer.example",
                            aud="chat"))

    def test_no_warning_with_jwt(self):
        self.assertEqual(
            [e for e in self.server.events("log") if e["level"] == "warn"], [])

    def test_query_and_bearer_tokens_chat(self):
        bearer = rs256(self.keys.private,
                       claims("bob", 3600, iss="https://issuer.example",
                              aud=["chat"]))

        async def session():
            port = self.server.port
            a = Peer("alice", await websockets.connect(
                f"ws://{HOST}:{port}/ws?user=mallory&token="
                f"{self.good('alice')}", open_timeout=STEP_TIMEOUT))
            b = Peer("bob", await websockets.connect(
                f"ws://{HOST}:{port}/ws",
                extra_headers={"Authorization": f"Bearer {bearer}"},
                open_timeout=STEP_TIMEOUT))
            self.assertEqual((await a.recv())["welcome"]["user"], "alice")
            self.assertEqual((await b.recv())["welcome"]["user"], "bob")
            await a.send({"send": {"id": "c1", "to": "bob", "text": "hi"}})
            self.assertEqual((await b.recv())["message"]["text"], "hi")
            await a.ws.close()
            await b.ws.close()

        asyncio.run(session())

    def test_bad_tokens_are_401_with_a_reason(self):
        other = hs256(claims("eve", 3600, iss="https://issuer.example",
                             aud="other"))
        cases = {
            "": "missing token",
            self.good("eve", -60): "token expired",
            other: "wrong audience",
            tamper(self.good("eve")): "bad signature",
        }
        for token, why in cases.items():
            with self.subTest(why=why):
                status, body = upgrade(self.server.port, f"/ws?token={token}")
                self.assertEqual((status, body), (401, why + "\n"))

    def test_foreign_origin_is_403(self):
        status, body = upgrade(self.server.port,
                               f"/ws?token={self.good('alice')}",
                               {"Origin": "https://app.example.com.evil.example"})
        self.assertEqual((status, body), (403, "origin not allowed\n"))
        status, _ = upgrade(self.server.port, f"/ws?token={self.good('alice')}",
                            {"Origin": "https://app.example.com"})
        self.assertEqual(status, 101)

    def test_tokens_never_reach_the_log(self):
        tokens = [self.good("logcheck"), self.good("logcheck", -60)]
        for t in tokens:
            upgrade(self.server.port, f"/ws?user=x&token={t}")
            upgrade(self.server.port, "/nope?token=" + t)
        # Every handshake above is logged (refusals at info) before this
        # marker, which a last refused request adds.
        upgrade(self.server.port, "/ws?token=marker")
        self.server.wait_for_line(r'"detail":"malformed token"')
        log = self.server.output()
        for t in tokens:
            for part in t.split("."):
                self.assertNotIn(part[-20:], log)
        self.assertIn('"event":"handshake_refused"', log)


if __name__ == "__main__":
    chatd_test.main()
