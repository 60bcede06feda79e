"""Delivery guarantees through pychat: queued sends, acks and redelivery,
receipts, copies to the sender's other devices, and a SQLite store that
keeps what was queued across a restart of the server."""

import pychat


def test_queued_then_delivered_with_receipts(server: pychat.Server) -> None:
    with pychat.Client(server.url, user="alice") as alice:
        sent = alice.send("bob", "are you there?")
        assert sent.status == "QUEUED"
        with pychat.Client(server.url, user="bob") as bob:
            m = bob.recv(timeout=5)
            assert m is not None and m.message_id == sent.message_id
            assert m.text == "are you there?" and not m.copy
            bob.read(m.message_id)
            got = alice.receipts(timeout=5)
            while len(got) < 2:
                more = alice.receipts(timeout=5)
                assert more, got
                got += more
        assert [(r.status, r.id, r.by) for r in got] == [
            ("DELIVERED", sent.id, "bob"), ("READ", sent.id, "bob")]
        assert all(r.message_id == sent.message_id for r in got)


def test_unacked_messages_come_again_with_the_same_id(
        server: pychat.Server) -> None:
    with pychat.Client(server.url, user="alice") as alice:
        ids = [alice.send("bob", f"m{i}").message_id for i in range(3)]
        with pychat.Client(server.url, user="bob", auto_ack=False) as bob:
            first = [bob.recv(timeout=5) for _ in range(3)]
            assert [m.message_id for m in first] == ids
            bob.ack(first[0].message_id)
            bob.ping()
        with pychat.Client(server.url, user="bob", auto_ack=False) as bob:
            again = [bob.recv(timeout=5) for _ in range(2)]
            assert [m.message_id for m in again] == ids[1:]
            bob.ack(again[-1].message_id, cumulative=True)
            bob.ping()
        with pychat.Client(server.url, user="bob") as bob:
            bob.ping()
            assert bob.recv(timeout=0.1) is None


def test_a_resend_with_the_same_id_is_answered_not_delivered(
        server: pychat.Server) -> None:
    with pychat.Client(server.url, user="bob") as bob:
        with pychat.Client(server.url, user="alice") as alice:
            first = alice.send("bob", "once", id="same")
        with pychat.Client(server.url, user="alice") as alice:
            again = alice.send("bob", "once", id="same")
        assert again.message_id == first.message_id
        assert bob.recv(timeout=5).text == "once"
        bob.ping()
        assert bob.recv(timeout=0.1) is None


def test_other_devices_get_a_copy(server: pychat.Server) -> None:
    with pychat.Client(server.url, user="alice") as phone, \
            pychat.Client(server.url, user="alice") as laptop, \
            pychat.Client(server.url, user="bob") as bob:
        sent = phone.send("bob", "from the phone", id="p1")
        copy = laptop.recv(timeout=5)
        assert copy is not None and copy.copy and copy.id == "p1"
        assert copy.message_id == sent.message_id and copy.to == "bob"
        assert bob.recv(timeout=5).text == "from the phone"


def test_sqlite_store_keeps_queued_messages_across_a_restart(tmp_path) -> None:
    db = f"sqlite:{tmp_path / 'chat.db'}"
    first = pychat.Server(store=db).start()
    try:
        with pychat.Client(first.url, user="alice") as alice:
            sent = alice.send("bob", "see you after the restart")
            assert sent.status == "QUEUED"
    finally:
        first.stop()
    second = pychat.Server(store=db).start()
    try:
        with pychat.Client(second.url, user="bob") as bob:
            m = bob.recv(timeout=5)
            assert m is not None and m.message_id == sent.message_id
            assert m.text == "see you after the restart"
    finally:
        second.stop()
