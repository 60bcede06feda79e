#!/usr/bin/python3
"""chatd as a process: flags, HTTP endpoints, a third-party WebSocket client
and graceful shutdown on SIGTERM (close 1001, or 1012 when configured).

Usage: /usr/bin/python3 tests/process/chatd_test.py PATH/TO/chatd

Needs only the standard library and Debian's python3-websockets (10.4, the
asyncio client). Every server listens on 127.0.0.1 with a port picked by the
kernel. The chat frames exchanged are printed as a transcript on stderr: that
is the record of a manual session with a client chatd did not ship.
"""

import asyncio
import datetime
import http.client
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

import websockets

CHATD = None  # set from argv[1] in main()
HOST = "127.0.0.1"
STEP_TIMEOUT = 5.0  # seconds for any one network step
SENT_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


def transcript(line):
    print(f"    {line}", file=sys.stderr, flush=True)


def run_chatd(*args, timeout=10):
    """Runs chatd to completion (for flag checks)."""
    return subprocess.run([CHATD, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class Chatd:
    """A running chatd whose log (stdout, JSON lines) is read by a thread."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen(
            [CHATD, "--listen", f"{HOST}:0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=env)
        self.lines = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        match = self.wait_for_line(
            r'"event":"listening","transport":"ws".*"port":"(\d+)"')
        self.port = int(match.group(1))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)  # end of stream

    def wait_for_line(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"chatd did not log /{pattern}/ within {timeout}s; "
                    f"log so far:\n{self.output()}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(
                    f"chatd exited ({self.proc.wait()}) before logging "
                    f"/{pattern}/; log:\n{self.output()}")
            if match := regex.search(line):
                return match

    def output(self):
        return "\n".join(self.lines)

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def ws_url(self, user):
        return f"ws://{HOST}:{self.port}/ws?user={user}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()

    def events(self, name=None):
        """The log lines so far as JSON objects (every line must be one)."""
        out = [json.loads(line) for line in self.lines]
        return [e for e in out if name is None or e["event"] == name]


def upgrade(port, path, headers=None):
    """Sends a WebSocket upgrade; returns (status, body) of the answer (the
    body is empty for 101)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=STEP_TIMEOUT)
    try:
        conn.request("GET", path, headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            **(headers or {}),
        })
        r = conn.getresponse()
        return r.status, r.read().decode() if r.status != 101 else ""
    finally:
        conn.close()


class Peer:
    """One WebSocket client speaking JSON, logging every frame it moves."""

    def __init__(self, name, ws):
        self.name = name
        self.ws = ws

    @classmethod
    async def connect(cls, server, user):
        ws = await websockets.connect(server.ws_url(user),
                                      open_timeout=STEP_TIMEOUT,
                                      close_timeout=STEP_TIMEOUT)
        return cls(user, ws)

    async def send(self, frame):
        text = json.dumps(frame, separators=(",", ":"))
        transcript(f"{self.name:5} -> {text}")
        await self.ws.send(text)

    async def recv(self):
        text = await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT)
        transcript(f"{self.name:5} <- {text}")
        assert isinstance(text, str), "expected a JSON text frame"
        return json.loads(text)

    async def nothing_more(self, wait=0.3):
        """True when no frame arrives within `wait` seconds."""
        try:
            text = await asyncio.wait_for(self.ws.recv(), wait)
        except asyncio.TimeoutError:
            return True
        transcript(f"{self.name:5} <- {text}   (unexpected)")
        return False

    async def closed_code(self):
        """Waits for the server to close; returns the close code it sent."""
        try:
            while True:
                await self.recv()
        except websockets.exceptions.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd is not None else None
            reason = e.rcvd.reason if e.rcvd is not None else ""
            transcript(f"{self.name:5} <- close {code} {reason!r}")
            return code


