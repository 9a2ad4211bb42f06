"""RFC 4475-style torture messages and fuzzed datagrams over real UDP: answered 400 (or 483/505/416), or
dropped, and afterwards the engine still answers OPTIONS. No exception reaches the log."""

from __future__ import annotations

import logging
import random
import socket

import pytest

from hotline.telephony.sip.transaction import ServerTransaction

from .conftest import Engine, udp_socket
from .helpers import request_text

HEAD = (
    "{method} sip:4008001000@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{branch};rport\r\n"
    "Max-Forwards: 70\r\n"
    'From: "Torture" <sip:t@127.0.0.1>;tag=t1\r\n'
    "To: <sip:4008001000@127.0.0.1>\r\n"
    "Call-ID: {branch}@torture\r\n"
    "CSeq: 1 {method}\r\n"
)


def torture(branch: str, method: str = "OPTIONS", replace: tuple[str, str] = ("", ""), tail: str = "") -> str:
    text = HEAD.format(method=method, branch=branch, port="{port}") + tail
    return text.replace(*replace) if replace[0] else text


# (name, template with {port}, expected status or None for "dropped without an answer")
CASES: list[tuple[str, str, int | None]] = [
    ("whitespace and folding are valid",
     "OPTIONS   sip:4008001000@127.0.0.1 SIP/2.0\r\n".replace("   ", " ")
     + "vIa:  SIP/2.0/UDP 127.0.0.1:{port} ;branch = z9hG4bKws ;rport\r\n"
     "Max-Forwards:\t70\r\nf: <sip:t@127.0.0.1>\r\n ;tag=t1\r\nt: <sip:4008001000@127.0.0.1>\r\n"
     "i: ws@torture\r\nCSeq:  1   OPTIONS\r\nX-Unknown-Header: ;;,,;\r\nl: 0\r\n\r\n", 200),
    ("unknown method is not implemented", torture("unk", "NEWMETHOD", tail="Content-Length: 0\r\n\r\n"), 501),
    ("content length larger than the body", torture("clerr", tail="Content-Length: 9999\r\n\r\nv=0\r\n"), 400),
    ("negative content length", torture("ncl", tail="Content-Length: -999\r\n\r\n"), 400),
    ("overlarge CSeq", torture("scalar", replace=("CSeq: 1 OPTIONS", "CSeq: 36893488147419103232 OPTIONS"),
                               tail="Content-Length: 0\r\n\r\n"), 400),
    ("overlarge Max-Forwards", torture("mf", replace=("Max-Forwards: 70", "Max-Forwards: 300"),
                                       tail="Content-Length: 0\r\n\r\n"), 400),
    ("unknown protocol version", torture("vers", replace=("SIP/2.0\r\nVia", "SIP/7.0\r\nVia"),
                                         tail="Content-Length: 0\r\n\r\n"), 505),
    ("CSeq method mismatch", torture("mism", replace=("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"),
                                     tail="Content-Length: 0\r\n\r\n"), 400),
    ("unknown URI scheme", torture("scheme", replace=("OPTIONS sip:", "OPTIONS nobody:"),
                                   tail="Content-Length: 0\r\n\r\n"), 416),
    ("duplicate To", torture("dup", tail="To: <sip:other@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"), 400),
    ("Max-Forwards zero on INVITE", torture("hops", "INVITE", replace=("Max-Forwards: 70", "Max-Forwards: 0"),
                                            tail="Content-Length: 0\r\n\r\n"), 483),
    ("a header of 60 KB", torture("big", tail=f"X-Big: {'a' * 60000}\r\nContent-Length: 0\r\n\r\n"), 400),
    ("LWS inside the Request-URI", torture("lws", replace=("sip:4008001000@127.0.0.1 SIP", "sip:4008 ;lr SIP"),
                                           tail="Content-Length: 0\r\n\r\n"), None),
    ("missing Call-ID", torture("nocid", replace=("Call-ID: nocid@torture\r\n", ""),
                                tail="Content-Length: 0\r\n\r\n"), None),
    ("unbalanced quote in a display name", torture("quot", replace=('"Torture"', '"Torture'),
                                                   tail="Content-Length: 0\r\n\r\n"), None),
    ("Via with an impossible port", torture("port", replace=("127.0.0.1:{port}", "127.0.0.1:99999"),
                                            tail="Content-Length: 0\r\n\r\n"), None),
    ("three hundred headers", torture("many", tail="X-A: b\r\n" * 300 + "Content-Length: 0\r\n\r\n"), 400),
    ("no blank line after the headers", torture("noend", tail="Content-Length: 0\r\n"), None),
    ("a NUL byte in a header", torture("nul", tail="X-N: a\0b\r\nContent-Length: 0\r\n\r\n"), None),
    ("an ACK that is malformed", torture("ack", "ACK", replace=("CSeq: 1 ACK", "CSeq: x ACK"),
                                         tail="Content-Length: 0\r\n\r\n"), None),
    ("a response with a broken status line", "SIP/2.0 2000 OK\r\n" + torture("resp").split("\r\n", 1)[1]
     + "Content-Length: 0\r\n\r\n", None),
]  # fmt: skip


