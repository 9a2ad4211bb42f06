"""A real engine SIP stack on 127.0.0.1 ephemeral ports, running on uvloop in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
import uvloop

from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import Response, parse
from hotline.telephony.sip.registrar import Registrar, password_lookup
from hotline.telephony.sip.transport import Listeners, listen

REALM = "hotline.test"
PASSWORDS = {"8001": "s3cret", "8002": "other"}
T = TypeVar("T")


class Engine:
    """The SIP core and its listeners; `call` runs a function on the engine's loop and returns its result."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.core, self.listeners = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> tuple[SipCore, Listeners]:
        scheduler = LoopScheduler(asyncio.get_running_loop())
        registrar = Registrar(REALM, password_lookup(PASSWORDS, REALM), scheduler)
        core = SipCore(scheduler, registrar=registrar)
        return core, await listen("127.0.0.1", 0, 0, core.receive)

    def call(self, function: Callable[[], T]) -> T:
        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.listeners.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def engine() -> Iterator[Engine]:
    running = Engine()
    yield running
    running.close()


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(3)
    return sock


def options(engine: Engine, branch: str = "z9hG4bKprobe") -> Response:
    """Ask the engine OPTIONS over UDP and return its answer (raises on silence)."""
    with udp_socket() as sock:
        port = sock.getsockname()[1]
        sock.sendto(
            (
                "OPTIONS sip:engine@127.0.0.1 SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:engine@127.0.0.1>\r\n"
                f"Call-ID: {branch}@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
            engine.listeners.udp_address,
        )
        answer = parse(sock.recv(65536))
    assert isinstance(answer, Response)
    return answer
