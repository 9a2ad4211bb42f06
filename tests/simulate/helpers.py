"""An engine with in-memory ports on ephemeral ports, whose seats' phones register with digest (simulator tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Future
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import uvloop

from hotline.phones import AgentPhone, until
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.calls import CallState
from hotline.telephony.sip.trunks import Trunk
from tests.livetest import SipLab

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


def hang_up_once_heard(lab: SipLab, phone: AgentPhone, frames: int, timeout: float = 60.0) -> Future[None]:
    """The agent's phone hangs up once its call has received `frames` frames (or after `timeout` seconds,
    unless the call ended first); the future is done then.

    The talk then lasts as long as that count takes, however slow the machine, rather than a fixed time in
    which a loaded machine delivers fewer frames; the test asserts the count, which the timeout leaves short.
    """
    def done() -> bool:
        return bool(phone.streams) and (phone.streams[0].received >= frames or phone.streams[0].closed)

    async def watch() -> None:
        with suppress(TimeoutError):
            await until(done, timeout, f"{frames} frames at {phone.username}")
        for call in phone.incoming:
            if call.state is not CallState.ENDED:
                call.hangup()

    return asyncio.run_coroutine_threadsafe(watch(), lab.loop)