def exchange(engine: Engine, sock: socket.socket, payloads: list[bytes], probe_branch: str) -> list[bytes]:
    """Send payloads then an OPTIONS probe; return the replies that came before the probe's 200."""
    port = sock.getsockname()[1]
    for payload in payloads:
        sock.sendto(payload, engine.listeners.udp_address)
    probe = request_text("OPTIONS", branch=f"z9hG4bK{probe_branch}", call_id=f"{probe_branch}@probe")
    probe_bytes = probe.replace("127.0.0.1:5070", f"127.0.0.1:{port}").encode()
    replies: list[bytes] = []
    for _ in range(5):  # UDP may drop the probe on a loaded machine; its retransmission is absorbed and re-answered
        sock.sendto(probe_bytes, engine.listeners.udp_address)
        try:
            while True:
                reply = sock.recv(65536)
                if f"Call-ID: {probe_branch}@probe".encode() in reply:
                    assert reply.startswith(b"SIP/2.0 200 OK\r\n")
                    return replies
                replies.append(reply)
        except TimeoutError:
            continue
    raise AssertionError("the engine no longer answers OPTIONS")


@pytest.mark.parametrize(("name", "template", "expected"), CASES, ids=[case[0] for case in CASES])
def test_torture_message_is_answered_or_dropped_and_options_still_works(
    engine: Engine, caplog: pytest.LogCaptureFixture, name: str, template: str, expected: int | None
) -> None:
    with udp_socket() as sock, caplog.at_level(logging.WARNING):
        message = template.replace("{port}", str(sock.getsockname()[1])).encode()
        replies = exchange(engine, sock, [message], "after")
    assert [int(reply[8:11]) for reply in replies] == ([expected] if expected else [])
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def mutate(rng: random.Random, seed_message: bytes) -> bytes:
    """One fuzzed datagram: byte flips, truncation, CR/LF and colon insertion, duplication or pure noise."""
    data = bytearray(seed_message)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 1:
        del data[rng.randrange(len(data)) :]
    elif kind == 2:
        for _ in range(rng.randint(1, 10)):
            data.insert(rng.randrange(len(data)), rng.choice(b'\r\n:;<>",= \t\0'))
    elif kind == 3:
        line_start = rng.randrange(len(data))
        data[line_start:line_start] = data[line_start : line_start + rng.randint(1, 200)] * rng.randint(1, 20)
    elif kind == 4:
        data = bytearray(rng.randbytes(rng.randint(1, 1500)))
    else:
        data[rng.randrange(len(data)) :] = rng.randbytes(rng.randint(0, 300))
    return bytes(data[:60000])


def test_fuzzed_datagrams_never_stop_the_engine(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(4475)
    seeds = [request_text(method, branch=f"z9hG4bKfz{method}").encode() for method in ("INVITE", "OPTIONS", "BYE")]
    seeds.append(b"SIP/2.0 180 Ringing\r\n" + seeds[0].split(b"\r\n", 1)[1])
    with udp_socket() as sock, caplog.at_level(logging.WARNING):
        for batch in range(10):  # batches keep the socket buffers from overflowing, so the probe is never lost
            payloads = [mutate(rng, rng.choice(seeds)) for _ in range(50)]
            exchange(engine, sock, payloads, f"batch{batch}")
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_a_retransmitted_invite_over_udp_starts_one_call(engine: Engine) -> None:
    calls: list[ServerTransaction] = []
    engine.call(lambda: engine.core.handlers.__setitem__("INVITE", calls.append))
    with udp_socket() as sock:
        port = sock.getsockname()[1]
        invite = request_text("INVITE", branch="z9hG4bKonce").replace("127.0.0.1:5070", f"127.0.0.1:{port}")
        replies = exchange(engine, sock, [invite.encode()] * 3, "once")
    assert [reply[:20] for reply in replies] == [b"SIP/2.0 100 Trying\r\n"] * 3
    assert engine.call(lambda: len(calls)) == 1
