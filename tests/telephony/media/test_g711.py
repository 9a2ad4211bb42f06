"""G.711 tables against known values, exact round trips, and the buffer helpers against the per-sample code."""

from __future__ import annotations

import struct

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec


def test_known_encodings() -> None:
    assert [g711.linear_to_alaw(s) for s in (0, -1, 8, 32767, -32768)] == [0xD5, 0x55, 0xD5, 0xAA, 0x2A]
    assert [g711.linear_to_ulaw(s) for s in (0, -1, 32767, -32768, 8159 * 4)] == [0xFF, 0x7E, 0x80, 0x00, 0x80]


def test_known_decodings() -> None:
    assert [g711.alaw_to_linear(b) for b in (0xD5, 0x55, 0xAA, 0x2A, 0x80)] == [8, -8, 32256, -32256, 5504]
    assert [g711.ulaw_to_linear(b) for b in (0xFF, 0x7F, 0x80, 0x00, 0xEF)] == [0, 0, 32124, -32124, 132]


def test_alaw_round_trip_is_exact_for_every_code() -> None:
    assert [g711.linear_to_alaw(g711.alaw_to_linear(b)) for b in range(256)] == list(range(256))


def test_ulaw_round_trip_is_exact_except_negative_zero() -> None:
    back = [g711.linear_to_ulaw(g711.ulaw_to_linear(b)) for b in range(256)]
    assert back == [0xFF if b == 0x7F else b for b in range(256)]


@pytest.mark.parametrize("codec", [Codec.PCMA, Codec.PCMU])
def test_buffer_encode_and_decode_match_the_per_sample_functions(codec: Codec) -> None:
    samples = [-32768, -1000, -1, 0, 1, 7, 1000, 12345, 32767]
    encode_one = g711.linear_to_alaw if codec is Codec.PCMA else g711.linear_to_ulaw
    encoded = g711.encode(struct.pack(f"<{len(samples)}h", *samples), codec)
    assert list(encoded) == [encode_one(s) for s in samples]
    decoded = struct.unpack(f"<{len(samples)}h", g711.decode(encoded, codec))
    assert list(decoded) == [g711.decode_table(codec)[b] for b in encoded]


def test_transcoding_maps_silence_to_silence_and_is_identity_for_one_codec() -> None:
    assert g711.transcode_table(Codec.PCMA, Codec.PCMU)[0xD5] == g711.linear_to_ulaw(8)
    assert g711.transcode_table(Codec.PCMU, Codec.PCMA)[0xFF] == 0xD5
    assert g711.transcode_table(Codec.PCMA, Codec.PCMA) == bytes(range(256))


def test_interleave_and_mix() -> None:
    left, right = struct.pack("<2h", 1, 2), struct.pack("<2h", -3, -4)
    assert struct.unpack("<4h", g711.interleave(left, right)) == (1, -3, 2, -4)
    mixed = g711.mix(bytes([0xAA, 0xD5]), Codec.PCMA, bytes([0x80, 0xFF]), Codec.PCMU)
    assert struct.unpack("<2h", mixed) == (32767, 8)
