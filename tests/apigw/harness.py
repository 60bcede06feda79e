"""chatd --apigw-listen behind the stand-in: the pieces the tests share.

A chatd process, the gateway stand-in (gateway.py), and WebSocket clients
driven synchronously from an asyncio loop on a thread. Everything is on
127.0.0.1 with kernel-chosen ports; every wait is bounded by STEP.
"""

import asyncio
import json
import os
import queue
import re
import signal
import subprocess
import threading
import unittest

import websockets

from gateway import Gateway

CHATD = None  # set by the test script from argv
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
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True,
            env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        # chatd logs one JSON object per line; "listening" names each port.
        self.port = int(self.wait_for(
            r'"event":"listening","transport":"apigw".*"port":"(\d+)"').group(1))

    def _pump(self):
        path = os.environ.get("APIGW_CHATD_LOG")  # keeps chatd's log, to debug
        log = open(path, "a") if path else None
        for line in self.proc.stdout:
            self.lines.put(line)
            if log:
                log.write(line)
                log.flush()

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
        self.proc.stdout.close()
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
