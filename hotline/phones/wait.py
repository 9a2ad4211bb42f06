"""Small helpers every phone user needs: a free port on the loopback, and waiting until a condition holds."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port free on `host` for both UDP and TCP just now (SIP phones such as baresip bind both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind((host, port))
            except OSError:
                continue  # UDP taken on that port: draw another
            return port


async def until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition", *,
                poll: float = 0.02, failure: type[Exception] = TimeoutError) -> None:
    """Wait until `condition` holds (polled every `poll` seconds); raise `failure` after a generous `timeout`.

    Callers wait for a count reached (frames heard, calls placed), never for a wall-clock window, so a loaded
    machine only makes them slower.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise failure(f"timed out waiting for {what}")
        await asyncio.sleep(poll)
