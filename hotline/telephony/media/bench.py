"""`relay_benchmark()`: N bridged calls through the in-process media plane, fake phones in another process.

`recording_stop_benchmark()`: how long the loop stalls when a long recorded call ends.

The media plane runs on uvloop in this process; the phones (two per call, 50 packets/s each, sends spread
over the 20 ms frame) run in a spawned child process so that the CPU figure is the plane's alone. Each
payload carries the phone process's `perf_counter_ns` at sending, so the delay measured at the far phone
is the relay delay plus both phones' scheduling, on one clock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import struct
import tempfile
import time
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import uvloop

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import Address, LegKey, RecordingMode, Remote
from hotline.telephony.media.rtp import FRAME_SECONDS, packet

_STAMP = struct.Struct("!Q")
_GROUPS = 10
_DRAIN_SECONDS = 0.5


def relay_benchmark(calls: int = 100, seconds: float = 5.0, record: bool = False) -> dict[str, float]:
    """Relay `calls` bridged calls for `seconds`; return packets, loss, delay p50/p99 (ms) and plane CPU (%).

    `record` also records every call (stereo) and writes the WAVs at the end (`close_and_write_seconds`).
    `phones_cpu_percent` is the fake phones' process: near 100 % it, not the plane, limits the delay figures.
    """
    return uvloop.run(_bench(calls, seconds, record))


async def _bench(calls: int, seconds: float, record: bool) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    plane = LocalMediaPlane()
    legs = [LegKey(f"call{index}", side) for index in range(calls) for side in ("caller", "agent")]
    ports = [(await plane.allocate(leg)).port for leg in legs]
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_phones_main, args=(theirs, ports, seconds), daemon=True)
    child.start()
    addresses = cast(list[Address], await loop.run_in_executor(None, ours.recv))
    with tempfile.TemporaryDirectory() as folder:
        await _wire(plane, legs, addresses, Path(folder) if record else None)
        cpu, wall = time.process_time(), time.perf_counter()
        ours.send("go")
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        phones = cast(dict[str, float], await loop.run_in_executor(None, ours.recv))
        written = time.perf_counter()
        await plane.close()
        written = time.perf_counter() - written
    child.join(10)
    relayed = phones["received_by_phone"]
    return {
        "calls": float(calls),
        "seconds": seconds,
        "packets_sent": phones["sent"],
        "packets_relayed": relayed,
        "loss": phones["sent"] - relayed,
        "loss_ratio": (phones["sent"] - relayed) / max(1.0, phones["sent"]),
        "delay_p50_ms": phones["p50_ms"],
        "delay_p99_ms": phones["p99_ms"],
        "delay_max_ms": phones["max_ms"],
        "plane_cpu_percent": 100.0 * cpu / wall,
        "phones_cpu_percent": phones["phones_cpu_percent"],
        "close_and_write_seconds": written,
    }


async def _wire(plane: LocalMediaPlane, legs: list[LegKey], addresses: list[Address], folder: Path | None) -> None:
    """Point each leg at its phone, bridge the pairs, and record each pair when `folder` is given."""
    for leg, address in zip(legs, addresses, strict=True):
        await plane.set_remote(leg, Remote(address, Codec.PCMA))
    for first in range(0, len(legs), 2):
        await plane.bridge(legs[first], legs[first + 1])
        if folder is not None:
            path = folder / f"{first}.wav"
            await plane.start_recording(str(first), legs[first], legs[first + 1], path, RecordingMode.STEREO)


class _Phone(asyncio.DatagramProtocol):
    """A benchmark phone: counts what it receives and the delay stamped into each payload."""

    def __init__(self, delays: list[int]) -> None:
        self.delays = delays
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.delays.append(time.perf_counter_ns() - _STAMP.unpack_from(data, 12)[0])


def _phones_main(connection: Connection, ports: list[int], seconds: float) -> None:
    """Child process entry: open the phones, report their addresses, send for `seconds`, report figures."""
    connection.send(uvloop.run(_phones(connection, ports, seconds)))


async def _phones(connection: Connection, ports: list[int], seconds: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    delays: list[int] = []
    phones = [await _open_phone(delays) for _ in ports]
    connection.send([cast(asyncio.DatagramTransport, p.transport).get_extra_info("sockname")[:2] for p in phones])
    await loop.run_in_executor(None, connection.recv)
    cpu, wall = time.process_time(), time.perf_counter()
    sent = await _send(phones, ports, seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await asyncio.sleep(_DRAIN_SECONDS)
    for phone in phones:
        cast(asyncio.DatagramTransport, phone.transport).close()
    return {**_summary(sent, delays), "phones_cpu_percent": 100.0 * cpu / wall}


async def _open_phone(delays: list[int]) -> _Phone:
    phone = _Phone(delays)
    await asyncio.get_running_loop().create_datagram_endpoint(lambda: phone, local_addr=("127.0.0.1", 0))
    return phone


async def _send(phones: list[_Phone], ports: list[int], seconds: float) -> int:
    """Each phone sends a frame every 20 ms; groups of phones are offset in the frame, as real phones are."""
    loop = asyncio.get_running_loop()
    frames = round(seconds / FRAME_SECONDS)
    filler = bytes(152)
    start, sent = loop.time(), 0
    for frame in range(frames):
        for group in range(_GROUPS):
            await asyncio.sleep(max(0.0, start + (frame * _GROUPS + group) * FRAME_SECONDS / _GROUPS - loop.time()))
            for index in range(group, len(phones), _GROUPS):
                payload = _STAMP.pack(time.perf_counter_ns()) + filler
                data = packet(Codec.PCMA.value, frame & 0xFFFF, frame * 160, index, payload)
                cast(asyncio.DatagramTransport, phones[index].transport).sendto(data, ("127.0.0.1", ports[index]))
                sent += 1
    return sent


def _summary(sent: int, delays: list[int]) -> dict[str, float]:
    ordered = sorted(delays)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] / 1e6 if ordered else float("nan")

    return {
        "sent": float(sent),
        "received_by_phone": float(len(ordered)),
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
        "max_ms": ordered[-1] / 1e6 if ordered else float("nan"),
    }


def recording_stop_benchmark(seconds: int = 3600) -> dict[str, float]:
    """Record a stereo call of `seconds` on a fake clock (packets handed straight to the legs, spills as the
    clock moves), then stop it while a probe on the loop measures its worst stall (ms); also the time until
    the file is written (ms) and the WAV's frames."""
    return uvloop.run(_stop_bench(seconds))


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _stop_bench(seconds: int) -> dict[str, float]:
    clock = _Clock()
    plane = LocalMediaPlane(clock=clock, spill_every=0.0)
    keys = (LegKey("call", "caller"), LegKey("call", "agent"))
    phone: Address = ("127.0.0.1", 9)
    for key in keys:
        await plane.allocate(key)
        await plane.set_remote(key, Remote(phone, Codec.PCMA))
    legs = [plane._legs[key] for key in keys]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "call.wav"
        await plane.start_recording("call", *keys, path, RecordingMode.STEREO)
        payload = bytes(range(160))
        for second in range(seconds):
            for index in range(second * 50, (second + 1) * 50):
                for ssrc, leg in enumerate(legs):
                    leg.datagram_received(packet(Codec.PCMA.value, index & 0xFFFF, index * 160, ssrc, payload), phone)
            clock.now += 1.0
            await asyncio.sleep(0)  # the spill timer's turn
        await plane._recorder.drain()  # in a real call the writer keeps up (a second of audio per second)
        stall, took = await _probed(plane.stop_recording("call"))
        frames = (path.stat().st_size - 44) // 4
    await plane.close()
    return {"seconds": float(seconds), "stop_max_loop_stall_ms": stall * 1000, "stop_to_written_ms": took * 1000,
            "frames": float(frames)}


async def _probed(work: Coroutine[Any, Any, Path]) -> tuple[float, float]:
    """(worst lateness of a 1 ms probe timer while `work` runs, seconds `work` took)."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = False

    async def probe() -> None:
        nonlocal worst
        while not done:
            before = loop.time()
            await asyncio.sleep(0.001)
            worst = max(worst, loop.time() - before - 0.001)

    task = asyncio.ensure_future(probe())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    done = True
    await task
    return worst, took
