"""The strict parser: what is accepted, what is answered 400 (or 483/505/416/513), what is dropped."""

from __future__ import annotations

import pytest

from hotline.telephony.sip.message import (
    MAX_MESSAGE_BYTES,
    NameAddr,
    ParseError,
    Request,
    Response,
    Via,
    parse,
    response_to,
)

from .helpers import request_text, response_text


def test_a_request_is_parsed_with_compact_and_folded_headers() -> None:
    text = (
        "INVITE sip:4008001000@127.0.0.1 SIP/2.0\r\n"
        "v: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2\r\n"
        'f: "Caller, Inc" <sip:caller@10.0.0.1>;tag=x\r\n'
        "t: <sip:4008001000@127.0.0.1>\r\n"
        "i: abc@10.0.0.1\r\n"
        "CSeq: 7 INVITE\r\n"
        "Subject: hello\r\n"
        "  world\r\n"
        "l: 4\r\n\r\nv=0\r\n"
    )
    message = parse(text.encode())
    assert isinstance(message, Request)
    assert (message.method, message.uri, message.call_id, message.cseq) == (
        "INVITE", "sip:4008001000@127.0.0.1", "abc@10.0.0.1", (7, "INVITE")
    )  # fmt: skip
    assert [(via.transport, via.host, via.port, via.branch) for via in message.vias] == [
        ("UDP", "10.0.0.1", 5070, "z9hG4bK1"), ("TCP", "10.0.0.2", None, "z9hG4bK2")
    ]  # fmt: skip
    assert NameAddr.parse(message.headers.get("From") or "") == NameAddr(
        "Caller, Inc", "sip:caller@10.0.0.1", {"tag": "x"}
    )
    assert message.headers.get("Subject") == "hello world"
    assert message.body == b"v=0\r"  # Content-Length wins: the extra byte is discarded


def test_serialise_then_parse_round_trips_and_recomputes_content_length() -> None:
    message = parse(request_text("INVITE", body="v=0\r\n").encode())
    assert isinstance(message, Request)
    message.body = b"v=0\r\no=x\r\n"
    again = parse(message.serialise())
    assert isinstance(again, Request)
    assert (again.body, again.headers.get("Content-Length")) == (b"v=0\r\no=x\r\n", "10")


def test_a_response_is_parsed() -> None:
    message = parse(response_text(180, "Ringing").encode())
    assert isinstance(message, Response)
    assert (message.status, message.reason, message.cseq) == (180, "Ringing", (1, "INVITE"))


def test_response_to_copies_the_transaction_headers_and_adds_a_to_tag() -> None:
    incoming = parse(request_text("OPTIONS").encode())
    assert isinstance(incoming, Request)
    answer = response_to(incoming, 200, "OK", to_tag="t1")
    assert [name for name, _ in answer.headers.items()] == ["Via", "From", "To", "Call-ID", "CSeq"]
    assert answer.headers.get("To") == "<sip:4008001000@127.0.0.1>;tag=t1"


def test_via_keeps_flag_parameters_when_serialised() -> None:
    via = Via.parse("SIP/2.0/UDP [::1]:5070;branch=z9hG4bKx;rport")
    assert (via.host, via.port, via.params) == ("::1", 5070, {"branch": "z9hG4bKx", "rport": ""})
    assert str(Via.parse("SIP/2.0/UDP h:1;branch=z9hG4bKx;rport")) == "SIP/2.0/UDP h:1;branch=z9hG4bKx;rport"


