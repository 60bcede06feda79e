#!/usr/bin/python3
"""chatd's production limits, attacked from outside the process: settings
that are wrong together, frame headers claiming absurd sizes (RSS barely
moves), and descriptor exhaustion (chatd neither crashes nor spins, keeps its
chats and accepts again once descriptors are free).

Usage: /usr/bin/python3 tests/process/limits_test.py PATH/TO/chatd

Standard library only: a few lines of WebSocket (RFC 6455) over raw sockets.
Every server listens on 127.0.0.1 with a port picked by the kernel; bounds
are on counts and generous limits, never on how fast something happened.
"""

import json
import os
import queue
import re
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

CHATD = None  # set from argv[1]
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


class Chatd:
    """A running chatd; its JSON log is read by a thread."""

    def __init__(self, *args, nofile=None):
        limit = None
        if nofile is not None:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(
            [CHATD, "--listen", f"{HOST}:0", "--tcp-listen", f"{HOST}:0",
             "--threads", "2", "--web", "false", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, preexec_fn=limit)
        self.lines = []
        self._queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ports = {}
        for transport in ("ws", "tcp"):
            m = self.wait_for_line(
                rf'"event":"listening","transport":"{transport}".*'
                r'"port":"(\d+)"')
            self.ports[transport] = int(m.group(1))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    def wait_for_line(self, pattern, timeout=20.0):
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"chatd exited; log:\n{self.output()}")
            if m := regex.search(line):
                return m
        raise AssertionError(f"no /{pattern}/ in {timeout}s:\n{self.output()}")

    def output(self):
        return "\n".join(self.lines)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def client_frame(opcode, payload, claimed=None):
    """A masked client frame (mask 0: the payload as it is)."""
    n = len(payload) if claimed is None else claimed
    if n < 126 and claimed is None:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536 and claimed is None:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


class Ws:
    """A WebSocket client over a raw socket, JSON frames."""

    def __init__(self, port, user):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.sock.sendall(
            f"GET /ws?user={user} HTTP/1.1\r\nHost: {HOST}\r\n"
            "Connection: Upgrade\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.need(len(self.buf) + 1)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("closed")
            self.buf += data

    def frame(self):
        """(opcode, payload) of the next server frame."""
        self.need(2)
        opcode, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        at = 2
        if n >= 126:
            ext = 2 if n == 126 else 8
            self.need(2 + ext)
            n = int.from_bytes(self.buf[2:2 + ext], "big")
            at += ext
        self.need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return opcode, payload

    def json(self):
        """The next text frame as JSON, past receipts."""
        while True:
            opcode, payload = self.frame()
            assert opcode == 1, (opcode, payload)
            msg = json.loads(payload)
            if "receipt" not in msg:
                return msg

    def send(self, obj):
        self.sock.sendall(client_frame(1, json.dumps(obj).encode()))

    def close_code(self):
        """Reads past data frames to the close frame; its code."""
        while True:
            opcode, payload = self.frame()
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0]


def chat(port, a, b, text):
    """a sends b `text`; returns what b received (both newly connected)."""
    wa, wb = Ws(port, a), Ws(port, b)
    assert "welcome" in wa.json() and "welcome" in wb.json()
    wa.send({"send": {"id": "1", "to": b, "text": text}})
    assert "sent" in wa.json()
    got = wb.json()["message"]["text"]
    wa.sock.close()
    wb.sock.close()
    return got


