"""RTP for many simulated phones on one UDP socket: streams keyed by the far end, one 20 ms tick for all.

A phone's audio is 20 ms G.711 frames whose bytes all equal its `mark`, so the far end can count exactly the
frames that came through the engine's bridge (prompts and hold music have other bytes). A stream that is
not talking sends one frame every `quiet_every` ticks, as a phone with silence suppression does, which
keeps the engine's RTP-silence watch content while thousands of callers wait on hold cheaply.
"""

from __future__ import annotations

import asyncio
import collections
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, cast

from hotline.telephony.engine import PROMPTS
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES, FRAME_SECONDS, event_payload, packet
from hotline.telephony.sip import sdp
from hotline.telephony.sip.transport import Address

RTP_FRAME_BYTES = 12 + FRAME_SAMPLES
LATE = 0.1  # a tick this late skips ahead instead of sending a burst


class RtpStream:
    """One call's audio on a shared `MediaSocket`: what we send to `remote`, and what came back, by mark."""

    def __init__(self, owner: MediaSocket, media: sdp.Negotiated, mark: int, talking: bool, phase: int) -> None:
        self.owner = owner
        self.remote: Address = (media.remote_address, media.remote_port)
        self.payload_type = media.codec.payload_type
        self.event_type = media.telephone_event or 101
        self.mark = mark
        self.talking = talking
        self.phase = phase
        self.frame = bytes((mark,)) * FRAME_SAMPLES
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(15)
        self.timestamp = secrets.randbits(31)
        self.sent = 0
        self.received = 0
        self.by_mark: collections.Counter[int] = collections.Counter()
        self.closed = False
        self._first = True
        self._cues: dict[bytes, Callable[[], None]] = {}
        self.voice: tuple[bytes, ...] = ()  # when set, talking sends these frames in a loop instead of `frame`
        self._spoken = 0

    def tick(self, count: int) -> None:
        """One 20 ms frame time passed: send a frame when talking, or a keep-alive frame now and then."""
        if self.talking or (count + self.phase) % self.owner.quiet_every == 0:
            self._send(self._next_frame() if self.talking else self.frame, self._first)
            self._first = False
        self.timestamp = (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF

    def _next_frame(self) -> bytes:
        if not self.voice:
            return self.frame
        self._spoken += 1
        return self.voice[(self._spoken - 1) % len(self.voice)]

    def dtmf(self, digit: str) -> None:
        """An RFC 4733 key press: a start packet, then the end packet three times (as phones send it)."""
        self._send(event_payload(digit, FRAME_SAMPLES, False), True, self.event_type)
        for _ in range(3):
            self._send(event_payload(digit, 5 * FRAME_SAMPLES, True), False, self.event_type)

    def when_heard(self, payload: bytes, callback: Callable[[], None]) -> None:
        """Call `callback` once, when a frame with exactly this payload arrives (a known prompt's frame)."""
        self._cues[payload] = callback

    def received_frame(self, data: bytes) -> None:
        self.received += 1
        if len(data) == RTP_FRAME_BYTES:
            self.by_mark[data[12]] += 1
            if self._cues:
                cue = self._cues.pop(data[12:], None)
                if cue is not None:
                    cue()

    def heard(self, mark: int) -> int:
        """Frames received whose bytes all were `mark` (the far phone's own audio)."""
        return self.by_mark[mark]

    def _send(self, payload: bytes, marker: bool, payload_type: int | None = None) -> None:
        self.seq = (self.seq + 1) & 0xFFFF
        kind = self.payload_type if payload_type is None else payload_type
        if self.owner.send(packet(kind, self.seq, self.timestamp, self.ssrc, payload, marker), self.remote):
            self.sent += 1

    def close(self) -> None:
        """Stop sending; packets from the far end are no longer counted."""
        self._cues.clear()
        if not self.closed:
            self.closed = True
            self.owner.forget(self)


class MediaSocket(asyncio.DatagramProtocol):
    """One UDP socket carrying the RTP of many calls, told apart by the far end's address.

    The engine sends each leg's RTP from the port it put in its SDP, so (address, port) names a call. The
    timer runs only while a stream is open, and every stream is served by the same tick.
    """

    def __init__(self, host: str, quiet_every: int = 25) -> None:
        self.host = host
        self.quiet_every = quiet_every
        self.streams: dict[Address, RtpStream] = {}
        self.strays = 0  # packets from nobody we stream with (a leg already closed)
        self.transport: asyncio.DatagramTransport | None = None
        self._ticks = 0
        self._next_tick = 0.0
        self._timer: asyncio.TimerHandle | None = None

    async def open(self) -> MediaSocket:
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
        stream = self.streams.get((addr[0], addr[1]))
        if stream is None:
            self.strays += 1
        else:
            stream.received_frame(data)

    def error_received(self, exc: Exception) -> None:
        """ICMP unreachable from a leg the engine has just closed: expected at hang-up."""

    def stream(self, media: sdp.Negotiated, mark: int, talking: bool = False,
               voice: tuple[bytes, ...] = ()) -> RtpStream:
        """Start sending to the negotiated far end (and counting what it sends us); a `voice` talks at once."""
        created = RtpStream(self, media, mark, talking or bool(voice), phase=len(self.streams) % self.quiet_every)
        created.voice = voice
        self.streams[created.remote] = created
        created.tick(-created.phase)  # a first packet at once: the engine latches on it
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._next_tick = loop.time() + FRAME_SECONDS
            self._timer = loop.call_at(self._next_tick, self._tick)
        return created

    def forget(self, stream: RtpStream) -> None:
        if self.streams.get(stream.remote) is stream:
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


@cache
def prompt_cue(prompt: str, payload_type: int, after: tuple[str, ...] = ()) -> bytes | None:
    """A frame of the engine's `prompt` as it sends it in `payload_type` that none of the `after` prompts has.

    The engine sends every prompt as the same pre-encoded frames, so hearing this payload means that prompt
    is playing: a simulated caller presses its menu key when the menu starts, as a person would, instead
    of guessing from the clock (an engine under load starts its prompts late). None when there is none.
    """
    try:
        codec = Codec(payload_type)
    except ValueError:
        return None
    earlier = {frame for name in after for frame in read_wav(PROMPTS / f"{name}.wav").frames(codec)}
    earlier.add(bytes((codec.silence,)) * FRAME_SAMPLES)
    frames = read_wav(PROMPTS / f"{prompt}.wav").frames(codec)
    return next((frame for frame in frames if frame not in earlier), None)


VOICES = Path(__file__).resolve().parent / "voices"


@cache
def voice_frames(payload_type: int, name: str = "customer") -> tuple[bytes, ...]:
    """A recorded voice (voices/NAME.wav) as the 20 ms frames of `payload_type`; empty for a codec we lack."""
    try:
        codec = Codec(payload_type)
    except ValueError:
        return ()
    return tuple(read_wav(VOICES / f"{name}.wav").frames(codec))
