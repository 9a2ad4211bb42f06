"""Recording: the hot path copies payloads into a per-leg buffer placed by RTP timestamp; WAV written later.

A track's position for a packet is the arrival offset of its stream's first packet plus the RTP timestamp
delta, so a gap becomes silence and jitter does not move audio. Decoding, mixing and writing happen once,
at stop, in an executor.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.media.rtp import SEQ_TS_SSRC, header_length

RATE = 8000
_MAX_JUMP = RATE * 3600  # a timestamp jump beyond an hour is a new timeline, not a gap


class Track:
    """One recorded direction (what one leg sends us): G.711 bytes as received, indexed by sample."""

    __slots__ = ("_clock", "_start", "base", "buffer", "codec", "ssrc", "ts0")

    def __init__(self, codec: Codec, clock: Callable[[], float], start: float) -> None:
        self.codec = codec
        self.buffer = bytearray()
        self._clock = clock
        self._start = start
        self.ssrc = -1
        self.ts0 = 0
        self.base = 0

    def add(self, data: bytes) -> None:
        """Copy the payload of an audio packet (payload type already checked) to its place."""
        _seq, timestamp, ssrc = SEQ_TS_SSRC.unpack_from(data, 2)
        if ssrc != self.ssrc:
            self._anchor(ssrc, timestamp)
        position = self.base + ((timestamp - self.ts0) & 0xFFFFFFFF)
        if position - len(self.buffer) > _MAX_JUMP:
            self._anchor(ssrc, timestamp)
            position = self.base
        buffer = self.buffer
        gap = position - len(buffer)
        if gap > 0:
            buffer.extend(bytes((self.codec.silence,)) * gap)
        start = header_length(data)
        buffer[position : position + len(data) - start] = data[start:]

    def _anchor(self, ssrc: int, timestamp: int) -> None:
        self.ssrc = ssrc
        self.ts0 = timestamp
        self.base = max(0, round((self._clock() - self._start) * RATE))

    def samples(self, length: int) -> bytes:
        """Exactly `length` samples: cut, or padded with silence."""
        data = bytes(self.buffer[:length])
        return data + bytes((self.codec.silence,)) * (length - len(data))


@dataclass(slots=True)
class Recording:
    """What is being recorded: the caller's and the agent's tracks (a bridge), or one track (a voicemail).

    `mode` applies to two tracks; one track is always written mono.
    """

    path: Path
    mode: RecordingMode
    tracks: tuple[Track, ...]
    start: float


def write_wav(recording: Recording, length: int) -> Path:
    """Decode, mix or interleave, and write the WAV (blocking: runs in an executor)."""
    channels, frames = _frames(recording.tracks, recording.mode, length)
    recording.path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(recording.path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(frames)
    return recording.path


def _frames(tracks: tuple[Track, ...], mode: RecordingMode, length: int) -> tuple[int, bytes]:
    """(channels, 16-bit PCM) for one track or a caller/agent pair."""
    if len(tracks) == 1:
        return 1, g711.decode(tracks[0].samples(length), tracks[0].codec)
    caller, agent = tracks
    if mode is RecordingMode.STEREO:
        left, right = g711.decode(caller.samples(length), caller.codec), g711.decode(agent.samples(length), agent.codec)
        return 2, g711.interleave(left, right)
    return 1, g711.mix(caller.samples(length), caller.codec, agent.samples(length), agent.codec)
