"""Server.attach: bots on the in-process transport, without a socket."""

from __future__ import annotations

import threading
from typing import List

import pytest

import pychat


def test_bot_answers_a_client(server: pychat.Server) -> None:
    bot = server.attach("echo")
    assert bot.user == "echo" and bot.id and server.online("echo")
    replies: List[str] = []

    def run() -> None:
        for m in bot:  # ends when the bot is closed
            bot.send(m.from_connection, "echo: " + (m.text or ""), to_connection=True)
            replies.append(m.text or "")

    t = threading.Thread(target=run)
    t.start()
    with pychat.Client(server.url, user="alice") as alice:
        alice.send("echo", "ping 1")
        m = alice.recv(timeout=5)
        assert m is not None and m.text == "echo: ping 1" and m.from_ == "echo"
        assert m.from_connection == bot.id
    bot.close()
    t.join(5)
    assert not t.is_alive() and replies == ["ping 1"]
    assert bot.closed and not server.online("echo")
    with pytest.raises(pychat.Unavailable):
        bot.send("alice", "after close")


def test_bots_talk_to_each_other(server: pychat.Server) -> None:
    with server.attach("a") as a, server.attach("b") as b:
        sent = a.send("b", b"\x00bytes", id="x1")
        assert sent.id == "x1" and sent.status == "DELIVERED"
        m = b.recv(timeout=5)
        assert m is not None and m.data == b"\x00bytes" and m.from_connection == a.id
        assert b.recv(timeout=0.05) is None
        assert a.send("nobody", "hi").status == "QUEUED"
    assert not server.online("a") and not server.online("b")


def test_attach_refusals(server: pychat.Server) -> None:
    with pytest.raises(ValueError):
        server.attach("not valid!")
    server.stop()
    with pytest.raises(ValueError):
        server.attach("late")


def test_endpoint_outliving_its_server_is_safe() -> None:
    s = pychat.Server().start()
    bot = s.attach("bot")
    del s  # the endpoint keeps the server alive; collecting it stops it later
    with pytest.raises(pychat.RecipientOffline):
        bot.send("n-0", "x", to_connection=True)
    bot.close()
    del bot
