"""pychat.aio: the pychat Client for asyncio programs.

What it is, plainly: the blocking ``pychat.Client`` driven from threads.
One reader thread per client waits for messages (GIL released) and hands
them to the event loop; ``send`` and ``close`` run in the default executor.
That costs a thread hop per call on the client side only; servers and their
routing are untouched. ``recv`` is safe to cancel: a message is never lost
to a cancelled wait.
"""

from __future__ import annotations

import asyncio
import threading
from typing import AsyncIterator, Optional, Tuple, Union

from ._client import Client as _BlockingClient
from ._types import Message, Sent

Body = Union[str, bytes]


class Client:
    """Use ``await pychat.aio.Client.connect(url, user=..., token=...)`` (or
    ``async with``); raises ``pychat.ConnectError`` when refused."""

    def __init__(self, client: _BlockingClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self._inbox: "asyncio.Queue[Optional[Message]]" = asyncio.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name=f"pychat.aio reader {client.user}")
        self._reader.start()

    @classmethod
    async def connect(cls, url: str, user: str = "", token: str = "", *,
                      protobuf: bool = False, connect_timeout: float = 5.0,
                      timeout: float = 10.0) -> "Client":
        client = await asyncio.to_thread(
            _BlockingClient, url, user, token, protobuf=protobuf,
            connect_timeout=connect_timeout, timeout=timeout)
        return cls(client, asyncio.get_running_loop())

    def _read(self) -> None:
        try:
            for m in self._client:  # ends when the connection ends
                self._loop.call_soon_threadsafe(self._inbox.put_nowait, m)
        except Exception:  # an error frame about no send: end the stream
            pass
        finally:
            try:
                self._loop.call_soon_threadsafe(self._inbox.put_nowait, None)
            except RuntimeError:
                pass  # the loop is closed; nobody is waiting any more

    @property
    def user(self) -> str:
        return self._client.user

    @property
    def connection_id(self) -> str:
        return self._client.connection_id

    @property
    def closed(self) -> bool:
        return self._client.closed

    def closed_by(self) -> Tuple[int, str]:
        return self._client.closed_by()

    async def send(self, to: str, body: Body, *, id: Optional[str] = None,
                   to_connection: bool = False, timeout: Optional[float] = None) -> Sent:
        """As ``pychat.Client.send``: the ``Sent`` answer, or its ``ChatError``."""
        sent = await asyncio.to_thread(self._client.send, to, body, id=id,
                                       to_connection=to_connection, timeout=timeout)
        assert isinstance(sent, Sent)
        return sent

    async def recv(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message; None on timeout or once the connection ended."""
        try:
            m = await asyncio.wait_for(self._inbox.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if m is None:
            self._inbox.put_nowait(None)  # stays ended for later calls
        return m

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            m = await self.recv()
            if m is None:
                return
            yield m

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
        await asyncio.to_thread(self._reader.join, 5)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
