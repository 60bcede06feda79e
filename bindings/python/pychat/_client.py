"""pychat.Client: a blocking client for a chat server over ws:// or tcp://."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from typing import (Callable, Deque, Dict, List, Optional, Set, Tuple,
                    Union)

from . import _core
from ._errors import ChatError, ConnectError, error_from
from ._types import Message, Receipt, Receiver, Sent

Body = Union[str, bytes]


class Client(Receiver):
    """Connects to ``url`` (``ws://host:port/ws`` or ``tcp://host:port``) as
    ``user``, presenting ``token`` to the server's ``on_connect`` hook
    (``?token=`` on ws, ``hello.token`` on tcp). Raises ``ConnectError``
    when refused. ``protobuf=True`` uses binary frames on ws (tcp always
    does). Network I/O runs on a C++ thread; every wait releases the GIL.

    ``send`` waits for the server's answer to that send; frames that arrive
    meanwhile are kept for ``recv``. Each message ``recv`` returns is acked
    unless ``auto_ack=False`` (then call ``ack`` once it is kept: what is not
    acked is delivered again on the next connect). Receipts for this user's
    sends collect in ``receipts()``. Thread safety: any thread, and several
    threads may send on one client at once.
    """

    def __init__(self, url: str, user: str = "", token: str = "", *,
                 protobuf: bool = False, connect_timeout: float = 5.0,
                 timeout: float = 10.0, auto_ack: bool = True) -> None:
        self.timeout = timeout
        self._auto_ack = auto_ack
        self._core = _core.Client(url, user, token, protobuf, connect_timeout,
                                  False)
        self._receipts: Deque[Receipt] = deque()
        # Client ids unique across this user's connections and restarts, so
        # the server's dedup never takes a new send for a resend.
        self._prefix = "py-" + secrets.token_hex(6) + "-"
        self._cond = threading.Condition(threading.Lock())
        self._reading = False  # one thread reads from the core at a time
        self._inbox: Deque[Union[Message, dict]] = deque()
        self._waiting: Set[str] = set()  # client ids whose answer is wanted
        self._answers: Dict[str, dict] = {}
        self._ids = itertools.count(1)
        error, status, reason = self._core.connect()
        if error:
            refusal = self._core.receive(0.5)  # raw TCP says why in a frame
            if refusal is not None and refusal["type"] == "error":
                reason = refusal["message"]
                status = status or 1008
            self._core.close()
            raise ConnectError(f"cannot connect to {url}: {error}", status, reason)

    @property
    def connection_id(self) -> str:
        return self._core.connection_id

    @property
    def user(self) -> str:
        """The user the server accepted this connection as."""
        return self._core.user

    @property
    def closed(self) -> bool:
        return self._core.closed

    def closed_by(self) -> Tuple[int, str]:
        """(close code, reason) once closed, e.g. (1001, "going away")."""
        return self._core.closed_by()

    def send(self, to: str, body: Body, *, id: Optional[str] = None,
             to_connection: bool = False, wait: bool = True,
             timeout: Optional[float] = None) -> Union[Sent, str]:
        """Sends ``body`` (str: text, bytes: data) to user ``to`` (or to the
        connection ``to`` when ``to_connection``). With ``wait`` (the
        default) returns the ``Sent`` answer or raises its ``ChatError``
        subclass; ``TimeoutError`` after ``timeout`` (default
        ``self.timeout``). With ``wait=False`` returns the client id at once;
        pass it to ``result()`` later (every such answer is kept until
        then)."""
        cid = id or f"{self._prefix}{next(self._ids)}"
        with self._cond:
            self._waiting.add(cid)
        self._core.send(to, body, cid, to_connection)
        return self.result(cid, timeout) if wait else cid

    def result(self, id: str, timeout: Optional[float] = None) -> Sent:
        """The answer to the send with client id ``id`` (see ``send``)."""
        self._pump(lambda: id in self._answers,
                   self.timeout if timeout is None else timeout)
        with self._cond:
            frame = self._answers.pop(id, None)
            self._waiting.discard(id)
        if frame is None and self._core.closed:
            raise ConnectionError(f"connection closed before send {id!r} was answered")
        if frame is None:
            raise TimeoutError(f"no answer to send {id!r}")
        if frame["type"] == "sent":
            return Sent._from(frame)
        raise error_from(frame)

    def recv(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, waiting up to ``timeout`` seconds (None: until
        one arrives or the connection ends); None on timeout or end. Raises
        ``ChatError`` for an error the server sent about no send."""
        self._pump(lambda: bool(self._inbox), timeout)
        with self._cond:
            if not self._inbox:
                return None
            item = self._inbox.popleft()
        if isinstance(item, dict):
            raise error_from(item)
        if self._auto_ack and not item.copy:
            self._core.ack(item.message_id)
        return item

    def ack(self, message_id: str, cumulative: bool = False) -> None:
        """Tells the server this client has the message (with
        ``cumulative``, also every message it got before it), so it is not
        delivered again; its sender gets a DELIVERED receipt."""
        self._core.ack(message_id, cumulative)

    def read(self, message_id: str) -> None:
        """Sends the sender of a received message a READ receipt."""
        self._core.read(message_id)

    def receipts(self, timeout: float = 0.0) -> List[Receipt]:
        """The receipts for this user's sends received so far, waiting up
        to ``timeout`` seconds for at least one."""
        self._pump(lambda: bool(self._receipts), timeout)
        with self._cond:
            out = list(self._receipts)
            self._receipts.clear()
        return out

    def ping(self, timeout: Optional[float] = None) -> None:
        """A round trip: when it returns, everything the server sent to this
        client before it answered is queued for ``recv``."""
        pid = f"ping-{next(self._ids)}"
        key = "pong:" + pid
        with self._cond:
            self._waiting.add(key)
        self._core.ping(pid)
        done = self._pump(lambda: key in self._answers,
                          self.timeout if timeout is None else timeout)
        with self._cond:
            self._waiting.discard(key)
            self._answers.pop(key, None)
        if not done:
            raise TimeoutError("no pong")

    def close(self) -> None:
        """Closes with 1000 and waits (up to 2 s) for the server's close."""
        self._core.close()
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Leader/follower: one thread at a time waits in the core (GIL released)
    # and files each frame where its owner will look; the others wait on the
    # condition. Returns done().
    def _pump(self, done: Callable[[], bool], timeout: Optional[float]) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not done():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                if self._reading:
                    self._cond.wait(left)
                    continue
                self._reading = True
                self._cond.release()
                frames = []
                try:
                    frames = self._core.receive_many(
                        1.0 if left is None else min(left, 1.0), 256)
                finally:
                    self._cond.acquire()
                    self._reading = False
                    self._cond.notify_all()
                for frame in frames:
                    self._file(frame)
                if not frames and self._core.closed:
                    return done()
            return True

    def _file(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "message":
            self._inbox.append(Message._from(frame))
        elif kind == "receipt":
            self._receipts.append(Receipt._from(frame))
        elif kind in ("sent", "error") and frame["id"] in self._waiting:
            self._answers[frame["id"]] = frame
        elif kind == "error" and not frame["id"]:
            self._inbox.append(frame)
        elif kind == "pong" and "pong:" + frame["id"] in self._waiting:
            self._answers["pong:" + frame["id"]] = frame
        # Anything else (a late answer nobody waits for, a close frame) is
        # dropped: closed_by() reports how the connection ended.


__all__ = ["Client", "ChatError"]
