"""The engine under test, alone in its own process, so that its CPU can be read from /proc.

`EngineProcess` spawns a child that runs `hotline.telephony.engine.Engine` on uvloop with in-memory
ports (call log, directory, event bus), a trunk on 127.0.0.1 and the queues, routes and seats of an
`EngineSpec`. The parent talks to it over a pipe: the child reports its SIP address once listening,
then waits for "stop", stops the engine (which writes the open recordings) and reports what its call
log holds, so the benchmark can check that every call was logged and recorded.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import uvloop

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.trunks import Trunk

HOST = "127.0.0.1"
START_SECONDS = 30.0
STOP_SECONDS = 120.0


@dataclass(frozen=True)
class Seat:
    """An agent's seat with a fixed SIP URI (a benchmark phone) and the queues the agent serves."""

    agent: str
    uri: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class EngineSpec:
    """What the engine under test serves: queues (wrap-up 0), dialled numbers → queues, and seats."""

    queues: tuple[str, ...]
    routes: dict[str, str]
    seats: tuple[Seat, ...] = ()
    recordings: str = ""
    hold_music: bool = True
    ring_timeout: float = 20.0
    rtp_timeout: float = 60.0


def engine_config(spec: EngineSpec) -> EngineConfig:
    """The `EngineConfig` for a spec: ephemeral SIP and RTP ports, every queue with no wrap-up."""
    return EngineConfig(
        sip_host=HOST, sip_port=0, trunks=(Trunk.of("bench load", [HOST]),),
        queues=tuple(QueueConfig(queue, wrap_up_seconds=0) for queue in spec.queues),
        seats=tuple(SeatConfig(seat.agent, f"seat-{seat.agent}", fixed_uri=seat.uri, queues=seat.queues)
                    for seat in spec.seats),
        recordings=Path(spec.recordings), hold_music=PROMPTS / "please_hold.wav" if spec.hold_music else None,
        ring_timeout=spec.ring_timeout, rtp_timeout=spec.rtp_timeout,
    )


def log_summary(call_log: MemoryCallLog) -> dict[str, int]:
    """Counts the benchmark checks: events by kind, closed calls, recordings linked."""
    counts = Counter(str(event.kind.value) for event in call_log.events)
    return {**counts, "closed": len(call_log.closed), "recordings": len(call_log.recordings)}


def engine_main(connection: Connection, spec: EngineSpec) -> None:
    """Child process entry: serve until told to stop, then report the call log's counts."""
    connection.send(uvloop.run(_serve(connection, spec)))


async def _serve(connection: Connection, spec: EngineSpec) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    call_log = MemoryCallLog()
    routes = {dnis: Route(dnis, queue=queue) for dnis, queue in spec.routes.items()}
    engine = Engine(engine_config(spec), call_log, MemoryDirectory(routes), MemoryEventBus())
    await engine.start()
    connection.send((engine.sip_address, os.getpid()))
    await loop.run_in_executor(None, connection.recv)
    await engine.stop()
    return log_summary(call_log)


class EngineProcess:
    """A spawned engine process: `start()` returns its SIP address; `cpu()` reads its CPU time so far."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        context = multiprocessing.get_context("spawn")
        self._ours, theirs = context.Pipe()
        self._process = context.Process(target=engine_main, args=(theirs, spec), daemon=True)
        self.address: tuple[str, int] = ("", 0)
        self.pid = 0

    def start(self) -> tuple[str, int]:
        self._process.start()
        if not self._ours.poll(START_SECONDS):
            self.kill()
            raise RuntimeError("the engine process did not start")
        address, self.pid = cast(tuple[tuple[str, int], int], self._ours.recv())
        self.address = address
        return address

    def cpu(self) -> tuple[float, float]:
        """User and system CPU seconds the engine process (all its threads) has used."""
        return process_cpu(self.pid)

    def stop(self) -> dict[str, int]:
        """Stop the engine (recordings written, log flushed) and return its call log's counts."""
        self._ours.send("stop")
        if not self._ours.poll(STOP_SECONDS):
            self.kill()
            raise RuntimeError("the engine process did not stop")
        summary = cast(dict[str, int], self._ours.recv())
        self._process.join(10)
        return summary

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


def parse_proc_stat(text: str, ticks_per_second: int) -> tuple[float, float]:
    """utime and stime (seconds) of a /proc/PID/stat line; the command name may contain spaces."""
    fields = text.rpartition(")")[2].split()
    return int(fields[11]) / ticks_per_second, int(fields[12]) / ticks_per_second


def process_cpu(pid: int) -> tuple[float, float]:
    return parse_proc_stat(Path(f"/proc/{pid}/stat").read_text(), os.sysconf("SC_CLK_TCK"))
