"""Hooks: on_connect (authentication), on_message (moderation),
on_disconnect, and hooks that raise."""

from __future__ import annotations

import logging
import threading
import time
from typing import List, Optional, Tuple, Union

import pytest

import pychat


def test_auth_hook_accepts_and_refuses_over_ws_and_tcp() -> None:
    seen: List[pychat.Handshake] = []

    def on_connect(h: pychat.Handshake) -> Union[str, None, Tuple[int, str]]:
        seen.append(h)
        if h.token == "open sesame":
            return "user-" + h.user  # the hook decides who the client is
        if h.token == "":
            return (401, "token required")
        return None  # 403

    with pychat.Server(tcp_listen="127.0.0.1:0", on_connect=on_connect) as s:
        for url in (s.url, s.tcp_url):
            with pychat.Client(url, user="ann", token="open sesame") as c:
                assert c.user == "user-ann"
            with pytest.raises(pychat.ConnectError) as e:
                pychat.Client(url, user="ann", token="wrong")
            assert e.value.status in (403, 1008)
        with pytest.raises(pychat.ConnectError) as e:
            pychat.Client(s.url, user="ann")
        assert e.value.status == 401 and "token required" in e.value.reason
    ws = seen[0]
    assert (ws.transport, ws.user, ws.token) == ("ws", "ann", "open sesame")
    assert ws.target.startswith("/ws?user=ann") and ws.remote_address.startswith("127.0.0.1:")
    assert ws.header("sec-websocket-protocol") == "chat.v1.json"
    assert seen[2].transport == "tcp" and seen[2].headers == []


def test_auth_hook_expiry_closes_the_connection_with_1008() -> None:
    def on_connect(h: pychat.Handshake) -> Tuple[str, float]:
        # "brief" expires in a second; "long" in an hour.
        return (h.user, time.time() + (1 if h.user == "brief" else 3600))

    with pychat.Server(tcp_listen="127.0.0.1:0", on_connect=on_connect) as s:
        with pychat.Client(s.url, user="brief") as ws, \
                pychat.Client(s.tcp_url, user="brief") as tcp, \
                pychat.Client(s.url, user="long") as other, \
                pychat.Client(s.tcp_url, user="peer") as peer:
            for c in (ws, tcp):
                assert c.recv(timeout=15) is None
                assert c.closed and c.closed_by() == (1008, "token expired")
            assert not other.closed
            peer.send("long", "still here", id="p1")
            assert other.recv(timeout=5).text == "still here"


def test_moderation_drops_a_message() -> None:
    def on_message(m: pychat.Message) -> bool:
        return "spam" not in (m.text or "")

    with pychat.Server(on_message=on_message) as s:
        with pychat.Client(s.url, user="alice") as alice, \
                pychat.Client(s.url, user="bob") as bob:
            with pytest.raises(pychat.Rejected) as e:
                alice.send("bob", "buy spam now", id="a1")
            assert e.value.code == 9 and e.value.id == "a1"
            assert alice.send("bob", "hello").status == "DELIVERED"
            m = bob.recv(timeout=5)
            assert m is not None and m.text == "hello"  # the spam never came
            bob.ping()
            assert bob.recv(timeout=0.2) is None
            with pytest.raises(pychat.Rejected):
                s.send("bob", "spam from the system")


def test_hooks_that_raise_are_logged_and_refuse(caplog: pytest.LogCaptureFixture) -> None:
    def boom(_: object) -> bool:
        raise RuntimeError("hook exploded")

    with caplog.at_level(logging.ERROR, logger="pychat"):
        with pychat.Server(tcp_listen="127.0.0.1:0", on_connect=boom, on_message=boom,
                           on_disconnect=boom) as s:
            for url in (s.url, s.tcp_url):
                with pytest.raises(pychat.ConnectError) as e:
                    pychat.Client(url, user="ann")
                assert e.value.status in (403, 1008)
            bot, other = s.attach("bot"), s.attach("other")
            with pytest.raises(pychat.Rejected):
                bot.send("other", "hi")
            bot.close()
            assert s.online("other")  # the server is still fine
    text = caplog.text
    for hook in ("on_connect", "on_message", "on_disconnect"):
        assert f"{hook} hook raised" in text
    assert "RuntimeError: hook exploded" in text


def test_auth_hook_returning_garbage_refuses(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pychat"):
        with pychat.Server(on_connect=lambda h: 42) as s:
            with pytest.raises(pychat.ConnectError) as e:
                pychat.Client(s.url, user="ann")
            assert e.value.status == 403
    assert "on_connect hook raised" in caplog.text


def test_on_disconnect_sees_every_connection_go() -> None:
    gone: List[pychat.DisconnectInfo] = []
    done = threading.Event()

    def on_disconnect(info: pychat.DisconnectInfo) -> None:
        gone.append(info)
        if len(gone) == 3:
            done.set()

    with pychat.Server(tcp_listen="127.0.0.1:0", on_disconnect=on_disconnect) as s:
        ws = pychat.Client(s.url, user="ann")
        tcp = pychat.Client(s.tcp_url, user="bea")
        bot = s.attach("bot")
        ids = {ws.connection_id, tcp.connection_id, bot.id}
        ws.close()
        bot.close()
    assert done.wait(5)
    assert {g.connection_id for g in gone} == ids
    assert sorted(g.user for g in gone) == ["ann", "bea", "bot"]


def test_hook_may_use_the_server() -> None:
    # A hook runs with the GIL on an I/O thread; calling back into the server
    # (which releases the GIL) must not deadlock.
    holder: List[Optional[pychat.Server]] = [None]

    def on_message(m: pychat.Message) -> bool:
        srv = holder[0]
        assert srv is not None
        return srv.online(m.to)

    with pychat.Server(on_message=on_message) as s:
        holder[0] = s
        with pychat.Client(s.url, user="a") as a, pychat.Client(s.url, user="b") as b:
            assert a.send("b", "x").status == "DELIVERED"
            assert b.recv(timeout=5) is not None
