"""Every protocol error code maps to its ChatError subclass."""

from __future__ import annotations

import pytest

import pychat
from pychat._errors import error_from

CODES = {
    1: pychat.MalformedFrame, 2: pychat.InvalidFrame, 3: pychat.UnknownFrame,
    4: pychat.RecipientOffline, 5: pychat.InvalidRecipient, 6: pychat.MessageTooLarge,
    7: pychat.Unauthenticated, 8: pychat.Unavailable, 9: pychat.Rejected,
    10: pychat.InboxFull, 11: pychat.RateLimited,
}


@pytest.mark.parametrize("code,cls", sorted(CODES.items()))
def test_codes_map_to_subclasses(code: int, cls: type) -> None:
    err = error_from({"code": code, "name": cls.name, "message": "why", "id": "c-1"})
    assert type(err) is cls and isinstance(err, pychat.ChatError)
    assert (err.code, err.message, err.id) == (code, "why", "c-1")
    assert str(err) == f"{cls.name}: why"


def test_unknown_code_is_a_plain_chat_error() -> None:
    err = error_from({"code": 42, "name": "FUTURE_CODE", "message": "new", "id": ""})
    assert type(err) is pychat.ChatError and err.code == 42 and err.name == "FUTURE_CODE"


def test_connect_error_is_a_connection_error() -> None:
    e = pychat.ConnectError("refused", 403, "authentication failed")
    assert isinstance(e, ConnectionError) and e.status == 403 and "403" in str(e)