class ConfigErrors(unittest.TestCase):
    def run_chatd(self, *args, env=None):
        return subprocess.run([CHATD, *args], capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL,
                              env=env)

    def test_rate_limit_without_burst(self):
        r = self.run_chatd("--rate-limit", "10")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(
            r.stderr,
            "chatd: invalid setting: rate_limit and rate_burst must be set "
            "together: both above 0, or both 0 (off)\n")

    def test_rate_burst_without_limit_from_the_environment(self):
        r = self.run_chatd(env={**os.environ, "CHAT_RATE_BURST": "5"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("rate_limit and rate_burst must be set together",
                      r.stderr)

    def test_queue_smaller_than_a_message(self):
        r = self.run_chatd("--max-send-queue-bytes", "2048",
                           "--max-message-bytes", "4096")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(
            r.stderr,
            "chatd: invalid setting: max_send_queue_bytes must be at least "
            "max_message_bytes, or one message could never be queued\n")

    def test_help_lists_the_limits(self):
        out = self.run_chatd("--help").stdout
        for flag in ("--rate-limit", "--rate-burst", "--max-send-queue-bytes",
                     "--write-timeout", "--max-connection-lifetime",
                     "--handshake-timeout", "--idle-timeout"):
            self.assertIn(flag, out)

    def test_print_config_shows_the_defaults(self):
        out = self.run_chatd("--print-config").stdout
        self.assertIn('max_connection_lifetime = "7200s"', out)
        self.assertIn("max_send_queue_bytes = 1048576", out)
        self.assertIn('write_timeout = "30s"', out)
        self.assertIn("rate_limit = 0", out)


class HugeLengths(unittest.TestCase):
    """Headers claiming 2^63-1 (ws) and 4 GB (tcp) bytes are refused on
    sight: the close comes while the claimed bytes have not been sent, and
    the server's memory barely moves."""

    def test_refused_without_allocating(self):
        chatd = Chatd("--handshake-timeout", "2s")
        try:
            # Warm up (threads, first allocations), then measure.
            self.assertEqual(chat(chatd.ports["ws"], "a0", "b0", "hi"), "hi")
            before = chatd.rss_kib()
            for i in range(50):
                ws = Ws(chatd.ports["ws"], f"w{i}")
                ws.send({"ping": {"id": "p"}})  # proof of life first
                ws.sock.sendall(client_frame(2, b"x" * 1024, (1 << 63) - 1))
                self.assertEqual(ws.close_code(), 1009)
                ws.sock.close()

                t = socket.create_connection((HOST, chatd.ports["tcp"]),
                                             timeout=10)
                hello = b"\x0a" + bytes([2 + len(f"t{i}")]) + b"\x0a" + \
                    bytes([len(f"t{i}")]) + f"t{i}".encode()
                t.sendall(bytes([len(hello)]) + hello)
                t.sendall(b"\x80\x80\x80\x80\x10" + b"y" * 1024)  # 4 GiB
                data = b""
                while chunk := t.recv(65536):
                    data += chunk
                self.assertIn(b"message too big", data)
                t.close()
            grown = chatd.rss_kib() - before
            print(f"    RSS grew by {grown} KiB over 100 huge claims",
                  file=sys.stderr)
            self.assertLess(grown, 8 * 1024)
            self.assertEqual(chat(chatd.ports["ws"], "a1", "b1", "ok"), "ok")
        finally:
            chatd.stop()


class DescriptorExhaustion(unittest.TestCase):
    def test_pauses_keeps_chats_and_accepts_again(self):
        chatd = Chatd("--handshake-timeout", "60s", nofile=64)
        hogs = []
        try:
            port = chatd.ports["ws"]
            alice, bob = Ws(port, "alice"), Ws(port, "bob")
            assert "welcome" in alice.json() and "welcome" in bob.json()
            # Connections that never send: each accepted one holds a
            # descriptor until the server runs out; the rest wait in the
            # backlog.
            for _ in range(100):
                hogs.append(socket.create_connection((HOST, port), timeout=10))
            chatd.wait_for_line(r"accept: Too many open files; pausing")
            cpu_before = chatd.cpu_seconds()
            time.sleep(3)
            cpu = chatd.cpu_seconds() - cpu_before
            print(f"    CPU while out of descriptors: {cpu:.2f} s over 3 s",
                  file=sys.stderr)
            self.assertLess(cpu, 0.5)  # a spinning accept loop burns ~3 s
            self.assertEqual(
                sum("pausing" in line for line in chatd.lines), 1)
            # Existing chats go on.
            alice.send({"send": {"id": "1", "to": "bob", "text": "still?"}})
            self.assertIn("sent", alice.json())
            self.assertEqual(bob.json()["message"]["text"], "still?")
            self.assertIsNone(chatd.proc.poll())
            alice.sock.close()
            bob.sock.close()
            # Free the descriptors: it accepts again.
            for s in hogs:
                s.close()
            hogs.clear()
            chatd.wait_for_line(r"accepting again")
            for attempt in range(50):
                try:
                    self.assertEqual(chat(port, "carol", "dave", "back"),
                                     "back")
                    break
                except (EOFError, OSError, AssertionError):
                    if attempt == 49:
                        raise
                    time.sleep(0.2)
        finally:
            for s in hogs:
                s.close()
            chatd.stop()


if __name__ == "__main__":
    CHATD = sys.argv.pop(1)
    unittest.main(verbosity=2)
