#!/usr/bin/python3
"""chatd's operator surface: settings from flags, CHAT_* variables and a
TOML file (flag > env > file > default), --print-config, refusal of bad
settings naming them, and the JSON log: one object per line, connect events
with connection id, user and remote address, never a body or a token.

Usage: /usr/bin/python3 tests/process/config_test.py PATH/TO/chatd
"""

import asyncio
import json
import os
import sys
import tempfile
import time
import tomllib
import unittest

import chatd_test
from chatd_test import Chatd, Peer, run_chatd


def env_with(**values):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(values)
    return env


def run_with_env(env, *args):
    import subprocess
    return subprocess.run([chatd_test.CHATD, *args], capture_output=True,
                          text=True, timeout=10, env=env,
                          stdin=subprocess.DEVNULL)


class Settings(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write_config(self, text):
        path = os.path.join(self.dir.name, "chatd.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def effective(self, env, *args):
        r = run_with_env(env, *args, "--print-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        return tomllib.loads(r.stdout)

    def test_defaults(self):
        c = self.effective(env_with())
        self.assertEqual(c["listen"], "127.0.0.1:8080")
        self.assertEqual(c["threads"], 0)
        self.assertEqual(c["log_format"], "json")
        self.assertEqual(c["drain_timeout"], "25s")
        self.assertEqual(c["shutdown_close_code"], 1001)

    def test_precedence_flag_over_env_over_file_over_default(self):
        path = self.write_config(
            'threads = 3\nlog_level = "debug"\ndrain_timeout = "10s"\n'
            'node_id = "from-file"\n')
        env = env_with(CHAT_THREADS="4", CHAT_LOG_LEVEL="warn")
        c = self.effective(env, "--config", path, "--threads", "5")
        self.assertEqual(c["threads"], 5)            # flag
        self.assertEqual(c["log_level"], "warn")     # env over file
        self.assertEqual(c["drain_timeout"], "10s")  # file over default
        self.assertEqual(c["node_id"], "from-file")
        self.assertEqual(c["idle_timeout"], "600s")  # default

    def test_config_file_from_chat_config(self):
        path = self.write_config('tcp_listen = "127.0.0.1:9000"\n')
        c = self.effective(env_with(CHAT_CONFIG=path))
        self.assertEqual(c["tcp_listen"], "127.0.0.1:9000")

    def test_print_config_round_trips_through_config(self):
        first = run_with_env(env_with(), "--threads", "7",
                             "--drain-timeout", "1500ms", "--print-config")
        path = self.write_config(first.stdout)
        again = run_with_env(env_with(), "--config", path, "--print-config")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stdout, first.stdout)

    def assert_refused(self, r, *words):
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)

    def test_invalid_settings_are_refused_naming_them(self):
        self.assert_refused(run_with_env(env_with(CHAT_THREADS="many")),
                            "CHAT_THREADS", "many")
        self.assert_refused(run_with_env(env_with(), "--drain-timeout", "soon"),
                            "--drain-timeout", "duration")
        self.assert_refused(
            run_with_env(env_with(), "--shutdown-close-code", "1000"),
            "--shutdown-close-code", "1012")
        self.assert_refused(run_with_env(env_with(), "--listen", "nowhere"),
                            "--listen", "HOST:PORT")
        path = self.write_config('log_format = "xml"\n')
        self.assert_refused(run_with_env(env_with(), "--config", path),
                            path, "log_format", "json or text")
        path = self.write_config('no_such_setting = 1\n')
        self.assert_refused(run_with_env(env_with(), "--config", path),
                            "no_such_setting", "unknown setting")
        path = self.write_config('threads = [1, 2]\n')
        self.assert_refused(run_with_env(env_with(), "--config", path),
                            "threads")
        path = self.write_config('threads = \n')
        self.assert_refused(run_with_env(env_with(), "--config", path), path)

    def test_missing_config_file_is_refused(self):
        self.assert_refused(
            run_with_env(env_with(), "--config", "/nonexistent/chatd.toml"),
            "/nonexistent/chatd.toml")


SECRET_TOKEN = "tok-SECRET-5f1d2a"
SECRET_BODY = "body-SECRET-8c7e3b"


class Logs(unittest.TestCase):
    def test_json_lines_with_connect_fields_and_no_secrets(self):
        server = Chatd("--threads", "1", "--log-level", "debug",
                       env=env_with())
        try:
            async def session():
                alice = await Peer.connect(
                    server, f"alice&token={SECRET_TOKEN}")
                bob = await Peer.connect(server, "bob")
                welcome = (await alice.recv())["welcome"]
                await bob.recv()
                await alice.send({"send": {"id": "s1", "to": "bob",
                                           "text": SECRET_BODY}})
                await alice.recv()
                await bob.recv()
                await alice.ws.close()
                await bob.ws.close()
                return welcome["connectionId"]

            conn = asyncio.run(asyncio.wait_for(session(), 30))
            deadline = time.monotonic() + 10
            while len(server.events("disconnect")) < 2:
                self.assertLess(time.monotonic(), deadline, server.output())
                time.sleep(0.02)
        finally:
            server.kill()
        events = server.events()  # each line parses as one JSON object
        for e in events:
            self.assertEqual(set(e) >= {"ts", "level", "event"}, True, e)
        connects = [e for e in events if e["event"] == "connect"]
        alice = next(e for e in connects if e["user"] == "alice")
        self.assertEqual(alice["connection"], conn)
        self.assertEqual(alice["transport"], "ws")
        self.assertRegex(alice["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertTrue(any(e["event"] == "disconnect"
                            and e["connection"] == conn for e in events))
        log = server.output()
        self.assertNotIn(SECRET_TOKEN, log)
        self.assertNotIn(SECRET_BODY, log)

    def test_refused_handshakes_are_logged(self):
        import http.client
        server = Chatd("--threads", "1", env=env_with())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port,
                                              timeout=5)
            conn.request("GET", f"/ws?token={SECRET_TOKEN}", headers={
                "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
            self.assertEqual(conn.getresponse().status, 400)
            conn.close()
            server.wait_for_line(r'"event":"handshake_refused"')
        finally:
            server.kill()
        refused = server.events("handshake_refused")[0]
        self.assertEqual(refused["reason"], "invalid_user")
        self.assertEqual(refused["status"], "400")
        self.assertRegex(refused["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertNotIn(SECRET_TOKEN, server.output())

    def test_text_format_for_humans_from_env(self):
        import re
        import signal
        import subprocess
        proc = subprocess.Popen(
            [chatd_test.CHATD, "--listen", "127.0.0.1:0", "--threads", "1"],
            env=env_with(CHAT_LOG_FORMAT="text"), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            while line and "listening" not in line:
                line = proc.stdout.readline()
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT[\d:.]+Z info  listening "
                                   r"transport=ws address=127\.0\.0\.1:0 "
                                   r"port=\d+$")
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=10)
            self.assertRegex(rest, r"info  draining signal=SIGTERM")
            self.assertEqual(proc.returncode, 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

def main():
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/chatd [unittest args...]")
    chatd_test.CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
