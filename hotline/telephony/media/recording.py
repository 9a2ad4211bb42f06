"""Recording: the hot path copies payloads into a per-leg buffer placed by RTP timestamp; the WAV grows on disk.

A track's position for a packet is the arrival offset of its stream's first packet plus the RTP timestamp
delta, so a gap becomes silence and jitter does not move audio. Every second (`Recorder`), the part of each
track older than `margin` seconds is cut off the buffer on the loop (a copy of about a second of bytes) and
decoded, mixed or interleaved, and appended to the WAV by one writer thread, which then patches the RIFF and
data sizes: the file on disk is always a complete WAV of everything spilled so far, so a crash (even a
SIGKILL: the writes are unbuffered system calls) leaves a readable recording up to the last spill. At stop
the rest (at most `margin` + a second) is written the same way. A long call thus holds a few seconds in
memory, and no step on the loop or holding the GIL in the writer grows with the call's length.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.media.rtp import SEQ_TS_SSRC, header_length

log = logging.getLogger(__name__)
RATE = 8000
_MAX_JUMP = RATE * 3600  # a timestamp jump beyond an hour is a new timeline, not a gap
_HALF = 1 << 31
_WAV_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")


class Track:
    """One recorded direction (what one leg sends us): G.711 bytes as received, indexed by sample.

    `buffer` holds samples from `offset` on; those before `offset` have been spilled to the file.
    """

    __slots__ = ("_clock", "_start", "base", "buffer", "codec", "last_ts", "offset", "ssrc", "ts0")

    def __init__(self, codec: Codec, clock: Callable[[], float], start: float) -> None:
        self.codec = codec
        self.buffer = bytearray()
        self.offset = 0
        self._clock = clock
        self._start = start
        self.ssrc = -1
        self.ts0 = 0
        self.base = 0
        self.last_ts = 0

    def add(self, data: bytes) -> None:
        """Copy the payload of an audio packet (payload type already checked) to its place."""
        _seq, timestamp, ssrc = SEQ_TS_SSRC.unpack_from(data, 2)
        if ssrc != self.ssrc:
            self._anchor(ssrc, timestamp, self._now())
        position = self.base + ((timestamp - self.ts0) & 0xFFFFFFFF)
        if position - self.offset - len(self.buffer) > _MAX_JUMP:
            position = self._anchor(ssrc, timestamp, self._now())
        if position < self.offset:
            if (timestamp - self.last_ts) & 0xFFFFFFFF >= _HALF:
                return  # a reordered packet of a part already written
            # The sender's clock runs behind ours (or it stalled longer than the margin): go on from the
            # written part instead of dropping every later packet.
            position = self._anchor(ssrc, timestamp, self.offset)
        self.last_ts = timestamp
        buffer = self.buffer
        index = position - self.offset
        gap = index - len(buffer)
        if gap > 0:
            buffer.extend(bytes((self.codec.silence,)) * gap)
        start = header_length(data)
        buffer[index : index + len(data) - start] = data[start:]

    def _now(self) -> int:
        return max(0, round((self._clock() - self._start) * RATE))

    def _anchor(self, ssrc: int, timestamp: int, position: int) -> int:
        self.ssrc = ssrc
        self.ts0 = timestamp
        self.base = max(position, self.offset)
        return self.base

    def take(self, end: int) -> bytes:
        """The samples from `offset` to `end` (padded with silence), removed from the buffer."""
        count = max(0, end - self.offset)
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        self.offset += count
        return data + bytes((self.codec.silence,)) * (count - len(data))


class WavWriter:
    """A 16-bit 8 kHz WAV that grows: each `append` writes the data, then patches the two sizes.

    The bytes are those of the standard `wave` module's output for the same frames. Blocking: used only in
    the recorder's writer thread.
    """

    def __init__(self, path: Path, channels: int) -> None:
        self.path = path
        self.channels = channels
        self.size = 0
        self.error: Exception | None = None
        self._fd = -1

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(self._fd, self._header())

    def append(self, pcm: bytes) -> None:
        view = memoryview(pcm)
        while view:
            view = view[os.write(self._fd, view) :]
        self.size += len(pcm)
        os.pwrite(self._fd, struct.pack("<I", 36 + self.size), 4)
        os.pwrite(self._fd, struct.pack("<I", self.size), 40)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _header(self) -> bytes:
        block = 2 * self.channels
        return _WAV_HEADER.pack(b"RIFF", 36 + self.size, b"WAVE", b"fmt ", 16, 1, self.channels, RATE,
                                RATE * block, block, 16, b"data", self.size)


@dataclass(slots=True)
class Recording:
    """What is being recorded: the caller's and the agent's tracks (a bridge), or one track (a voicemail).

    `mode` applies to two tracks; one track is always written mono. `written`: samples handed to the writer.
    """

    path: Path
    mode: RecordingMode
    tracks: tuple[Track, ...]
    start: float
    writer: WavWriter = field(init=False)
    written: int = 0

    def __post_init__(self) -> None:
        stereo = len(self.tracks) == 2 and self.mode is RecordingMode.STEREO
        self.writer = WavWriter(self.path, 2 if stereo else 1)

    def cut(self, end: int) -> _Chunk:
        """The tracks' samples up to `end`, taken off their buffers (on the loop: a copy, no decoding)."""
        self.written = max(self.written, end)
        return _Chunk(self.writer, self.mode, tuple((track.take(end), track.codec) for track in self.tracks))


