"""G.711 A-law and μ-law (ITU-T G.711), table-based, written here because `audioop` is deprecated.

Encoding goes through 65536-entry tables indexed by the 16-bit sample (as unsigned); decoding goes through
256-entry tables. Whole buffers are converted with `bytes.translate` and strided slices, so decoding a
recording costs C-speed passes rather than a Python loop per sample.
"""

from __future__ import annotations

import sys
from array import array
from enum import Enum
from functools import cache

_A_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_U_SEGMENT_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_U_BIAS = 0x84
_U_CLIP = 8159


class Codec(Enum):
    """A G.711 codec, valued by its static RTP payload type."""

    PCMU = 0
    PCMA = 8

    @property
    def payload_type(self) -> int:
        return self.value

    @property
    def silence(self) -> int:
        """The byte that decodes to (near) zero."""
        return 0xD5 if self is Codec.PCMA else 0xFF


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for index, end in enumerate(ends):
        if value <= end:
            return index
    return len(ends)


def linear_to_alaw(sample: int) -> int:
    """Encode one signed 16-bit sample to an A-law byte."""
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = _segment(value, _A_SEGMENT_ENDS)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def alaw_to_linear(byte: int) -> int:
    """Decode one A-law byte to a signed 16-bit sample."""
    value = byte ^ 0x55
    magnitude = (value & 0x0F) << 4
    segment = (value & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if value & 0x80 else -magnitude


def linear_to_ulaw(sample: int) -> int:
    """Encode one signed 16-bit sample to a μ-law byte."""
    value = sample >> 2
    if value < 0:
        value = -value
        mask = 0x7F
    else:
        mask = 0xFF
    value = min(value, _U_CLIP) + (_U_BIAS >> 2)
    segment = _segment(value, _U_SEGMENT_ENDS)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def ulaw_to_linear(byte: int) -> int:
    """Decode one μ-law byte to a signed 16-bit sample."""
    value = ~byte & 0xFF
    magnitude = (((value & 0x0F) << 3) + _U_BIAS) << ((value & 0x70) >> 4)
    return _U_BIAS - magnitude if value & 0x80 else magnitude - _U_BIAS


@cache
def decode_table(codec: Codec) -> tuple[int, ...]:
    """Signed sample for each of the 256 code bytes."""
    decode = alaw_to_linear if codec is Codec.PCMA else ulaw_to_linear
    return tuple(decode(byte) for byte in range(256))


@cache
def encode_table(codec: Codec) -> bytes:
    """Code byte for each 16-bit sample, indexed by the sample read as unsigned."""
    encode = linear_to_alaw if codec is Codec.PCMA else linear_to_ulaw
    return bytes(encode(index - 0x10000 if index >= 0x8000 else index) for index in range(0x10000))


@cache
def _byte_tables(codec: Codec) -> tuple[bytes, bytes]:
    samples = [value & 0xFFFF for value in decode_table(codec)]
    return bytes(value & 0xFF for value in samples), bytes(value >> 8 for value in samples)


@cache
def transcode_table(source: Codec, target: Codec) -> bytes:
    """A `bytes.translate` table from one G.711 law to the other (identity when equal)."""
    encode = encode_table(target)
    return bytes(encode[value & 0xFFFF] for value in decode_table(source))


def _native(pcm: bytes | bytearray) -> memoryview:
    if sys.byteorder == "little":
        return memoryview(pcm).cast("H")
    swapped = array("H", bytes(pcm))
    swapped.byteswap()
    return memoryview(swapped)


def encode(pcm: bytes | bytearray, codec: Codec) -> bytes:
    """Encode little-endian signed 16-bit PCM (an even number of bytes) to G.711."""
    return bytes(map(encode_table(codec).__getitem__, _native(pcm)))


def decode(data: bytes | bytearray, codec: Codec) -> bytes:
    """Decode G.711 bytes to little-endian signed 16-bit PCM."""
    low, high = _byte_tables(codec)
    out = bytearray(2 * len(data))
    out[0::2] = data.translate(low)
    out[1::2] = data.translate(high)
    return bytes(out)


def interleave(left: bytes, right: bytes) -> bytes:
    """Two equal-length 16-bit PCM channels as one stereo PCM buffer."""
    out = bytearray(2 * len(left))
    out[0::4] = left[0::2]
    out[1::4] = left[1::2]
    out[2::4] = right[0::2]
    out[3::4] = right[1::2]
    return bytes(out)


# Samples mixed per step: each step is a few whole-buffer integer operations that hold the GIL, so the
# event loop (relay, SIP) waits at most one step while a long recording is mixed in the executor.
_MIX_STEP = 4 * 8000
_FLIP_HIGH_BIT = bytes(value ^ 0x80 for value in range(256))


@cache
def _biased_high(codec: Codec) -> bytes:
    """High bytes of the decoded samples with 0x8000 added (sign bit flipped): samples as 0..0xFFFF."""
    return _byte_tables(codec)[1].translate(_FLIP_HIGH_BIT)


def _lanes(data: bytes | bytearray, codec: Codec) -> int:
    """The decoded samples plus 0x8000, each in its own 32-bit lane of one little-endian integer."""
    lanes = bytearray(4 * len(data))
    lanes[0::4] = data.translate(_byte_tables(codec)[0])
    lanes[1::4] = data.translate(_biased_high(codec))
    return int.from_bytes(lanes, "little")


def _mix_step(first: bytes | bytearray, first_codec: Codec, second: bytes | bytearray, second_codec: Codec) -> bytes:
    """One step of `mix`: a clipped sum computed lane-wise on big integers (no per-sample Python work).

    Per lane x = a + b + 0x18000, between 0x8000 and 0x27FFE, so lanes never carry into each other. The sum
    fits 16 bits exactly when bit 16 is set and bit 17 is not, and then the biased result is x & 0xFFFF;
    bit 17 set means too high (0xFFFF, i.e. 0x7FFF), neither bit means too low (0, i.e. -0x8000).
    """
    count = len(first)
    ones = int.from_bytes(b"\x01\x00\x00\x00" * count, "little")
    x = _lanes(first, first_codec) + _lanes(second, second_codec) + 0x8000 * ones
    high = (x >> 17) & ones
    fits = (x >> 16) & ones & ~high
    biased = ((x & (0xFFFF * ones)) & (0xFFFF * fits)) | (0xFFFF * high)
    raw = biased.to_bytes(4 * count, "little")
    pcm = bytearray(2 * count)
    pcm[0::2] = raw[0::4]
    pcm[1::2] = raw[1::4].translate(_FLIP_HIGH_BIT)
    return bytes(pcm)


def mix(first: bytes | bytearray, first_codec: Codec, second: bytes | bytearray, second_codec: Codec) -> bytes:
    """Mix two equal-length G.711 channels into one little-endian 16-bit PCM channel (clipped sum)."""
    steps = (_mix_step(first[start:start + _MIX_STEP], first_codec, second[start:start + _MIX_STEP], second_codec)
             for start in range(0, len(first), _MIX_STEP))
    return b"".join(steps)
