#!/usr/bin/python3
"""chatd --store sqlite:PATH as a process: kill -9 in the middle of traffic,
a damaged file, a disk that stops taking writes.

Usage: /usr/bin/python3 tests/process/store_test.py PATH/TO/chatd

The crash test is a message-accounting checker: senders resend what was not
answered (same client ids) after every restart, receivers ack what they
recorded, and at the end every send that got `sent` must have arrived
(lost = 0), no send may have arrived under two message ids (duplicated
after dedup = 0), and each pair's first arrivals must be in send order
(order violations = 0).
"""

import asyncio
import json
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import websockets

CHATD = None
HOST = "127.0.0.1"
PAIRS = 8
WINDOW = 8        # sends in flight per sender
KILLS = 5


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Chatd:
    """chatd on a fixed port (the same across restarts), log kept."""

    def __init__(self, port, store, *extra, preexec=None):
        self.port = port
        self.proc = subprocess.Popen(
            [CHATD, "--listen", f"{HOST}:{port}", "--store", f"sqlite:{store}",
             "--log-level", "info", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, preexec_fn=preexec)
        self.lines = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(10):
            self.kill()
            raise AssertionError("chatd did not start:\n" + self.output())

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if '"event":"listening","transport":"ws"' in line:
                self._ready.set()
        self._ready.set()

    def output(self):
        return "\n".join(self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=5)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=5)

    def get(self, path):
        try:
            with urllib.request.urlopen(
                    f"http://{HOST}:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


class Ledger:
    """What every sender was told and what every receiver saw."""

    def __init__(self):
        self.next_n = [0] * PAIRS
        self.unanswered = [dict() for _ in range(PAIRS)]  # n -> True, in order
        self.confirmed = [dict() for _ in range(PAIRS)]   # n -> message id
        self.arrivals = [[] for _ in range(PAIRS)]        # (message id, n)
        self.unavailable = 0

    def check(self):
        lost = dup = disorder = 0
        for p in range(PAIRS):
            first = {}  # message id -> n, first arrival order
            for mid, n in self.arrivals[p]:
                first.setdefault(mid, n)
            ids_per_n = {}
            for mid, n in first.items():
                ids_per_n.setdefault(n, set()).add(mid)
            dup += sum(len(ids) - 1 for ids in ids_per_n.values())
            lost += sum(1 for n in self.confirmed[p] if n not in ids_per_n)
            order = list(first.values())
            disorder += sum(1 for a, b in zip(order, order[1:]) if b < a)
        return {"lost": lost, "duplicated": dup, "out_of_order": disorder}


async def connect(port, user):
    return await websockets.connect(f"ws://{HOST}:{port}/ws?user={user}",
                                    open_timeout=5, close_timeout=1)


async def sender(port, p, ledger, new_until):
    """Resends what was unanswered, then sends new ones until `new_until`
    (a loop time; None: resend only), WINDOW in flight."""
    ws = await connect(port, f"s{p}")
    await ws.recv()  # welcome
    in_flight = 0
    queue = list(ledger.unanswered[p])

    async def send(n):
        await ws.send(json.dumps({"send": {"id": f"s{p}-{n}", "to": f"r{p}",
                                           "text": str(n)}}))

    async def answer():
        f = json.loads(await ws.recv())
        if "sent" in f:
            n = int(f["sent"]["id"].split("-")[1])
            ledger.confirmed[p][n] = f["sent"]["messageId"]
            ledger.unanswered[p].pop(n, None)
            return True
        if "error" in f:
            assert f["error"]["code"] == "UNAVAILABLE", f
            ledger.unavailable += 1
            return True
        return False  # a receipt

    loop = asyncio.get_running_loop()
    try:
        while queue or (new_until and loop.time() < new_until) or in_flight:
            if in_flight < WINDOW and (queue or (new_until and
                                                 loop.time() < new_until)):
                if queue:
                    n = queue.pop(0)
                else:
                    n = ledger.next_n[p]
                    ledger.next_n[p] += 1
                    ledger.unanswered[p][n] = True
                await send(n)
                in_flight += 1
                continue
            if await asyncio.wait_for(answer(), 10):
                in_flight -= 1
    finally:
        await ws.close()


async def receiver(port, p, ledger, stop):
    ws = await connect(port, f"r{p}")
    await ws.recv()  # welcome
    try:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 0.2)
            except asyncio.TimeoutError:
                continue
            f = json.loads(text)
            if "message" in f:
                m = f["message"]
                ledger.arrivals[p].append((m["messageId"], int(m["text"])))
                await ws.send(json.dumps({"ack": {"messageId": m["messageId"]}}))
    finally:
        await ws.close()


