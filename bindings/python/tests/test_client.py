"""pychat.Client: two Python clients through an embedded server (every
transport), errors, iteration, and a client against a chatd process."""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Dict, Iterator, List

import pytest

import pychat

TRANSPORTS = ["ws_json", "ws_proto", "tcp"]


def connect(server: pychat.Server, user: str, how: str) -> pychat.Client:
    if how == "tcp":
        return pychat.Client(server.tcp_url, user=user)
    return pychat.Client(server.url, user=user, protobuf=how == "ws_proto")


@pytest.mark.parametrize("how", TRANSPORTS)
def test_two_clients_chat(server: pychat.Server, how: str) -> None:
    with connect(server, "alice", how) as alice, connect(server, "bob", "ws_json") as bob:
        assert alice.user == "alice" and alice.connection_id
        sent = alice.send("bob", "hi bob")
        assert isinstance(sent, pychat.Sent) and sent.status == "DELIVERED"
        m = bob.recv(timeout=5)
        assert m is not None
        assert (m.from_, m.to, m.text, m.message_id) == ("alice", "bob", "hi bob", sent.message_id)
        assert m.from_connection == alice.connection_id and m.sent_at > 0
        # Answer by connection id, with bytes.
        bob.send(m.from_connection, b"\xffraw", to_connection=True)
        r = alice.recv(timeout=5)
        assert r is not None and r.data == b"\xffraw" and r.text is None


def test_client_errors(server: pychat.Server) -> None:
    with pychat.Client(server.url, user="alice") as alice:
        assert alice.send("carol", "anyone?", id="a2").status == "QUEUED"
        with pytest.raises(pychat.RecipientOffline) as e:
            alice.send("n-0", "anyone?", id="a3", to_connection=True)
        assert e.value.id == "a3" and "n-0" in e.value.message
        with pytest.raises(pychat.InvalidRecipient):
            alice.send("alice", "me")
        with pytest.raises(pychat.ChatError):
            alice.send("", "nobody")
        assert alice.recv(timeout=0.1) is None


def test_message_too_large_is_refused_on_tcp() -> None:
    with pychat.Server("", tcp_listen="127.0.0.1:0", max_message_bytes=1024) as s:
        with pychat.Client(s.tcp_url, user="alice") as alice:
            # The server cannot read the frame, so its error carries no id:
            # the send sees the connection end, recv gets the error.
            with pytest.raises(ConnectionError):
                alice.send("bob", "x" * 4096)
            with pytest.raises(pychat.MessageTooLarge):
                alice.recv(timeout=5)
            assert alice.recv(timeout=5) is None
            assert alice.closed_by()[0] == 1009


def test_pipelined_sends_and_iteration(server: pychat.Server) -> None:
    n = 200
    with pychat.Client(server.url, user="alice") as alice, \
            pychat.Client(server.tcp_url, user="bob") as bob:
        ids = [alice.send("bob", f"m{i}", wait=False) for i in range(n)]
        assert all(isinstance(alice.result(i), pychat.Sent) for i in ids)  # type: ignore[arg-type]
        got: List[str] = []
        for m in bob:
            got.append(m.text or "")
            if len(got) == n:
                break
        assert got == [f"m{i}" for i in range(n)]  # order per sender is kept
        server.disconnect("bob")
        assert list(bob) == [] and bob.closed  # iteration ends with the connection


def test_connect_errors() -> None:
    with pytest.raises(pychat.ConnectError) as e:
        pychat.Client("ws://127.0.0.1:1/ws", user="a", connect_timeout=2)
    assert e.value.status == 0
    with pytest.raises(pychat.ConnectError):
        pychat.Client("http://nowhere", user="a")
    with pychat.Server() as s:
        with pytest.raises(pychat.ConnectError) as e:
            pychat.Client(s.url, user="bad!name")
        assert e.value.status == 400 and "invalid user name" in e.value.reason


def test_hundred_threads_send_at_once() -> None:
    hooked: List[int] = []
    lock = threading.Lock()

    def on_message(m: pychat.Message) -> bool:
        with lock:
            hooked.append(1)
        return True

    threads_n, per_thread = 100, 10
    with pychat.Server(tcp_listen="127.0.0.1:0", threads=2, on_message=on_message) as s:
        shared = pychat.Client(s.url, user="shared")
        bob = pychat.Client(s.tcp_url, user="bob")
        bot = s.attach("bot")
        errors: List[BaseException] = []
        start = threading.Barrier(threads_n)

        def work(t: int) -> None:
            try:
                start.wait()
                for i in range(per_thread):
                    # Even threads share one client; odd ones use the bot.
                    sender = shared if t % 2 == 0 else bot
                    assert sender.send("bob", f"{t}:{i}").status == "DELIVERED"
            except BaseException as e:  # reported below
                errors.append(e)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert not any(w.is_alive() for w in workers), "deadlock"
        assert errors == []
        got = set()
        while len(got) < threads_n * per_thread:
            m = bob.recv(timeout=10)
            assert m is not None, f"lost messages: got {len(got)}"
            got.add(m.text)
        assert got == {f"{t}:{i}" for t in range(threads_n) for i in range(per_thread)}
        assert len(hooked) == threads_n * per_thread
        shared.close()
        bob.close()


@pytest.fixture
def chatd(chatd_path: str) -> Iterator[Dict[str, int]]:
    """A chatd process on free ports; yields {"websocket": port, "tcp": port}."""
    proc = subprocess.Popen([chatd_path, "--listen", "127.0.0.1:0", "--tcp-listen",
                             "127.0.0.1:0", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        ports: Dict[str, int] = {}
        names = {"ws": "websocket", "tcp": "tcp"}
        while len(ports) < 2:
            line = proc.stdout.readline()
            assert line, "chatd exited before listening"
            # chatd logs one JSON object per line; "listening" names each port.
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("event") == "listening" and event.get("transport") in names:
                ports[names[event["transport"]]] = int(event["port"])
        yield ports
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_python_clients_against_chatd_process(chatd: Dict[str, int]) -> None:
    ws = f"ws://127.0.0.1:{chatd['websocket']}/ws"
    tcp = f"tcp://127.0.0.1:{chatd['tcp']}"
    with pychat.Client(ws, user="alice") as alice, pychat.Client(tcp, user="bob") as bob:
        assert alice.send("bob", "hello chatd").status == "DELIVERED"
        m = bob.recv(timeout=5)
        assert m is not None and (m.from_, m.text) == ("alice", "hello chatd")
        assert bob.send("carol", "?").status == "QUEUED"
