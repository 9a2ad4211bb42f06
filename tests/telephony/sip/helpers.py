"""Small builders shared by the SIP tests."""

from __future__ import annotations

from hotline.telephony.sip.message import Request, Response, parse


class FakeChannel:
    """A channel that records what would have been sent."""

    def __init__(self, reliable: bool = False) -> None:
        self.reliable = reliable
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def messages(self) -> list[Request | Response]:
        return [parse(data) for data in self.sent]


def request_text(
    method: str = "OPTIONS",
    branch: str = "z9hG4bKabc",
    cseq: int = 1,
    extra: str = "",
    body: str = "",
    transport: str = "UDP",
    call_id: str = "call-1@test",
) -> str:
    return (
        f"{method} sip:4008001000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 127.0.0.1:5070;branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:caller@127.0.0.1>;tag=from1\r\n"
        "To: <sip:4008001000@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )


def request(method: str = "OPTIONS", **kwargs: object) -> Request:
    message = parse(request_text(method, **kwargs).encode())  # type: ignore[arg-type]
    assert isinstance(message, Request)
    return message


def response_text(status: int, reason: str, method: str = "INVITE", branch: str = "z9hG4bKclient") -> str:
    return (
        f"SIP/2.0 {status} {reason}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n"
        "From: <sip:engine@127.0.0.1>;tag=e1\r\n"
        "To: <sip:agent@127.0.0.1>;tag=a1\r\n"
        "Call-ID: out-1@test\r\n"
        f"CSeq: 1 {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    )


def response(status: int, reason: str = "X", method: str = "INVITE", branch: str = "z9hG4bKclient") -> Response:
    message = parse(response_text(status, reason, method, branch).encode())
    assert isinstance(message, Response)
    return message


def outgoing(method: str) -> Request:
    text = (
        f"{method} sip:agent@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKclient\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:engine@127.0.0.1>;tag=e1\r\n"
        "To: <sip:agent@127.0.0.1>\r\n"
        "Call-ID: out-1@test\r\n"
        f"CSeq: 1 {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse(text.encode())
    assert isinstance(message, Request)
    return message