@dataclass(frozen=True, slots=True)
class _Chunk:
    writer: WavWriter
    mode: RecordingMode
    parts: tuple[tuple[bytes, Codec], ...]

    def write(self) -> None:
        """Decode, mix or interleave, and append (in the writer thread). A failed file is left alone after."""
        if self.writer.error is not None:
            return
        try:
            self.writer.append(_pcm(self.parts, self.mode))
        except OSError as error:
            self.writer.error = error
            self.writer.close()


def _pcm(parts: tuple[tuple[bytes, Codec], ...], mode: RecordingMode) -> bytes:
    """16-bit PCM of one track, or of a caller/agent pair (stereo: interleaved; mono: mixed)."""
    if len(parts) == 1:
        return g711.decode(*parts[0])
    (caller, caller_codec), (agent, agent_codec) = parts
    if mode is RecordingMode.STEREO:
        return g711.interleave(g711.decode(caller, caller_codec), g711.decode(agent, agent_codec))
    return g711.mix(caller, caller_codec, agent, agent_codec)


SPILL_SLICES = 10  # a spill round is spread over this many ticks


class Recorder:
    """The recordings in progress, spilled to their files every `spill_every` seconds by one writer thread.

    Samples younger than `margin` seconds stay in memory, where late packets can still land. The one thread
    keeps each file's appends in order; a spill round is one job, whatever the number of recordings.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Callable[[], float], spill_every: float = 1.0,
                 margin: float = 2.0) -> None:
        self._loop = loop
        self._clock = clock
        self._spill_every = spill_every
        self._margin = round(margin * RATE)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recordings")
        self._active: dict[str, Recording] = {}
        self._handle: asyncio.TimerHandle | None = None
        self._slice = 0
        self.spills = 0

    def __contains__(self, recording_id: str) -> bool:
        return recording_id in self._active

    def ids(self) -> tuple[str, ...]:
        return tuple(self._active)

    def start(self, recording_id: str, codecs: tuple[Codec, ...], path: Path, mode: RecordingMode) -> tuple[Track, ...]:
        """Open the file (an empty WAV at once) and return the tracks for the legs to fill."""
        start = self._clock()
        recording = Recording(path, mode, tuple(Track(codec, self._clock, start) for codec in codecs), start)
        self._active[recording_id] = recording
        self._writer.submit(self._open, recording.writer)
        if self._handle is None:
            self._handle = self._loop.call_later(self._spill_every / SPILL_SLICES, self._spill)
        return recording.tracks

    @staticmethod
    def _open(writer: WavWriter) -> None:
        try:
            writer.open()
        except OSError as error:
            writer.error = error

    def stop(self, recording_id: str) -> asyncio.Future[Path]:
        """Cut the rest now (the caller detached the tracks) and finish the file; the future is its path."""
        recording = self._active.pop(recording_id)
        chunk = recording.cut(self._length(recording))
        return asyncio.wrap_future(self._writer.submit(self._finish, chunk), loop=self._loop)

    @staticmethod
    def _finish(chunk: _Chunk) -> Path:
        chunk.write()
        chunk.writer.close()
        if chunk.writer.error is not None:
            raise chunk.writer.error
        return chunk.writer.path

    def _length(self, recording: Recording) -> int:
        return max(0, round((self._clock() - recording.start) * RATE))

    def _spill(self) -> None:
        """Hand a slice of the recordings' settled samples to the writer thread, as one job: each tick takes
        every SPILL_SLICES-th recording, so each is spilled every `spill_every` seconds and the thread's work
        (which holds the GIL the relay needs) comes in small parts, not one burst a second."""
        self._slice = (self._slice + 1) % SPILL_SLICES
        chunks = []
        for number, recording in enumerate(self._active.values()):
            end = self._length(recording) - self._margin
            if number % SPILL_SLICES == self._slice and end > recording.written:
                chunks.append(recording.cut(end))
        if chunks:
            self.spills += 1
            self._writer.submit(_write_all, tuple(chunks))
        self._handle = self._loop.call_later(self._spill_every / SPILL_SLICES, self._spill) if self._active else None

    async def drain(self) -> None:
        """Wait until the writer thread has written everything handed to it so far."""
        await asyncio.wrap_future(self._writer.submit(lambda: None), loop=self._loop)

    def close(self) -> None:
        """After the last `stop`: let the thread end once its queue is written."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._writer.shutdown(wait=False)


def _write_all(chunks: tuple[_Chunk, ...]) -> None:
    for chunk in chunks:
        try:
            chunk.write()
        except Exception:  # one recording's bug must not lose the others' audio
            log.exception("recording chunk for %s failed", chunk.writer.path)
        # Hand the GIL back to the event loop between recordings: decoding and mixing hold it, and a
        # round of 240 calls would otherwise keep the relay waiting up to the interpreter's 5 ms switch
        # interval at a time (bridged p99 1.5 ms → 23 ms in `hotline bench engine`).
        time.sleep(0)
