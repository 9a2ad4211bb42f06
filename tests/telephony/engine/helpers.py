"""Running an engine with in-memory ports for a test, on uvloop, bounded in time."""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvloop

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.calls import OutboundCall
from hotline.telephony.sip.trunks import Trunk

from .phones import Phone

DNIS = "4008001000"
CALLER_MARK, AGENT_MARK = 0x11, 0x22


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async test on uvloop, bounded: a hung call fails the test instead of the suite."""
    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(test(), 90))
    finally:
        loop.close()


@asynccontextmanager
async def running(tmp_path: Path, route: Route, seats: tuple[SeatConfig, ...], trunk: str = "127.0.0.1",
                  ring_timeout: float = 20.0, wrap_up: float = 0.0,
                  recording_mode: RecordingMode = RecordingMode.MONO, queues: tuple[QueueConfig, ...] = (),
                  directory: MemoryDirectory | None = None,
                  outbound_gateway: str = "", surge: SurgeSettings | None = None,
                  callbacks: CallbackConfig | None = None,
                  callback_store: MemoryCallbackStore | None = None,
                  prompts: Path = PROMPTS,
                  hold_music: Path | None = PROMPTS / "please_hold.wav",
                  min_register_expires: int = 60) -> AsyncIterator[tuple[Engine, MemoryCallLog]]:
    """An engine on ephemeral ports with the demo flow, `seats`, and `queues` (default: orders and
    after_sales), answering `route` (or whatever `directory` routes); with `surge`, surge protection."""
    call_log = MemoryCallLog()
    config = EngineConfig(
        sip_port=0, trunks=(Trunk.of("test carrier", [trunk]),),
        queues=queues or (QueueConfig("orders", wrap_up_seconds=wrap_up), QueueConfig("after_sales")),
        flows={"demo": load_demo_flow()}, seats=seats, recordings=tmp_path, hold_music=hold_music,
        ring_timeout=ring_timeout, recording_mode=recording_mode, outbound_gateway=outbound_gateway,
        surge=surge, callbacks=callbacks or CallbackConfig(), prompts=prompts,
        min_register_expires=min_register_expires,
    )
    engine = Engine(config, call_log, directory or MemoryDirectory({DNIS: route}), MemoryEventBus(),
                    callback_store=callback_store)
    await engine.start()
    try:
        yield engine, call_log
    finally:
        await engine.stop()


def engine_uri(engine: Engine) -> str:
    host, port = engine.sip_address
    return f"sip:{DNIS}@{host}:{port}"


async def call_in(engine: Engine, caller: Phone) -> OutboundCall:
    """Dial the hotline from `caller`, expect 200, and start sending audio."""
    call = caller.dial(engine_uri(engine))
    assert await call.wait_answer() == 200
    caller.rtp.start(call.media)
    return call


def events_of(call_log: MemoryCallLog, kind: type[Any]) -> list[Any]:
    return [event for event in call_log.events if isinstance(event, kind)]


def short_prompts(folder: Path, seconds: float = 0.4, *names: str) -> Path:
    """The engine's prompts in `folder`, with `names` replaced by `seconds` of a 440 Hz tone (tests need not
    sit through a six-second confirmation)."""
    folder.mkdir(parents=True, exist_ok=True)
    for prompt in PROMPTS.glob("*.wav"):
        target = folder / prompt.name
        if prompt.stem in names:
            samples = round(seconds * 8000)
            tone = b"".join(struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
                            for n in range(samples))
            with wave.open(str(target), "wb") as writer:
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(8000)
                writer.writeframes(tone)
        else:
            target.symlink_to(prompt)
    return folder
