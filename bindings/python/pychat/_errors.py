"""Errors: one exception class per protocol error code (docs/protocol.md, §4)."""

from __future__ import annotations

from typing import Dict, Type


class ChatError(Exception):
    """The server refused a frame. ``code`` is the protocol's numeric code,
    ``name`` its name (``"RECIPIENT_OFFLINE"``), ``id`` the client id of the
    send it answers (empty when it answers none)."""

    code: int = 0
    name: str = "CODE_UNSPECIFIED"

    def __init__(self, code: int, message: str, id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class MalformedFrame(ChatError):
    code, name = 1, "MALFORMED_FRAME"


class InvalidFrame(ChatError):
    code, name = 2, "INVALID_FRAME"


class UnknownFrame(ChatError):
    code, name = 3, "UNKNOWN_FRAME"


class RecipientOffline(ChatError):
    code, name = 4, "RECIPIENT_OFFLINE"


class InvalidRecipient(ChatError):
    code, name = 5, "INVALID_RECIPIENT"


class MessageTooLarge(ChatError):
    code, name = 6, "MESSAGE_TOO_LARGE"


class Unauthenticated(ChatError):
    code, name = 7, "UNAUTHENTICATED"


class Unavailable(ChatError):
    code, name = 8, "UNAVAILABLE"


class Rejected(ChatError):
    """The server's policy (an ``on_message`` hook) refused the message."""

    code, name = 9, "REJECTED"


class InboxFull(ChatError):
    """The offline recipient's inbox is at its bound; retry later."""

    code, name = 10, "INBOX_FULL"


class RateLimited(ChatError):
    code, name = 11, "RATE_LIMITED"


_BY_CODE: Dict[int, Type[ChatError]] = {
    c.code: c
    for c in (MalformedFrame, InvalidFrame, UnknownFrame, RecipientOffline,
              InvalidRecipient, MessageTooLarge, Unauthenticated, Unavailable,
              Rejected, InboxFull, RateLimited)
}


class ConnectError(ConnectionError):
    """Connecting failed. ``status`` is the HTTP status of a refused
    WebSocket upgrade (401, 403, 400, ...) or the close code the server sent
    (1008 on raw TCP), 0 when there was no answer at all (no server, timeout);
    ``reason`` is what the server said."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(f"{message} ({status} {reason})" if status else message)
        self.status = status
        self.reason = reason


def error_from(frame: dict) -> ChatError:
    """The exception for an ``error`` frame dict from ``_core``."""
    cls = _BY_CODE.get(frame["code"], ChatError)
    err = cls(frame["code"], frame["message"], frame["id"])
    if cls is ChatError:
        err.name = frame.get("name", "CODE_UNSPECIFIED")
    return err
