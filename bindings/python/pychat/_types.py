"""The values pychat hands to hooks and returns from calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple, Union


@dataclass(frozen=True)
class Message:
    """A routed message. Exactly one of ``text`` and ``data`` is set.
    ``from_`` is the sender the server stamped (a user, never forged);
    ``from_connection`` is empty for messages a server sends as a service
    user; ``sent_at`` is seconds since the epoch."""

    message_id: str
    from_: str
    to: str
    text: Optional[str] = None
    data: Optional[bytes] = None
    sent_at: float = 0.0
    from_connection: str = ""
    #: True on the copy this user's other connections get of what it sent;
    #: ``to`` is then the peer and ``id`` the send's client id.
    copy: bool = False
    id: str = ""

    @property
    def body(self) -> Union[str, bytes]:
        """``text`` or ``data``, whichever is set."""
        return self.data if self.data is not None else (self.text or "")

    @classmethod
    def _from(cls, d: dict) -> "Message":
        return cls(d["message_id"], d["from"], d["to"], d.get("text"),
                   d.get("data"), d["sent_at"], d["from_connection"],
                   d.get("copy", False), d.get("id", ""))


@dataclass(frozen=True)
class Sent:
    """The server's answer to a successful send: ``status`` is
    ``"DELIVERED"`` (handed to a live connection of the recipient) or
    ``"QUEUED"`` (stored until the recipient connects)."""

    id: str
    message_id: str
    status: str

    @classmethod
    def _from(cls, d: dict) -> "Sent":
        return cls(d["id"], d["message_id"], d["status"])


@dataclass(frozen=True)
class Receipt:
    """What became of a message this user sent: ``status`` is
    ``"DELIVERED"`` (the recipient acked it) or ``"READ"``; ``id`` is the
    send's client id, ``by`` the recipient, ``at`` seconds since the epoch."""

    message_id: str
    id: str
    status: str
    by: str
    at: float

    @classmethod
    def _from(cls, d: dict) -> "Receipt":
        return cls(d["message_id"], d["id"], d["status"], d["by"], d["at"])


@dataclass(frozen=True)
class Handshake:
    """What a connecting client presented, given to ``on_connect``.
    ``transport`` is ``"ws"`` or ``"tcp"``; ``target`` and ``headers`` are
    empty on raw TCP; ``token`` comes from ``?token=``,
    ``Authorization: Bearer`` or ``hello.token``."""

    transport: str
    remote_address: str
    target: str
    user: str
    token: str
    headers: List[Tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> Optional[str]:
        """The first header called ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(frozen=True)
class DisconnectInfo:
    """A registered connection went away; given to ``on_disconnect``."""

    connection_id: str
    user: str


@dataclass(frozen=True)
class Stats:
    """``Server.stats()``: live connections, messages delivered since start,
    I/O threads."""

    connections: int
    messages_routed: int
    threads: int


class Receiver:
    """Iteration over what ``recv()`` returns, for Client and Endpoint."""

    def recv(self, timeout: Optional[float] = None) -> Optional[Message]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Message]:
        """Messages until the connection ends."""
        while True:
            m = self.recv()
            if m is None:
                return
            yield m
