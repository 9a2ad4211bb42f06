"""An engine with in-memory ports on ephemeral ports, whose seats' phones register with digest (simulator tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvloop

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.trunks import Trunk

DNIS = "4008001000"
PASSWORD = "s3cret-demo"


def run(test: Callable[[], Coroutine[Any, Any, None]], timeout: float = 60.0) -> None:
    """Run an async test on uvloop, bounded: a hung call fails the test instead of hanging the suite."""
    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(test(), timeout))
    finally:
        loop.close()


def seats(users: list[str], password: str = PASSWORD) -> tuple[SeatConfig, ...]:
    """One seat per SIP user (agent `agent-<user>`), registering with `password`, serving both demo queues."""
    return tuple(SeatConfig(f"agent-{user}", f"seat-{user}", username=user, password=password,
                            queues=("orders", "after_sales")) for user in users)


@asynccontextmanager
async def running(tmp_path: Path, route: Route, seats: tuple[SeatConfig, ...]
                  ) -> AsyncIterator[tuple[Engine, MemoryCallLog]]:
    """An engine on ephemeral ports with the demo flow, queues orders and after_sales, and `seats`."""
    call_log = MemoryCallLog()
    config = EngineConfig(
        sip_port=0, trunks=(Trunk.of("simulator", ["127.0.0.1"]),),
        queues=(QueueConfig("orders"), QueueConfig("after_sales")),
        flows={"demo": load_demo_flow()}, seats=seats, recordings=tmp_path, hold_music=PROMPTS / "please_hold.wav",
    )
    engine = Engine(config, call_log, MemoryDirectory({DNIS: route}), MemoryEventBus())
    await engine.start()
    try:
        yield engine, call_log
    finally:
        await engine.stop()
