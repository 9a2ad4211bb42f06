"""`hotline engine`: the engine on uvloop in a process of its own, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from hotline.calls.host.build import build_engine, describe
from hotline.calls.host.link import serve_commands
from hotline.telephony.control import EngineControl
from hotline.telephony.engine import Engine


async def serve(engine: Engine, announce: Callable[[str], object]) -> None:
    """Start the engine, announce it, take the web side's commands through Redis (when `REDIS_URL` is set),
    wait for SIGINT or SIGTERM, then stop it (recordings written, call log flushed)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await engine.start()
    commands = None
    if settings.REDIS_URL:
        commands = loop.create_task(serve_commands(EngineControl(engine), settings.REDIS_URL, stopping))
    try:
        for line in describe(engine):
            announce(line)
        announce(f"Commands from the web: {'through Redis' if commands else 'none (REDIS_URL is not set)'}")
        announce("Ctrl+C stops.")
        await stopping.wait()
    finally:
        if commands is not None:
            await commands
        await engine.stop()
        await sync_to_async(connections.close_all, thread_sensitive=True)()


def run_engine(announce: Callable[[str], object], *, sip_port: int | None = None) -> None:
    """`hotline engine`: build the engine, run it on uvloop until a signal, then release the database."""
    import uvloop

    engine, directory = build_engine(sip_port=sip_port)
    engine.config.recordings.mkdir(parents=True, exist_ok=True)
    try:
        uvloop.run(serve(engine, announce))
    finally:
        directory.close()
