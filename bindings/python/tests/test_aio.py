"""pychat.aio: the asyncio client."""

from __future__ import annotations

import asyncio

import pytest

import pychat
import pychat.aio


def test_aio_clients_chat(server: pychat.Server) -> None:
    async def main() -> None:
        alice = await pychat.aio.Client.connect(server.url, user="alice")
        async with alice, await pychat.aio.Client.connect(server.tcp_url, user="bob") as bob:
            assert (await alice.send("bob", "hi")).status == "DELIVERED"
            m = await bob.recv(timeout=5)
            assert m is not None and (m.from_, m.text) == ("alice", "hi")
            assert (await bob.send("carol", "?")).status == "QUEUED"
            # A cancelled recv loses nothing.
            waiting = asyncio.ensure_future(bob.recv())
            await asyncio.sleep(0.05)
            waiting.cancel()
            await alice.send("bob", "after cancel")
            m = await bob.recv(timeout=5)
            assert m is not None and m.text == "after cancel"
            assert await bob.recv(timeout=0.05) is None
            server.disconnect("bob")
            assert [m async for m in bob] == [] and bob.closed
        with pytest.raises(pychat.ConnectError):
            await pychat.aio.Client.connect(server.url, user="bad!name")

    asyncio.run(main())
