"""Fake phones (small asyncio RTP endpoints on 127.0.0.1) and audio helpers for the media-plane tests."""

from __future__ import annotations

import asyncio
import itertools
import math
import struct
import wave
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar, cast

import uvloop

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import Endpoint, Remote
from hotline.telephony.media.rtp import SEQ_TS_SSRC, event_payload, packet

T = TypeVar("T")
LIMIT = 10.0


def run(
    main: Callable[[], Coroutine[Any, Any, T]], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
) -> T:
    """Run a test coroutine on uvloop (by default), bounded so that a bug fails instead of hanging."""
    with asyncio.Runner(loop_factory=loop_factory or uvloop.new_event_loop) as runner:
        return runner.run(asyncio.wait_for(main(), LIMIT))


class FakeClock:
    """The plane's media clock (recording placement, latch wait, stream gaps), moved by the test."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Phone(asyncio.DatagramProtocol):
    """A fake phone: sends RTP from its own socket to a media endpoint and keeps what it receives."""

    def __init__(self, codec: Codec = Codec.PCMA, ssrc: int = 0x1234) -> None:
        self.codec = codec
        self.ssrc = ssrc
        self.received: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.target: tuple[str, int] = ("127.0.0.1", 0)
        self.seq = 0
        self.timestamp = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    @classmethod
    async def open(cls, target: Endpoint, codec: Codec = Codec.PCMA, ssrc: int = 0x1234) -> Phone:
        phone = cls(codec, ssrc)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: phone, local_addr=("127.0.0.1", 0))
        phone.target = (target.host, target.port)
        return phone

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        return cast(tuple[str, int], self.transport.get_extra_info("sockname")[:2])

    def remote(self, event_pt: int | None = 101) -> Remote:
        return Remote(self.address, self.codec, event_pt)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(data)
        for count, future in self._waiters:
            if len(self.received) >= count and not future.done():
                future.set_result(None)

    async def wait_for(self, count: int) -> None:
        """Wait until `count` packets have arrived in total."""
        if len(self.received) >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        await future

    def send_audio(self, payload: bytes, marker: bool = False, skip_frames: int = 0) -> None:
        assert self.transport is not None
        self.timestamp += 160 * skip_frames
        data = packet(self.codec.value, self.seq, self.timestamp, self.ssrc, payload, marker)
        self.transport.sendto(data, self.target)
        self.seq += 1
        self.timestamp += 160

    def send_digit(self, digit: str, event_pt: int = 101) -> None:
        """A digit as a real phone sends it: 3 updates, then the end packet three times, one timestamp."""
        assert self.transport is not None
        for index in range(6):
            end = index >= 3
            payload = event_payload(digit, 160 * (min(index, 3) + 1), end)
            data = packet(event_pt, self.seq, self.timestamp, self.ssrc, payload, marker=index == 0)
            self.transport.sendto(data, self.target)
            self.seq += 1
        self.timestamp += 960

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def header(data: bytes) -> tuple[int, int, int, int, bool]:
    """(payload type, seq, timestamp, ssrc, marker) of a received packet."""
    seq, timestamp, ssrc = SEQ_TS_SSRC.unpack_from(data, 2)
    return data[1] & 0x7F, seq, timestamp, ssrc, bool(data[1] & 0x80)


def tone(frequency: float, frames: int, amplitude: int = 8000) -> bytes:
    """A sine tone as 16-bit little-endian PCM, `frames` × 160 samples."""
    count = frames * 160
    step = 2 * math.pi * frequency / 8000
    return struct.pack(f"<{count}h", *(round(amplitude * math.sin(step * n)) for n in range(count)))


def tone_frames(frequency: float, frames: int, codec: Codec) -> list[bytes]:
    encoded = g711.encode(tone(frequency, frames), codec)
    return [encoded[index : index + 160] for index in range(0, len(encoded), 160)]


def write_wav(path: Path, pcm: bytes, rate: int = 8000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return path


def goertzel(samples: list[int], frequency: float) -> float:
    """Power of one frequency in a block of samples (8 kHz)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / 8000)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    return previous * previous + before * before - coefficient * previous * before


async def eventually(predicate: Callable[[], bool], step: float = 0.01) -> None:
    """Poll until true (the test's overall bound stops a bug from hanging)."""
    while not predicate():
        await asyncio.sleep(step)


def stream_steps(packets: list[bytes]) -> tuple[set[int], list[int], list[int]]:
    """(SSRCs, sequence steps, timestamp steps) of consecutive packets, as a receiver's jitter buffer sees them."""
    headers = [header(data) for data in packets]
    return ({h[3] for h in headers},
            [(b[1] - a[1]) & 0xFFFF for a, b in itertools.pairwise(headers)],
            [(b[2] - a[2]) & 0xFFFFFFFF for a, b in itertools.pairwise(headers)])