class Flags(unittest.TestCase):
    def test_help_lists_every_flag(self):
        r = run_chatd("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Usage", r.stdout)
        for flag in ("--listen", "--tcp-listen", "--threads", "--log-level",
                     "--auth", "--log-format", "--drain-timeout",
                     "--shutdown-close-code", "--config", "--print-config",
                     "CHAT_LISTEN", "CHAT_DRAIN_TIMEOUT", "--apigw-listen",
                     "--apigw-callback", "--xray"):
            self.assertIn(flag, r.stdout)

    def test_version(self):
        r = run_chatd("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^chatd \d+\.\d+")

    def test_unknown_flag_exits_2_naming_it(self):
        r = run_chatd("--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--no-such-flag", r.stderr)

    def test_threads_must_be_a_number(self):
        r = run_chatd("--threads", "abc")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--threads", r.stderr)

    def test_unknown_auth_mode_is_refused(self):
        r = run_chatd("--auth", "ldap")
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected none or jwt", r.stderr)

    def test_auth_jwt_needs_a_key(self):
        r = run_chatd("--auth", "jwt")
        self.assertEqual(r.returncode, 2)
        self.assertIn("jwt needs a key", r.stderr)

    def test_apigw_listen_needs_a_callback(self):
        r = run_chatd("--apigw-listen", f"{HOST}:0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--apigw-callback", r.stderr)

    def test_apigw_callback_must_be_a_url(self):
        r = run_chatd("--listen", f"{HOST}:0", "--apigw-listen", f"{HOST}:0",
                      "--apigw-callback", "not-a-url")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--apigw-callback", r.stderr)

    def test_busy_port_exits_1(self):
        with socket.socket() as busy:
            busy.bind((HOST, 0))
            busy.listen()
            port = busy.getsockname()[1]
            r = run_chatd("--listen", f"{HOST}:{port}")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot start", r.stderr)


