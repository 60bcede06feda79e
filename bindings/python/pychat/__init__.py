"""pychat: embed the libchat router in Python, hook its events, talk to it.

>>> import pychat
>>> with pychat.Server("127.0.0.1:0") as server:
...     with pychat.Client(server.url, user="alice") as alice:
...         bot = server.attach("bot")
...         alice.send("bot", "hi").status
'DELIVERED'

``Server`` runs the router inside this process (routing stays in C++ and
takes the GIL only for the hooks you set); ``Server.attach`` gives an
in-process ``Endpoint`` (a bot); ``Client`` talks to any chat server over
WebSocket or raw TCP (``pychat.aio.Client`` for asyncio). Refusals are ``ChatError`` subclasses named after the
protocol's error codes.
"""

from ._client import Client
from ._errors import (ChatError, ConnectError, InboxFull, InvalidFrame,
                      InvalidRecipient, MalformedFrame, MessageTooLarge,
                      RateLimited, RecipientOffline, Rejected,
                      Unauthenticated, Unavailable, UnknownFrame)
from ._server import Endpoint, Server
from ._types import (DisconnectInfo, Handshake, Message, Receipt, Sent,
                     Stats)

__version__ = "0.1.0"

__all__ = [
    "ChatError", "Client", "ConnectError", "DisconnectInfo", "Endpoint",
    "Handshake", "InboxFull", "InvalidFrame", "InvalidRecipient",
    "MalformedFrame", "Message", "MessageTooLarge", "RateLimited", "Receipt",
    "RecipientOffline", "Rejected", "Sent", "Server", "Stats",
    "Unauthenticated", "Unavailable", "UnknownFrame",
]
