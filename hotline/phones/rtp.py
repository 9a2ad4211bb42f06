"""RTP for phones: a UDP port (`RtpPort`) carrying one or many calls' streams (`RtpStream`), with pluggable payloads.

A stream sends a 20 ms frame per tick whose payload comes from a `Payload`: `marked(mark)` frames whose bytes
all equal a mark, so the far end counts exactly the frames that came through the engine's bridge from that
phone (prompts and hold music have other bytes) and a test can tell whom it hears; `looped(frames)` for a
recorded voice; `Stamps` for benchmarks (a phase and the send time in each frame, so loss and delay are
exact per packet). Key presses go as RFC 4733 events.

A port is used in one of two ways:

* shared (the simulator): `stream(media, mark)` opens a stream per call, told apart by the far end's address
  (the engine sends each leg's RTP from the port its SDP names); one 20 ms tick serves them all, and a
  stream that is not talking sends one frame every `quiet_every` ticks, as a phone with silence suppression
  does, which keeps the engine's RTP-silence watch content while thousands of callers wait cheaply;
* one line (a test phone, a benchmark leg): `RtpLine`, whose only stream hears every packet that reaches
  the port; it sends every 20 ms once started, or when its owner ticks it (the benchmark's paced senders).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import secrets
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self, cast

from hotline.phones.wait import until
from hotline.telephony.media.rtp import FRAME_SAMPLES, FRAME_SECONDS, event_payload, packet
from hotline.telephony.sip import sdp
from hotline.telephony.sip.transport import Address

FRAME_BYTES = 12 + FRAME_SAMPLES  # an RTP header and one 20 ms G.711 frame
LATE = 0.1  # a tick this late skips ahead instead of sending a burst
TELEPHONE_EVENT = 101  # the RFC 4733 payload type when the far end named none

CALLER_MARK, AGENT_MARK = 0x11, 0x22  # what the stock callers and agent phones send

Payload = Callable[[], bytes]  # the next 20 ms frame's payload


def marked(mark: int) -> Payload:
    """Frames whose bytes all equal `mark`: the far end counts them by mark (`RtpStream.heard`)."""
    frame = bytes((mark,)) * FRAME_SAMPLES
    return lambda: frame


def looped(frames: Iterable[bytes]) -> Payload:
    """These frames in a loop (a recorded voice)."""
    return itertools.cycle(tuple(frames)).__next__


# After the 12-byte RTP header: magic, phase, padding, the sender's perf_counter_ns; then filler to 160 bytes.
STAMP = struct.Struct("!4sB3xQ")
MAGIC = b"HLBN"
FILLER = bytes(FRAME_SAMPLES - STAMP.size)


@dataclass
class PhaseCount:
    """Frames stamped with one phase: sent, received back through the engine, and their delays (ns)."""

    sent: int = 0
    received: int = 0
    delays: list[int] = field(default_factory=list)


class Stamps:
    """Time-stamped frames for benchmarks, counted per phase (0 warm-up, later phases measured apart).

    `payload` stamps a frame with the current `phase` and the time; `received` counts a stamped frame that
    came back, with its delay; anything else (hold music before the bridge) is counted in `other`.
    """

    def __init__(self) -> None:
        self.phases: dict[int, PhaseCount] = {}
        self.phase = 0
        self.other = 0

    def count(self, phase: int) -> PhaseCount:
        return self.phases.setdefault(phase, PhaseCount())

    def payload(self) -> bytes:
        self.count(self.phase).sent += 1
        return STAMP.pack(MAGIC, self.phase, time.perf_counter_ns()) + FILLER

    def received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        if len(data) != FRAME_BYTES or data[12:16] != MAGIC:
            self.other += 1
            return
        _magic, phase, stamp = STAMP.unpack_from(data, 12)
        count = self.count(phase)
        count.received += 1
        count.delays.append(now - stamp)


class RtpStream:
    """One call's audio on an `RtpPort`: frames sent to `remote`, and what came back, counted by mark.

    `hear`, when given, takes every packet received instead of the count by mark (a benchmark's meter).
    """

    def __init__(self, port: RtpPort, payload: Payload, *, mark: int = 0, talking: bool = True, phase: int = 0,
                 hear: Callable[[bytes], None] | None = None) -> None:
        self.port = port
        self.payload = payload
        self.frame = bytes((mark,)) * FRAME_SAMPLES  # the keep-alive frame sent while not talking
        self.talking = talking
        self.phase = phase
        self.hear = hear
        self.remote: Address | None = None
        self.payload_type = 8
        self.event_type = TELEPHONE_EVENT
        self.ssrc = secrets.randbits(32)
        self.sequence = itertools.count(secrets.randbits(15))
        self.timestamp = secrets.randbits(31)
        self.sent = 0
        self.received = 0
        self.by_mark: collections.Counter[int] = collections.Counter()
        self.closed = False
        self._first = True
        self._cues: dict[bytes, Callable[[], None]] = {}

    def aim(self, media: sdp.Negotiated) -> None:
        """Send to the negotiated far end, in its codec and event payload types."""
        self.remote = (media.remote_address, media.remote_port)
        self.payload_type = media.codec.payload_type
        self.event_type = media.telephone_event or TELEPHONE_EVENT

    def tick(self, count: int = 0) -> None:
        """One 20 ms frame time passed: send a frame when talking, or a keep-alive frame now and then."""
        if self.talking or (count + self.phase) % self.port.quiet_every == 0:
            self.send(self.payload() if self.talking else self.frame, self._first)
            self._first = False
        self.timestamp = (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF

    def dtmf(self, digit: str) -> None:
        """An RFC 4733 key press: a start packet, then the end packet three times (as phones send it)."""
        self.send(event_payload(digit, FRAME_SAMPLES, False), True, self.event_type)
        for _ in range(3):
            self.send(event_payload(digit, 5 * FRAME_SAMPLES, True), False, self.event_type)

    def send(self, payload: bytes, marker: bool = False, payload_type: int | None = None) -> None:
        """One packet of this stream (the next sequence number, the current time stamp) to the far end."""
        kind = self.payload_type if payload_type is None else payload_type
        self.send_packet(packet(kind, next(self.sequence) & 0xFFFF, self.timestamp, self.ssrc, payload, marker))

    def send_packet(self, data: bytes) -> None:
        if self.remote is not None and self.port.send(data, self.remote):
            self.sent += 1

    def when_heard(self, payload: bytes, callback: Callable[[], None]) -> None:
        """Call `callback` once, when a frame with exactly this payload arrives (a known prompt's frame)."""
        self._cues[payload] = callback

    def received_frame(self, data: bytes) -> None:
        if self.hear is not None:
            self.hear(data)
            return
        self.received += 1
        if len(data) == FRAME_BYTES:
            self.by_mark[data[12]] += 1
            if self._cues:
                cue = self._cues.pop(data[12:], None)
                if cue is not None:
                    cue()

    def heard(self, mark: int) -> int:
        """Frames received whose bytes all were `mark` (the far phone's own audio)."""
        return self.by_mark[mark]

    async def hearing(self, mark: int, frames: int, timeout: float = 20.0) -> None:
        """Wait until `frames` frames of `mark` have been heard in all (TimeoutError after `timeout` s)."""
        await until(lambda: self.by_mark[mark] >= frames, timeout, f"{frames} frames marked {mark:#x}")

    def close(self) -> None:
        """Stop sending; packets from the far end are no longer counted."""
        self._cues.clear()
        if not self.closed:
            self.closed = True
            self.port.forget(self)


class RtpPort(asyncio.DatagramProtocol):
    """One UDP socket carrying the RTP of one line or of many calls told apart by the far end's address.

    The timer runs only while a shared stream is open, and every shared stream is served by the same tick.
    """

    def __init__(self, host: str, quiet_every: int = 25) -> None:
        self.host = host
        self.quiet_every = quiet_every
        self.streams: dict[Address, RtpStream] = {}
        self.only: RtpStream | None = None  # the line: hears every packet
        self.strays = 0  # packets from nobody we stream with (a leg already closed)
        self.transport: asyncio.DatagramTransport | None = None
        self._ticks = 0
        self._next_tick = 0.0
        self._timer: asyncio.TimerHandle | None = None

    async def open(self) -> Self:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, 0))
        return self

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        stream = self.only or self.streams.get((addr[0], addr[1]))
        if stream is None:
            self.strays += 1
        else:
            stream.received_frame(data)

    def error_received(self, exc: Exception) -> None:
        """ICMP unreachable from a leg the engine has just closed: expected at hang-up."""

    def single(self, payload: Payload, *, mark: int = 0, hear: Callable[[bytes], None] | None = None) -> RtpStream:
        """The port's single stream, which hears everything arriving; its owner aims it and ticks it."""
        self.only = RtpStream(self, payload, mark=mark, hear=hear)
        return self.only

    def stream(self, media: sdp.Negotiated, mark: int, talking: bool = False,
               voice: tuple[bytes, ...] = ()) -> RtpStream:
        """Start sending to the negotiated far end (and counting what it sends us); a `voice` talks at once."""
        created = RtpStream(self, looped(voice) if voice else marked(mark), mark=mark, talking=talking or bool(voice),
                            phase=len(self.streams) % self.quiet_every)
        created.aim(media)
        assert created.remote is not None
        self.streams[created.remote] = created
        created.tick(-created.phase)  # a first packet at once: the engine latches on it
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._next_tick = loop.time() + FRAME_SECONDS
            self._timer = loop.call_at(self._next_tick, self._tick)
        return created

    def forget(self, stream: RtpStream) -> None:
        if stream.remote is not None and self.streams.get(stream.remote) is stream:
            del self.streams[stream.remote]

    def send(self, data: bytes, remote: Address) -> bool:
        if self.transport is None or self.transport.is_closing():
            return False
        self.transport.sendto(data, remote)
        return True

    def _tick(self) -> None:
        self._ticks += 1
        for stream in tuple(self.streams.values()):
            stream.tick(self._ticks)
        if not self.streams:
            self._timer = None
            return
        loop = asyncio.get_running_loop()
        self._next_tick += FRAME_SECONDS
        if loop.time() - self._next_tick > LATE:
            self._next_tick = loop.time() + FRAME_SECONDS
        self._timer = loop.call_at(self._next_tick, self._tick)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.streams.clear()
        if self.transport is not None:
            self.transport.close()


