"""An engine that is still starting: what reaches it over TCP is kept and answered once it is ready."""

from __future__ import annotations

import asyncio

from hotline.telephony.config import EngineConfig
from hotline.telephony.engine import Engine
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import StoredCallback
from hotline.telephony.sip.message import Response, parse

from ..sip.helpers import request_text
from .helpers import run


class SlowStore(MemoryCallbackStore):
    """A callback store whose restore waits until the test lets it go: the engine is starting meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.go_on = asyncio.Event()

    async def live(self) -> list[StoredCallback]:
        self.asked.set()
        await self.go_on.wait()
        return await super().live()


def test_a_tcp_request_sent_while_the_engine_starts_is_answered_once_it_is_ready() -> None:
    run(tcp_while_starting)


async def tcp_while_starting() -> None:
    store = SlowStore()
    engine = Engine(EngineConfig(sip_port=0), MemoryCallLog(), MemoryDirectory(), MemoryEventBus(),
                    callback_store=store)
    starting = asyncio.ensure_future(engine.start())
    await asyncio.wait_for(store.asked.wait(), 10)  # the sockets are bound; the engine is not serving yet
    assert engine.listeners is not None
    reader, writer = await asyncio.open_connection(*engine.listeners.tcp_address)
    try:
        writer.write(request_text("OPTIONS", branch="z9hG4bKearly", transport="TCP").encode())
        await writer.drain()
        await asyncio.sleep(0.2)  # the message reaches the engine while it starts (nothing is due yet)
        assert not starting.done()
        store.go_on.set()
        await asyncio.wait_for(starting, 10)
        answer = parse(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10))
        assert isinstance(answer, Response)
        assert (answer.status, answer.top_via.params["branch"]) == (200, "z9hG4bKearly")
    finally:
        writer.close()
        await engine.stop()