ANSWERABLE = [
    ("CSeq: 1 OPTIONS", "CSeq: abc OPTIONS", 400, "Bad CSeq"),
    ("CSeq: 1 OPTIONS", "CSeq: 1 BYE", 400, "CSeq Method Mismatch"),
    ("CSeq: 1 OPTIONS", "CSeq: 18446744073709551616 OPTIONS", 400, "Bad CSeq"),
    ("Content-Length: 0", "Content-Length: 99999999", 400, "Content-Length Exceeds Body"),
    ("Content-Length: 0", "Content-Length: -5", 400, "Bad Content-Length"),
    ("Content-Length: 0", "Content-Length: 12", 400, "Content-Length Exceeds Body"),
    ("Max-Forwards: 70", "Max-Forwards: abc", 400, "Bad Max-Forwards"),
    ("SIP/2.0\r\nVia", "SIP/3.0\r\nVia", 505, "Version Not Supported"),
    ("OPTIONS sip:", "OPTIONS xmpp:", 416, "Unsupported URI Scheme"),
    ("Max-Forwards: 70", "Max-Forwards: 70\r\nExpires: soon", 400, "Bad Expires"),
    ("Call-ID: call-1@test", "Call-ID: call-1@test\r\nCall-ID: other", 400, "Duplicate Call-ID"),
]


@pytest.mark.parametrize(("old", "new", "status", "reason"), ANSWERABLE)
def test_malformed_requests_with_sound_essentials_are_answerable(old: str, new: str, status: int, reason: str) -> None:
    with pytest.raises(ParseError) as error:
        parse(request_text("OPTIONS").replace(old, new, 1).encode())
    assert (error.value.status, error.value.reason) == (status, reason)
    assert error.value.request is not None


def test_max_forwards_zero_is_too_many_hops_except_for_options() -> None:
    with pytest.raises(ParseError) as error:
        parse(request_text("INVITE").replace("Max-Forwards: 70", "Max-Forwards: 0").encode())
    assert (error.value.status, error.value.request is not None) == (483, True)
    assert isinstance(parse(request_text("OPTIONS").replace("Max-Forwards: 70", "Max-Forwards: 0").encode()), Request)


UNANSWERABLE = [
    ("Call-ID: call-1@test\r\n", ""),
    ("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport", "Via: garbage"),
    ("From: <sip:caller@127.0.0.1>;tag=from1", "From: <sip:caller@127.0.0.1"),
    ("Call-ID: call-1@test", "Call-ID: " + "x" * 600),
    ("\r\n\r\n", "\r\n"),
    ("OPTIONS sip:4008001000@127.0.0.1 SIP/2.0", "OPTIONS"),
    ("Max-Forwards: 70", "Max Forwards: 70"),
]


@pytest.mark.parametrize(("old", "new"), UNANSWERABLE)
def test_requests_that_cannot_be_answered_are_to_be_dropped(old: str, new: str) -> None:
    with pytest.raises(ParseError) as error:
        parse(request_text("OPTIONS").replace(old, new, 1).encode())
    assert error.value.request is None


def test_an_ack_is_never_answered_even_when_malformed() -> None:
    with pytest.raises(ParseError) as error:
        parse(request_text("ACK").replace("CSeq: 1 ACK", "CSeq: x ACK").encode())
    assert error.value.request is None


def test_size_and_header_count_are_capped() -> None:
    with pytest.raises(ParseError) as too_big:
        parse(request_text("OPTIONS", extra=f"X-Pad: {'a' * MAX_MESSAGE_BYTES}\r\n").encode())
    assert too_big.value.status == 513
    with pytest.raises(ParseError) as too_many:
        parse(request_text("OPTIONS", extra="X-A: b\r\n" * 200).encode())
    assert (too_many.value.status, too_many.value.reason, too_many.value.request is not None) == (
        400, "Too Many Headers", True
    )  # fmt: skip


def test_non_utf8_and_nul_bytes_are_refused() -> None:
    for bad in (b"\xff\xfe", b"\x00"):
        with pytest.raises(ParseError):
            parse(request_text("OPTIONS").encode().replace(b"Max-Forwards", bad + b"Max-Forwards"))


def test_a_status_code_must_be_three_digits_followed_by_a_space() -> None:
    with pytest.raises(ParseError):
        parse(response_text(200, "OK").replace("200 OK", "2000 OK").encode())
    bare = parse(response_text(200, "OK").replace("200 OK", "200").encode())
    assert isinstance(bare, Response)
    assert (bare.status, bare.reason) == (200, "")