class RtpLine(RtpPort):
    """A port with one line, as a single phone has: its stream hears everything that arrives, and once
    `start`ed sends a frame every 20 ms to the negotiated far end until `stop`."""

    def __init__(self, host: str, payload: Payload, *, mark: int = 0,
                 hear: Callable[[bytes], None] | None = None) -> None:
        super().__init__(host)
        self.line = self.single(payload, mark=mark, hear=hear)
        self._sender: asyncio.Task[None] | None = None

    @property
    def by_mark(self) -> collections.Counter[int]:
        return self.line.by_mark

    @property
    def received(self) -> int:
        return self.line.received

    @property
    def sent(self) -> int:
        return self.line.sent

    def start(self, media: sdp.Negotiated | None) -> None:
        """Send to `media`'s far end from now on (a phone that calls again: one sender, none left behind)."""
        assert media is not None
        self.line.aim(media)
        if self._sender is not None:
            self._sender.cancel()
        self._sender = asyncio.ensure_future(self.send_forever())

    async def send_forever(self) -> None:
        while True:
            self.line.tick()
            await asyncio.sleep(FRAME_SECONDS)

    def dtmf(self, digit: str) -> None:
        self.line.dtmf(digit)

    async def hearing(self, mark: int, frames: int, timeout: float = 20.0) -> None:
        """Wait until `frames` frames of `mark` have arrived in all (for N more: add `by_mark[mark]` now)."""
        await self.line.hearing(mark, frames, timeout)

    def stop(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        self.close()
