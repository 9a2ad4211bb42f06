"""RTP header helpers (RFC 3550) and RFC 4733 telephone-event decoding; nothing here allocates per call."""

from __future__ import annotations

import struct

HEADER = struct.Struct("!BBHII")
SEQ_TS_SSRC = struct.Struct("!HII")
FRAME_SAMPLES = 160
FRAME_SECONDS = 0.02
EVENT_DIGITS = "0123456789*#ABCD"
_EVENT_END = 0x80


def header_length(data: bytes) -> int:
    """Length of the fixed header, CSRC list and extension (the payload starts there)."""
    first = data[0]
    length = 12 + ((first & 0x0F) << 2)
    if first & 0x10 and len(data) >= length + 4:
        length += 4 + (int.from_bytes(data[length + 2 : length + 4], "big") << 2)
    return length


def packet(payload_type: int, seq: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    """An RTP packet with version 2 and no CSRC or extension."""
    return HEADER.pack(0x80, payload_type | (0x80 if marker else 0), seq, timestamp, ssrc) + payload


def event_end(data: bytes) -> tuple[int, str] | None:
    """(timestamp, digit) of an RFC 4733 end packet for a DTMF event, else None."""
    start = header_length(data)
    if len(data) < start + 4 or not data[start + 1] & _EVENT_END or data[start] >= len(EVENT_DIGITS):
        return None
    _seq, timestamp, _ssrc = SEQ_TS_SSRC.unpack_from(data, 2)
    return timestamp, EVENT_DIGITS[data[start]]


def event_payload(digit: str, duration: int, end: bool, volume: int = 10) -> bytes:
    """An RFC 4733 payload for a DTMF digit (used by test phones and the benchmark)."""
    flags = (_EVENT_END if end else 0) | (volume & 0x3F)
    return bytes((EVENT_DIGITS.index(digit), flags)) + duration.to_bytes(2, "big")
