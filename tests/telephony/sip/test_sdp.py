"""SDP parsing, building and audio offer/answer (RFC 4566, RFC 3264, RFC 4733)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.telephony.sip import sdp

OFFER = (
    "v=0\r\n"
    "o=caller 123 1 IN IP4 10.0.0.5\r\n"
    "s=call\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 96\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-15\r\n"
    "a=ptime:20\r\n"
    "{direction}"
)


def offer(direction: str = "", text: str = OFFER) -> sdp.Session:
    return sdp.parse(text.replace("{direction}", f"a={direction}\r\n" if direction else "").encode())


def local() -> sdp.LocalSdp:
    return sdp.LocalSdp("127.0.0.1", 30000, session_id="42")


def test_parse_reads_connection_media_codecs_and_events() -> None:
    session = offer()
    media = session.media[0]
    assert (session.connection, media.port, media.formats) == ("10.0.0.5", 40000, ["0", "8", "96"])
    assert media.codec(96) == ("telephone-event", 8000)
    assert media.codec(8) == ("PCMA", 8000)
    assert session.direction_of(media) == "sendrecv"


def test_answer_keeps_offerer_codec_order_and_its_telephone_event_payload_type() -> None:
    body, negotiated = sdp.answer(offer(), local())
    assert negotiated.codec == sdp.Codec("PCMU", 0)
    assert (negotiated.remote_address, negotiated.remote_port, negotiated.telephone_event) == ("10.0.0.5", 40000, 96)
    answer = sdp.parse(body)
    media = answer.media[0]
    assert (answer.connection, media.port, media.formats) == ("127.0.0.1", 30000, ["0", "96"])
    assert media.codec(96) == ("telephone-event", 8000)
    assert (media.ptime, media.direction) == (20, "sendrecv")


def test_answer_prefers_the_offerers_first_supported_codec() -> None:
    text = OFFER.replace("RTP/AVP 0 8 96", "RTP/AVP 18 8 0 96")
    _, negotiated = sdp.answer(offer(text=text), local())
    assert negotiated.codec == sdp.Codec("PCMA", 8)


@pytest.mark.parametrize(
    ("offered", "answered"),
    [("sendrecv", "sendrecv"), ("sendonly", "recvonly"), ("recvonly", "sendonly"), ("inactive", "inactive")],
)
def test_answer_mirrors_the_offered_direction(offered: str, answered: str) -> None:
    body, negotiated = sdp.answer(offer(offered), local())
    assert negotiated.direction == answered
    assert sdp.parse(body).media[0].direction == answered


def test_session_level_direction_and_old_style_hold_address() -> None:
    text = OFFER.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n")
    assert sdp.answer(offer(text=text), local())[1].direction == "recvonly"
    held = OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0")
    assert sdp.answer(offer(text=held), local())[1].on_hold


def test_local_hold_narrows_our_direction() -> None:
    assert sdp.answer(offer(), local(), hold=True)[1].direction == "sendonly"
    assert sdp.answer(offer("sendonly"), local(), hold=True)[1].direction == "inactive"


def test_media_level_connection_and_rejected_streams_are_answered_with_port_0() -> None:
    text = (
        "v=0\r\no=x 1 1 IN IP4 10.0.0.9\r\ns=-\r\nt=0 0\r\n"
        "m=video 5000 RTP/AVP 31\r\nc=IN IP4 10.0.0.9\r\n"
        "m=audio 0 RTP/AVP 8\r\n"
        "m=audio 6000 RTP/AVP 8 0\r\nc=IN IP4 10.0.0.7\r\n"
    )
    body, negotiated = sdp.answer(sdp.parse(text.encode()), local())
    assert (negotiated.remote_address, negotiated.remote_port, negotiated.codec.name) == ("10.0.0.7", 6000, "PCMA")
    assert negotiated.telephone_event is None
    assert [(m.kind, m.port) for m in sdp.parse(body).media] == [("video", 0), ("audio", 0), ("audio", 30000)]


@pytest.mark.parametrize(
    "text",
    [
        OFFER.replace("RTP/AVP 0 8 96", "RTP/AVP 18 96").replace("a=rtpmap:0 PCMU/8000\r\n", ""),
        OFFER.replace("m=audio 40000", "m=audio 0"),
        OFFER.replace("m=audio", "m=video"),
        OFFER.replace("RTP/AVP", "RTP/SAVP"),
    ],
)
def test_offers_without_a_usable_common_codec_are_not_acceptable(text: str) -> None:
    with pytest.raises(sdp.NotAcceptable):
        sdp.answer(offer(text=text), local())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"v=1\r\n",
        b"o=x 1 1 IN IP4 1.2.3.4\r\n",
        OFFER.replace("m=audio 40000", "m=audio 70000").encode(),
        OFFER.replace("m=audio 40000", "m=audio abc").encode(),
        OFFER.replace("0 8 96", "0 8 300").encode(),
        OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4").encode(),
        OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4 host.example").encode(),
        OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP6 10.0.0.5").encode(),
        OFFER.replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:8 PCMA").encode(),
        OFFER.replace("a=ptime:20", "a=ptime:x").encode(),
        OFFER.replace("o=caller 123 1 IN IP4 10.0.0.5", "o=caller 123").encode(),
        b"v=0\r\nbad line\r\n",
        b"\xff\xfe",
        b"v=0\r\n" + b"a=x\r\n" * 300,
        b"x" * 9000,
    ],
)
def test_malformed_sdp_raises_sdp_error(body: bytes) -> None:
    with pytest.raises(sdp.SdpError):
        sdp.check_offer(sdp.parse(body))


def test_offer_round_trips_and_accept_answer_gives_the_stream() -> None:
    ours = local()
    sent = sdp.offer(ours)
    parsed = sdp.parse(sent).media[0]
    assert parsed.formats == ["8", "0", "101"] and parsed.codec(101) == ("telephone-event", 8000)
    reply = (
        "v=0\r\no=agent 9 9 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 7000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n"
    )
    negotiated = sdp.accept_answer(sent, reply.encode())
    assert (negotiated.remote_port, negotiated.codec.name, negotiated.telephone_event) == (7000, "PCMU", 101)
    assert negotiated.direction == "sendonly"
    with pytest.raises(sdp.SdpError):
        sdp.accept_answer(sent, reply.replace("RTP/AVP 0 101", "RTP/AVP 18").encode())


def test_origin_version_increments_only_when_the_description_changes() -> None:
    ours = local()
    first = sdp.parse(sdp.answer(offer(), ours)[0])
    same = sdp.parse(sdp.answer(offer(), ours)[0])
    held = sdp.parse(sdp.answer(offer("sendonly"), ours)[0])
    assert (first.version, same.version, held.version) == (0, 0, 1)
    assert first.session_id == held.session_id == "42"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        kind = rng.randrange(4)
        position = rng.randrange(len(buffer) + 1)
        if kind == 0 and buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
        elif kind == 1:
            buffer.insert(position, rng.choice(b" =:/\r\n0123456789av-"))
        elif kind == 2:
            del buffer[position : position + rng.randint(1, 20)]
        else:
            buffer[position:position] = rng.choice([b"\r\nm=audio 1 RTP/AVP 8\r\n", b"\r\nc=IN IP4 1.1.1.1\r\n"])
    return bytes(buffer)


def _negotiate_or_refuse(body: bytes) -> None:
    try:
        session = sdp.parse(body)
        answer, _ = sdp.answer(session, local())
        sdp.parse(answer)  # our own output always parses
    except (sdp.SdpError, sdp.NotAcceptable):
        pass


def test_mutated_offers_only_ever_raise_sdp_errors() -> None:
    rng = random.Random(4733)
    seed = OFFER.replace("{direction}", "a=sendonly\r\n").encode()
    for _ in range(3000):
        _negotiate_or_refuse(_mutate(rng, seed))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=600))
def test_random_bytes_only_ever_raise_sdp_errors(body: bytes) -> None:
    _negotiate_or_refuse(b"v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\n" + body)
