"""Fixtures of the simulator tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def unused_udp_port() -> int:
    """A UDP port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
