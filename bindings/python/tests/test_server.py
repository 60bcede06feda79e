"""pychat.Server: lifecycle, properties, send as a service user, online,
connections, disconnect, stats."""

from __future__ import annotations

import time
from typing import Callable

import pytest

import pychat


def wait_until(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def test_start_stop_port_url_and_context_manager() -> None:
    s = pychat.Server("127.0.0.1:0", tcp_listen="127.0.0.1:0")
    assert s.start() is s
    assert s.port > 0 and s.tcp_port > 0
    assert s.url == f"ws://127.0.0.1:{s.port}/ws"
    assert s.tcp_url == f"tcp://127.0.0.1:{s.tcp_port}"
    s.start()  # idempotent
    s.stop()
    s.stop()
    with pychat.Server() as t:
        assert t.port > 0 and t.tcp_port == 0


def test_busy_port_is_an_oserror(server: pychat.Server) -> None:
    with pytest.raises(OSError):
        pychat.Server(f"127.0.0.1:{server.port}").start()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        pychat.Server(auth="jwt")
    with pytest.raises(ValueError):
        pychat.Server(log_level="loud")


def test_send_as_service_user(server: pychat.Server) -> None:
    with pychat.Client(server.url, user="bob") as bob:
        sent = server.send("bob", "welcome", from_="system", id="s-1")
        assert sent.id == "s-1" and sent.status == "DELIVERED" and sent.message_id
        m = bob.recv(timeout=5)
        assert m is not None
        assert (m.from_, m.to, m.text, m.from_connection) == ("system", "bob", "welcome", "")
        server.send(bob.connection_id, b"\x00\x01", to_connection=True)
        m = bob.recv(timeout=5)
        assert m is not None and m.data == b"\x00\x01" and m.body == b"\x00\x01"


def test_send_errors_are_chat_errors(server: pychat.Server) -> None:
    assert server.send("nobody", "hi", id="q").status == "QUEUED"
    with pytest.raises(pychat.RecipientOffline) as e:
        server.send("n-0", "hi", id="x", to_connection=True)
    assert e.value.code == 4 and e.value.id == "x" and isinstance(e.value, pychat.ChatError)
    with pytest.raises(pychat.InvalidRecipient):
        server.send("not a name!", "hi")
    with pytest.raises(pychat.InvalidFrame):
        server.send("bob", "hi", from_="bad sender")
    with pytest.raises(TypeError):
        server.send("bob", 42)  # type: ignore[arg-type]
    server.stop()
    with pytest.raises(pychat.Unavailable):
        server.send("bob", "hi")


def test_online_connections_disconnect_stats(server: pychat.Server) -> None:
    assert not server.online("alice") and server.connections("alice") == 0
    a1 = pychat.Client(server.url, user="alice")
    a2 = pychat.Client(server.tcp_url, user="alice")
    bot = server.attach("bot")
    assert server.online("alice") and server.connections("alice") == 2
    assert server.stats() == pychat.Stats(connections=3, messages_routed=0, threads=2)
    bot.send("alice", "one")
    assert server.stats().messages_routed == 1
    for c in (a1, a2):
        m = c.recv(timeout=5)
        assert m is not None and m.text == "one" and m.from_ == "bot"

    assert server.disconnect(a1.connection_id) == 1
    assert a1.recv(timeout=5) is None and a1.closed
    assert a1.closed_by() == (1008, "disconnected by the server")
    # The client sees the close frame before the server has unregistered it.
    assert wait_until(lambda: server.connections("alice") == 1)
    assert server.disconnect("alice") == 1
    assert a2.recv(timeout=5) is None and a2.closed_by()[0] == 1008
    assert server.disconnect("bot") == 1 and bot.closed
    assert server.disconnect("nobody") == 0


def test_stop_with_clients_connected() -> None:
    server = pychat.Server("127.0.0.1:0", tcp_listen="127.0.0.1:0", threads=2).start()
    clients = [pychat.Client(server.url, user=f"u{i}") for i in range(5)]
    clients.append(pychat.Client(server.tcp_url, user="t"))
    bot = server.attach("bot")
    server.stop()
    for c in clients:
        assert c.recv(timeout=5) is None
        assert c.closed_by() == (1001, "going away")
    assert bot.closed and bot.recv(timeout=1) is None
    with pytest.raises(pychat.Unavailable):
        bot.send("u1", "late")
    with pytest.raises(pychat.ConnectError):
        pychat.Client(f"ws://127.0.0.1:{server.port}/ws", user="late")