async def crash_round(port, ledger, duration):
    """Traffic until chatd dies under it; returns when every client ended."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(receiver(port, p, ledger, stop))
             for p in range(PAIRS)]
    tasks += [asyncio.create_task(sender(port, p, ledger,
                                         loop.time() + duration + 5))
              for p in range(PAIRS)]
    await asyncio.sleep(duration)
    return tasks, stop


async def final_round(port, ledger):
    stop = asyncio.Event()
    receivers = [asyncio.create_task(receiver(port, p, ledger, stop))
                 for p in range(PAIRS)]
    await asyncio.gather(*(sender(port, p, ledger, None)
                           for p in range(PAIRS)))
    deadline = asyncio.get_running_loop().time() + 15
    while asyncio.get_running_loop().time() < deadline:
        got = [{n for _, n in ledger.arrivals[p]} for p in range(PAIRS)]
        if all(set(ledger.confirmed[p]) <= got[p] for p in range(PAIRS)):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*receivers, return_exceptions=True)


class CrashSafety(unittest.TestCase):
    def test_kill_9_five_times_loses_nothing_acked(self):
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as d:
            store = os.path.join(d, "chat.db")
            port = free_port()
            ledger = Ledger()

            async def run():
                for _ in range(KILLS):
                    server = Chatd(port, store)
                    try:
                        tasks, stop = await crash_round(
                            port, ledger, rng.uniform(0.4, 1.0))
                    finally:
                        server.kill()  # kill -9, mid-traffic
                    stop.set()
                    await asyncio.gather(*tasks, return_exceptions=True)
                server = Chatd(port, store)
                try:
                    await final_round(port, ledger)
                finally:
                    server.stop()

            asyncio.run(run())
            confirmed = sum(len(c) for c in ledger.confirmed)
            report = ledger.check()
            print(f"    {KILLS} kills, {confirmed} sends confirmed, "
                  f"{sum(len(a) for a in ledger.arrivals)} arrivals, "
                  f"checker {report}", file=sys.stderr)
            self.assertGreater(confirmed, 100)  # there was traffic to lose
            self.assertEqual(report,
                             {"lost": 0, "duplicated": 0, "out_of_order": 0})


class Faults(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = os.path.join(self.dir.name, "chat.db")
        self.port = free_port()

    def tearDown(self):
        self.dir.cleanup()

    def send_some(self, texts, to="bob"):
        async def go():
            ws = await connect(self.port, "alice")
            await ws.recv()
            answers = []
            for i, t in enumerate(texts):
                await ws.send(json.dumps({"send": {"id": f"f-{t}", "to": to,
                                                   "text": t}}))
                answers.append(json.loads(await ws.recv()))
            await ws.close()
            return answers
        return asyncio.run(go())

    def inbox(self, user="bob"):
        async def go():
            ws = await connect(self.port, user)
            await ws.recv()
            await ws.send('{"ping":{"id":"end"}}')
            got = []
            while True:
                f = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if "pong" in f:
                    break
                got.append(f["message"]["text"])
            await ws.close()
            return got
        return asyncio.run(go())

    def test_a_file_that_is_not_a_database_stops_the_start(self):
        with open(self.store, "wb") as f:
            f.write(b"this is not an SQLite database, just bytes" * 100)
        r = subprocess.run([CHATD, "--listen", f"{HOST}:0", "--store",
                            f"sqlite:{self.store}"], capture_output=True,
                           text=True, timeout=10, stdin=subprocess.DEVNULL)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(self.store, r.stdout + r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"not a database|unusable")

    def test_a_damaged_record_is_reported_and_never_delivered(self):
        server = Chatd(self.port, self.store)
        try:
            answers = self.send_some(["one", "two", "three"])
            self.assertEqual([a["sent"]["status"] for a in answers],
                             ["QUEUED"] * 3)
            self.assertEqual(server.get("/readyz"), (200, "ready\n"))
        finally:
            server.stop()
        db = sqlite3.connect(self.store)
        db.execute("UPDATE messages SET frame = x'0a03626164' "
                   "WHERE message_id = ?", (answers[1]["sent"]["messageId"],))
        db.commit()
        db.close()
        server = Chatd(self.port, self.store)
        try:
            status, body = server.get("/readyz")
            self.assertEqual(status, 503)
            self.assertIn("1 damaged records skipped", body)
            self.assertTrue(any('"level":"error"' in l and "damaged" in l
                                for l in server.lines), server.output())
            self.assertEqual(self.inbox(), ["one", "three"])
        finally:
            server.stop()

    def test_a_disk_that_stops_taking_writes_means_no_ack(self):
        def small_disk():  # writes past 96 KiB fail with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (96 * 1024, 96 * 1024))
        server = Chatd(self.port, self.store, preexec=small_disk)
        body = "x" * 2000
        try:
            answers = self.send_some([f"{i}-{body}" for i in range(200)])
            status, why = server.get("/readyz")
        finally:
            server.stop()
        acked = [a for a in answers if "sent" in a]
        refused = [a for a in answers if "error" in a]
        self.assertGreater(len(acked), 0)
        self.assertGreater(len(refused), 0)
        self.assertEqual({a["error"]["code"] for a in refused}, {"UNAVAILABLE"})
        self.assertEqual((status, why.startswith("store write failed")),
                         (503, True), why)
        # Every acked send is there after a restart on a healthy disk.
        server = Chatd(self.port, self.store)
        try:
            got = self.inbox()
        finally:
            server.stop()
        want = [a["sent"]["id"][2:] for a in acked]
        self.assertEqual([g for g in got if g in want], want)


def main():
    global CHATD
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/chatd [unittest args...]")
    CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
