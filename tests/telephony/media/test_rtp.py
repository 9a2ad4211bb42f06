"""RTP header length and RFC 4733 end-packet decoding."""

from __future__ import annotations

from hotline.telephony.media.rtp import event_end, event_payload, header_length, packet


def test_header_length_counts_csrcs_and_extension() -> None:
    plain = packet(0, 1, 2, 3, b"x")
    with_csrc = bytes([0x82]) + plain[1:12] + bytes(8) + b"x"
    with_extension = bytes([0x90]) + plain[1:12] + b"\xbe\xde\x00\x01" + bytes(4) + b"x"
    assert [header_length(p) for p in (plain, with_csrc, with_extension)] == [12, 20, 20]


def test_event_end_reads_digit_and_timestamp_only_from_end_packets() -> None:
    assert event_end(packet(101, 1, 4000, 9, event_payload("#", 800, end=True))) == (4000, "#")
    assert event_end(packet(101, 1, 4000, 9, event_payload("D", 800, end=True))) == (4000, "D")
    assert event_end(packet(101, 1, 4000, 9, event_payload("5", 160, end=False))) is None
    assert event_end(packet(101, 1, 4000, 9, bytes([16, 0x80, 0, 0]))) is None
    assert event_end(packet(101, 1, 4000, 9, b"\x01")) is None
