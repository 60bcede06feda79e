"""Shared fixtures: real servers on 127.0.0.1 with port 0."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

import pychat


@pytest.fixture
def server() -> Iterator[pychat.Server]:
    """A started server with WebSocket and raw TCP, no hooks."""
    with pychat.Server("127.0.0.1:0", tcp_listen="127.0.0.1:0", threads=2) as s:
        yield s


@pytest.fixture
def chatd_path() -> str:
    path = os.environ.get("CHATD", "")
    if not path:
        pytest.skip("CHATD is not set (ctest sets it)")
    return path
