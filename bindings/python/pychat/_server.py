"""pychat.Server and pychat.Endpoint: a chat router inside this process."""

from __future__ import annotations

import atexit
import weakref
from typing import Callable, Optional, Tuple, Union

from . import _core
from ._errors import error_from
from ._types import DisconnectInfo, Handshake, Message, Receiver, Sent, Stats

Body = Union[str, bytes]
AuthVerdict = Union[str, None, Tuple[int, str], Tuple[str, float]]

# Servers still running when the interpreter exits are stopped first, so that
# no I/O thread is left calling into a finalizing interpreter.
_running: "weakref.WeakSet[Server]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()


def _answer(frame: dict) -> Sent:
    if frame["type"] == "sent":
        return Sent._from(frame)
    raise error_from(frame)


class Endpoint(Receiver):
    """An in-process connection made by ``Server.attach(user)``: a bot that
    sends and receives through the router without a socket. Other users reach
    it by its user name or by ``id``. Thread safety: any thread."""

    def __init__(self, core: _core.Endpoint, server: "Server") -> None:
        self._core = core
        self._server = server  # keeps the server (and its atexit stop) alive

    @property
    def id(self) -> str:
        """The connection id (``toConnection`` addresses it)."""
        return self._core.id

    @property
    def user(self) -> str:
        return self._core.user

    def send(self, to: str, body: Body, *, id: str = "",
             to_connection: bool = False) -> Sent:
        """Routes ``body`` (str: text, bytes: data) to user ``to`` (or to the
        connection ``to`` when ``to_connection``); returns the answer or
        raises the ``ChatError`` subclass of the refusal."""
        return _answer(self._core.send(to, body, id, to_connection))

    def recv(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, waiting up to ``timeout`` seconds (None: until
        one arrives or the endpoint is closed); None on timeout or close.
        The GIL is released while waiting."""
        while True:
            frame = self._core.receive(1.0 if timeout is None else timeout)
            if frame is not None and frame["type"] == "message":
                return Message._from(frame)
            if frame is None and timeout is not None:
                return None
            if frame is None and self._core.closed:
                return None

    @property
    def closed(self) -> bool:
        """True once closed by ``close()``, ``Server.disconnect`` or ``stop``."""
        return self._core.closed

    def close(self) -> None:
        """Unregisters the endpoint (runs ``on_disconnect``); idempotent."""
        self._core.close()

    def __enter__(self) -> "Endpoint":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Server:
    """A chat router running in this process, with chatd's settings.

    ``listen`` is the WebSocket address (``"127.0.0.1:0"`` picks a free port;
    ``""`` turns WebSocket off), ``tcp_listen`` the raw TCP one (``""``, the
    default, is off). ``threads`` I/O threads (0: one per core). The limits
    are chatd's; times are in seconds. ``auth="none"`` (chatd's only mode)
    takes the name a client claims, unless ``on_connect`` decides.

    Hooks, all optional; with none set, routing never touches Python:

    - ``on_connect(handshake) -> str | None | (status, reason) | (user,
      expires_at)``: decides who a connecting WebSocket/TCP client is.
      Return the user name to accept, None to refuse with 403, or ``(401,
      "why")``; ``(user, expires_at)`` accepts until ``expires_at`` (seconds
      since the epoch, like ``time.time()``), when the connection is closed
      with 1008 "token expired". Runs on the client's I/O
      thread during the handshake (holding that thread for the call).
    - ``on_message(message) -> bool``: False drops the message; the sender
      gets ``Rejected`` and the recipient nothing. Runs on the sender's I/O
      thread (or the calling thread for ``send``/``Endpoint.send``) for every
      message, so keep it quick.
    - ``on_disconnect(info)``: a registered connection went away. Runs on its
      I/O thread (or the thread calling ``close``/``disconnect``/``stop``).

    A hook that raises is logged to ``logging.getLogger("pychat")`` and
    counts as a refusal; it never takes the server down. Hooks must not call
    ``stop()``. Library logs at ``log_level`` and above go to the same logger.

    ``store`` is where queued and unacked messages live: ``"memory"`` or
    ``"sqlite:PATH"`` (answers a send once it is on disk).

    Thread safety: ``start``/``stop`` by the owner; the rest from any thread.
    """

    def __init__(self, listen: str = "127.0.0.1:0", *, tcp_listen: str = "",
                 threads: int = 1, auth: str = "none",
                 max_message_bytes: int = 128 * 1024,
                 handshake_timeout: float = 10.0, idle_timeout: float = 600.0,
                 drain_timeout: float = 5.0, node_id: str = "",
                 store: str = "memory",
                 on_connect: Optional[Callable[[Handshake], AuthVerdict]] = None,
                 on_message: Optional[Callable[[Message], bool]] = None,
                 on_disconnect: Optional[Callable[[DisconnectInfo], None]] = None,
                 log_level: str = "info") -> None:
        if auth != "none":
            raise ValueError('auth: only "none" is supported (or an on_connect hook)')
        self._listen = listen
        self._core = _core.Server(
            listen, tcp_listen, threads, max_message_bytes, handshake_timeout,
            idle_timeout, drain_timeout, node_id, store,
            None if on_connect is None else
            (lambda d: on_connect(Handshake(**d))),
            None if on_message is None else
            (lambda d: on_message(Message._from(d))),
            None if on_disconnect is None else
            (lambda d: on_disconnect(DisconnectInfo(**d))),
            log_level)

    def start(self) -> "Server":
        """Binds and starts the I/O threads; raises OSError (a port in use, a
        bad address). Idempotent."""
        self._core.start()
        _running.add(self)
        return self

    def stop(self) -> None:
        """Closes every connection with 1001 after flushing what is queued
        (up to ``drain_timeout``) and joins the threads. Idempotent."""
        self._core.stop()
        _running.discard(self)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound WebSocket port (0 when off or stopped before start)."""
        return self._core.port

    @property
    def tcp_port(self) -> int:
        return self._core.tcp_port

    def _host(self) -> str:
        host = self._listen.rsplit(":", 1)[0]
        return "127.0.0.1" if host in ("0.0.0.0", "[::]", "") else host

    @property
    def url(self) -> str:
        """``ws://HOST:PORT/ws``, for ``pychat.Client``."""
        return f"ws://{self._host()}:{self.port}/ws"

    @property
    def tcp_url(self) -> str:
        """``tcp://HOST:PORT`` when raw TCP is on."""
        return f"tcp://{self._host()}:{self.tcp_port}"

    def send(self, to: str, body: Body, *, from_: str = "system", id: str = "",
             to_connection: bool = False) -> Sent:
        """Speaks as the service user ``from_`` (who needs no connection):
        routes ``body`` to user ``to`` (or connection ``to``). Returns the
        answer or raises the ``ChatError`` subclass of the refusal."""
        return _answer(self._core.send(from_, to, body, id, to_connection))

    def online(self, user: str) -> bool:
        return self._core.connections(user) > 0

    def connections(self, user: str) -> int:
        """Live connections of ``user``."""
        return self._core.connections(user)

    def disconnect(self, user_or_connection: str) -> int:
        """Closes that connection (by id), or else every connection of that
        user, with 1008 "disconnected by the server". Returns how many."""
        return self._core.disconnect(user_or_connection)

    def stats(self) -> Stats:
        return Stats(**self._core.stats())

    def attach(self, user: str) -> Endpoint:
        """An in-process connection for ``user`` (a bot). Raises ValueError
        for an invalid user name or a server that is not running."""
        core = self._core.attach(user)
        if core is None:
            raise ValueError(f"cannot attach {user!r}: invalid name or server not running")
        return Endpoint(core, self)
