"""Sine tones as G.711 frames, and tone detection (Goertzel), for tests and benchmarks that check who hears what.

A test phone sends its own tone; whatever another phone receives is decoded and asked, one frequency at a
time, how much of that tone it holds. Goertzel computes a single DFT bin in one pass, so checking three
tones in a second of audio costs three short loops rather than an FFT.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.rtp import FRAME_SAMPLES, FRAME_SECONDS

RATE = 8000
AMPLITUDE = 8000  # about -12 dBFS: two tones mixed stay far from clipping
# A tone at amplitude 500 (-36 dBFS): far above G.711 quantisation noise and the splatter of a frame lost
# to jitter, far below any tone a test phone sends.
THRESHOLD = 500 * 500 / 2

Samples = bytes | bytearray | memoryview | Sequence[int]


def tone_pcm(frequency_hz: float, seconds: float, amplitude: int = AMPLITUDE) -> bytes:
    """A sine tone as little-endian 16-bit PCM at 8 kHz, in whole 20 ms frames (rounded)."""
    count = round(seconds / FRAME_SECONDS) * FRAME_SAMPLES
    step = 2 * math.pi * frequency_hz / RATE
    return struct.pack(f"<{count}h", *(round(amplitude * math.sin(step * n)) for n in range(count)))


def tone_frames(frequency_hz: float, seconds: float, codec: Codec, amplitude: int = AMPLITUDE) -> list[bytes]:
    """G.711 payloads of a sine tone, 160 samples (20 ms) each, one continuous phase across the frames."""
    encoded = g711.encode(tone_pcm(frequency_hz, seconds, amplitude), codec)
    return [encoded[start : start + FRAME_SAMPLES] for start in range(0, len(encoded), FRAME_SAMPLES)]


def _as_ints(samples: Samples) -> Sequence[int]:
    if isinstance(samples, bytes | bytearray | memoryview):
        data = bytes(samples)
        return struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2])
    return samples


def tone_power(samples: Samples, frequency_hz: float) -> float:
    """The mean power of the samples' component at `frequency_hz` (Goertzel), in 16-bit units squared.

    `samples` is little-endian 16-bit PCM (bytes) or decoded sample values. The DFT bin's energy is scaled
    by 2 / N², so that a sine of amplitude A gives about A² / 2 whatever the block's length.
    """
    values = _as_ints(samples)
    if not values:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * frequency_hz / RATE)
    previous = before = 0.0
    for sample in values:
        previous, before = sample + coefficient * previous - before, previous
    energy = previous * previous + before * before - coefficient * previous * before
    return 2 * energy / (len(values) * len(values))


def hears(samples: Samples, frequency_hz: float, threshold: float = THRESHOLD) -> bool:
    """Whether the samples carry the tone at `frequency_hz` with at least `threshold` power (see `tone_power`)."""
    return tone_power(samples, frequency_hz) >= threshold