class Serving(unittest.TestCase):
    """One chatd for the chat and HTTP checks."""

    @classmethod
    def setUpClass(cls):
        cls.server = Chatd("--threads", "2")

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def fail_with_log(self, e):
        raise AssertionError(f"{e}\nchatd log:\n{self.server.output()}") from e

    def assert_welcome(self, frame, user):
        self.assertEqual(list(frame), ["welcome"])
        self.assertEqual(set(frame["welcome"]), {"connectionId", "user"})
        self.assertEqual(frame["welcome"]["user"], user)
        self.assertTrue(frame["welcome"]["connectionId"])
        return frame["welcome"]["connectionId"]

    def assert_sent(self, frame, client_id):
        self.assertEqual(list(frame), ["sent"], frame)
        sent = frame["sent"]
        self.assertEqual(set(sent), {"id", "messageId", "status"})
        self.assertEqual(sent["id"], client_id)
        self.assertEqual(sent["status"], "DELIVERED")
        self.assertTrue(sent["messageId"])
        return sent["messageId"]

    def assert_message(self, frame, message_id, sender, sender_conn, to, text):
        self.assertEqual(list(frame), ["message"], frame)
        m = frame["message"]
        self.assertEqual(set(m), {"messageId", "from", "to", "text", "sentAt",
                                  "fromConnection"})
        self.assertEqual(m["messageId"], message_id)
        self.assertEqual(m["from"], sender)
        self.assertEqual(m["to"], to)
        self.assertEqual(m["text"], text)
        self.assertEqual(m["fromConnection"], sender_conn)
        self.assertRegex(m["sentAt"], SENT_AT)
        sent_at = datetime.datetime.fromisoformat(m["sentAt"].replace("Z", "+00:00"))
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - sent_at).total_seconds()), 60)

    def test_alice_and_bob_chat_both_ways(self):
        async def session():
            alice = await Peer.connect(self.server, "alice")
            bob = await Peer.connect(self.server, "bob")
            try:
                alice_conn = self.assert_welcome(await alice.recv(), "alice")
                bob_conn = self.assert_welcome(await bob.recv(), "bob")

                # By user name. `sent` and `message` travel on different
                # sockets, so either may come first; each is first on its own.
                await alice.send({"send": {"id": "a1", "to": "bob",
                                           "text": "hi bob"}})
                mid = self.assert_sent(await alice.recv(), "a1")
                self.assert_message(await bob.recv(), mid, "alice", alice_conn,
                                    "bob", "hi bob")

                # Back by connection id, as API Gateway's @connections does.
                await bob.send({"send": {"id": "b1", "toConnection": alice_conn,
                                         "text": "hi alice"}})
                mid = self.assert_sent(await bob.recv(), "b1")
                self.assert_message(await alice.recv(), mid, "bob", bob_conn,
                                    "alice", "hi alice")

                # Carol is offline: queued for her, nothing to bob.
                await alice.send({"send": {"id": "a2", "to": "carol",
                                           "text": "anyone?"}})
                frame = await alice.recv()
                self.assertEqual(list(frame), ["sent"], frame)
                self.assertEqual(frame["sent"]["id"], "a2")
                self.assertEqual(frame["sent"]["status"], "QUEUED")
                self.assertTrue(await bob.nothing_more())
                self.assertTrue(await alice.nothing_more(0.05))
            finally:
                await alice.ws.close()
                await bob.ws.close()

        transcript("--- chat over WebSocket (JSON) ---")
        try:
            asyncio.run(asyncio.wait_for(session(), 30))
        except (OSError, asyncio.TimeoutError,
                websockets.exceptions.WebSocketException) as e:
            self.fail_with_log(e)

    def test_healthz(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.server.url("/healthz"), timeout=STEP_TIMEOUT) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"ok\n")

    def test_unknown_path_is_404(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with self.assertRaises(urllib.error.HTTPError) as cm:
            opener.open(self.server.url("/nope"), timeout=STEP_TIMEOUT)
        self.assertEqual(cm.exception.code, 404)
        cm.exception.close()

    def upgrade(self, path):
        return upgrade(self.server.port, path)

    def test_upgrade_without_user_is_400(self):
        for path in ("/ws", "/ws?user=", "/ws?user=a%20b"):
            with self.subTest(path=path):
                status, body = self.upgrade(path)
                self.assertEqual(status, 400, body)
                self.assertIn("user", body)


class Shutdown(unittest.TestCase):
    def setUp(self):
        self.server = Chatd("--threads", "2")

    def tearDown(self):
        self.server.kill()

    def sigterm_session(self, expected_code):
        async def session():
            alice = await Peer.connect(self.server, "alice")
            bob = await Peer.connect(self.server, "bob")
            await alice.recv()  # welcome
            await bob.recv()
            await alice.send({"send": {"id": "a1", "to": "bob",
                                       "text": "bye for now"}})
            self.assertEqual(list(await alice.recv()), ["sent"])

            transcript("(SIGTERM to chatd)")
            self.server.proc.send_signal(signal.SIGTERM)
            # Bob's message was queued before the signal: it comes first.
            self.assertEqual(list(await bob.recv()), ["message"])
            self.assertEqual(await alice.closed_code(), expected_code)
            self.assertEqual(await bob.closed_code(), expected_code)

        transcript("--- graceful shutdown ---")
        try:
            asyncio.run(asyncio.wait_for(session(), 30))
        except (OSError, asyncio.TimeoutError,
                websockets.exceptions.WebSocketException) as e:
            raise AssertionError(f"{e}\nchatd log:\n{self.server.output()}")
        try:
            code = self.server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail(f"chatd still runs 10 s after SIGTERM; log:\n"
                      f"{self.server.output()}")
        self.assertEqual(code, 0, self.server.output())
        self.assertEqual(len(self.server.events("draining")), 1)

    def test_sigterm_closes_clients_with_1001_and_exits_0(self):
        # 1001 "going away" by default, after flushing what was queued.
        self.sigterm_session(1001)

    def test_shutdown_close_code_1012_is_honoured(self):
        # 1012 "service restart": clients should reconnect, to another task.
        self.server.kill()
        self.server = Chatd("--threads", "2", "--shutdown-close-code", "1012")
        self.sigterm_session(1012)


def main():
    global CHATD
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/chatd [unittest args...]")
    CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
