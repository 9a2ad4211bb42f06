"""Real sockets on 127.0.0.1: UDP rport/received routing, TCP framing and answers on the same connection."""

from __future__ import annotations

import socket

from hotline.telephony.sip.message import Request, Response, parse, response_to
from hotline.telephony.sip.transaction import new_branch

from .conftest import Engine, options, udp_socket
from .helpers import request_text


def test_udp_with_rport_is_answered_at_the_source_port_with_received_and_rport(engine: Engine) -> None:
    answer = options(engine)
    via = answer.top_via
    assert answer.status == 200
    assert (via.params["received"], via.params["rport"].isdigit()) == ("127.0.0.1", True)


def test_udp_without_rport_is_answered_at_the_via_port(engine: Engine) -> None:
    with udp_socket() as sender, udp_socket() as listener:
        via_port = listener.getsockname()[1]
        text = request_text("OPTIONS").replace(
            "127.0.0.1:5070;branch=z9hG4bKabc;rport", f"127.0.0.1:{via_port};branch=z9hG4bKv"
        )
        sender.sendto(text.encode(), engine.listeners.udp_address)
        answer = parse(listener.recv(65536))
    assert isinstance(answer, Response)
    assert (answer.status, answer.top_via.params) == (200, {"branch": "z9hG4bKv"})


def tcp_connection(engine: Engine) -> socket.socket:
    sock = socket.create_connection(engine.listeners.tcp_address, timeout=10)  # generous: a loaded machine
    return sock


def read_responses(sock: socket.socket, count: int) -> list[Response]:
    data = b""
    while data.count(b"SIP/2.0 ") < count:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        data += chunk
    parts = [b"SIP/2.0 " + part for part in data.split(b"SIP/2.0 ") if part.strip()]
    answers = [parse(part) for part in parts if part[8:9].isdigit()]
    assert all(isinstance(answer, Response) for answer in answers)
    return answers  # type: ignore[return-value]


def test_tcp_frames_two_pipelined_messages_and_answers_on_the_same_connection(engine: Engine) -> None:
    first = request_text("OPTIONS", branch="z9hG4bKt1", transport="TCP")
    second = request_text("OPTIONS", branch="z9hG4bKt2", transport="TCP", cseq=2)
    with tcp_connection(engine) as sock:
        sock.sendall(("\r\n\r\n" + first + second).encode())
        answers = read_responses(sock, 2)
    assert [(a.status, a.top_via.branch) for a in answers] == [(200, "z9hG4bKt1"), (200, "z9hG4bKt2")]


def test_tcp_message_arriving_in_pieces_is_reassembled(engine: Engine) -> None:
    data = request_text("OPTIONS", body="hello", transport="TCP").encode()
    with tcp_connection(engine) as sock:
        for index in range(0, len(data), 7):
            sock.sendall(data[index : index + 7])
        answers = read_responses(sock, 1)
    assert answers[0].status == 200


def test_tcp_message_without_content_length_closes_the_connection_and_the_engine_lives(engine: Engine) -> None:
    data = request_text("OPTIONS", transport="TCP").replace("Content-Length: 0\r\n", "").encode()
    with tcp_connection(engine) as sock:
        sock.sendall(data)
        assert sock.recv(65536) == b""
    assert options(engine).status == 200


def test_malformed_tcp_request_is_answered_400_on_the_connection(engine: Engine) -> None:
    data = request_text("OPTIONS", transport="TCP").replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS").encode()
    with tcp_connection(engine) as sock:
        sock.sendall(data)
        answer = sock.recv(65536)
    assert answer.startswith(b"SIP/2.0 400 Bad CSeq\r\n")  # echoes the bad CSeq, so it is checked as text


def test_a_forged_received_parameter_is_replaced_by_the_observed_source(engine: Engine) -> None:
    with udp_socket() as sock:
        port = sock.getsockname()[1]
        text = request_text("OPTIONS").replace(
            "127.0.0.1:5070;branch=z9hG4bKabc;rport", f"127.0.0.1:{port};branch=z9hG4bKf;received=192.0.2.1"
        )
        sock.sendto(text.encode(), engine.listeners.udp_address)
        answer = parse(sock.recv(65536))
    assert isinstance(answer, Response)
    assert answer.top_via.params == {"branch": "z9hG4bKf"}


def test_client_invite_transaction_acks_a_486_from_a_real_peer(engine: Engine) -> None:
    finals: list[int] = []
    with udp_socket() as peer:
        peer_address = peer.getsockname()
        host, port = engine.listeners.udp_address
        branch = new_branch()
        invite = parse(
            request_text("INVITE", branch=branch, call_id="out@engine")
            .replace("127.0.0.1:5070", f"{host}:{port}")
            .replace(";rport", "")
            .encode()
        )
        assert isinstance(invite, Request)
        engine.call(
            lambda: engine.core.transactions.send_request(
                invite, engine.listeners.udp_channel(peer_address), lambda r: finals.append(r.status), lambda: None
            )
        )
        received = parse(peer.recv(65536))
        assert isinstance(received, Request)
        peer.sendto(response_to(received, 486, "Busy Here", to_tag="busy").serialise(), (host, port))
        ack = parse(peer.recv(65536))
        while isinstance(ack, Request) and ack.method == "INVITE":  # Timer A may fire first on a slow machine
            ack = parse(peer.recv(65536))
    assert isinstance(ack, Request)
    assert (ack.method, ack.top_via.branch, ack.cseq, ack.headers.get("To")) == (
        "ACK",
        branch,
        (1, "ACK"),
        "<sip:4008001000@127.0.0.1>;tag=busy",
    )
    assert engine.call(lambda: finals) == [486]
