"""RFC 4475-style torture and fuzzing against a whole running Engine (trunks, calls, registrar), over UDP and
TCP, then a SIPp OPTIONS on both transports and a normal call: the engine answers what it can, drops the
rest, never logs an error, starts no call, and keeps serving.

tests/telephony/sip/test_robustness.py covers the parser's answers at the SIP core (mostly OPTIONS over
UDP). Here the torture goes through what the engine adds: INVITEs from a trunk with broken SDP or framing
(answered 100 then 400/488 by the call manager), in-dialog requests for dialogs that do not exist (481),
REGISTER to the registrar, and TCP framing (pipelining, split writes, missing or huge Content-Length).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import Arrive, CallStep
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route
from hotline.telephony.sip.message import ParseError, Response, parse

from ..sip.test_robustness import mutate
from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until
from .test_sipp import succeeded

OPTIONS_SCENARIO = Path(__file__).parents[1] / "sip" / "scenarios" / "options.xml"
REPLY_WAIT = 10.0  # generous: a loaded machine may answer late, never this late
SDP = (
    "v=0\r\no=torture 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def message(tag: str, method: str = "INVITE", replace: tuple[str, str] = ("", ""), headers: str = "",
            body: str = "", length: str | None = None) -> str:
    """A request from the trunk with `tag` as branch, From tag and Call-ID; {transport} and {port} are filled
    in when sent. `length` None: the body's true length; "": no Content-Length header at all."""
    content_length = str(len(body.encode())) if length is None else length
    text = (
        f"{method} sip:{DNIS}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/{{transport}} 127.0.0.1:{{port}};branch=z9hG4bK{tag};rport\r\n"
        "Max-Forwards: 70\r\n"
        f'From: "Torture" <sip:13900139000@127.0.0.1>;tag={tag}\r\n'
        f"To: <sip:{DNIS}@127.0.0.1>\r\n"
        f"Call-ID: {tag}@torture\r\n"
        f"CSeq: 1 {method}\r\n"
        "Contact: <sip:13900139000@127.0.0.1:{port}>\r\n"
        + headers
        + (f"Content-Length: {content_length}\r\n" if content_length else "")
        + "\r\n" + body
    )
    return text.replace(*replace) if replace[0] else text


def sdp_invite(tag: str, body: str, content_type: str = "application/sdp", length: str | None = None) -> str:
    return message(tag, headers=f"Content-Type: {content_type}\r\n", body=body, length=length)


# (name, message with {transport} and {port}, the statuses expected for its Call-ID, in order; [] = dropped)
UDP_CASES: list[tuple[str, str, list[int]]] = [
    ("INVITE whose SDP is garbage", sdp_invite("garbage", "this is not SDP\r\n"), [100, 400]),
    ("INVITE whose SDP has a port that is not a number",
     sdp_invite("sdpport", SDP.replace("m=audio 40000", "m=audio forty")), [100, 400]),
    ("INVITE cut short by its Content-Length", sdp_invite("short", SDP, length="12"), [100, 400]),
    ("INVITE offering only G.729", sdp_invite("g729", SDP.replace("RTP/AVP 8 101", "RTP/AVP 18")
                                              .replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:18 G729/8000")), [100, 488]),
    ("INVITE offering only video", sdp_invite("video", SDP.replace("m=audio", "m=video")), [100, 488]),
    ("INVITE with an SDP body of another content type", sdp_invite("ctype", SDP, "text/plain"), [100, 488]),
    ("INVITE without a body", message("nobody"), [100, 488]),
    ("INVITE with a Content-Length beyond its body", sdp_invite("long", SDP, length="9999"), [400]),
    ("INVITE with a negative Content-Length", sdp_invite("neglen", SDP, length="-12"), [400]),
    ("INVITE with a negative CSeq", sdp_invite("negcseq", SDP).replace("CSeq: 1 INVITE", "CSeq: -1 INVITE"),
     [400]),
    ("INVITE in SIP/3.0", sdp_invite("version", SDP).replace("127.0.0.1 SIP/2.0", "127.0.0.1 SIP/3.0"), [505]),
    ("INVITE to an im: URI", sdp_invite("scheme", SDP).replace(f"INVITE sip:{DNIS}", f"INVITE im:{DNIS}"), [416]),
    ("INVITE with Max-Forwards 0", sdp_invite("hops", SDP).replace("Max-Forwards: 70", "Max-Forwards: 0"), [483]),
    ("INVITE with a 9000-byte header", message("huge", headers=f"Subject: {'x' * 9000}\r\n", body=SDP), [400]),
    ("INVITE with an unterminated quote in From", sdp_invite("quote", SDP).replace('"Torture"', '"Torture'), []),
    ("INVITE without To", sdp_invite("noto", SDP).replace(f"To: <sip:{DNIS}@127.0.0.1>\r\n", ""), []),
    ("INVITE with a garbage Via", sdp_invite("badvia", SDP).replace("Via: SIP/2.0/{transport}", "Via: garbage"), []),
    ("re-INVITE in a dialog that does not exist",
     sdp_invite("reinv", SDP).replace(f"To: <sip:{DNIS}@127.0.0.1>", f"To: <sip:{DNIS}@127.0.0.1>;tag=nope"),
     [100, 481]),
    ("BYE outside any dialog", message("bye", "BYE").replace("127.0.0.1>\r\nCall", "127.0.0.1>;tag=x\r\nCall"),
     [481]),
    ("CANCEL of no INVITE", message("cancel", "CANCEL"), [481]),
    ("ACK of nothing", message("ack", "ACK"), []),
    ("REGISTER with an unterminated quote in its credentials",
     message("regauth", "REGISTER", headers='Authorization: Digest username="8001, realm="hotline\r\n'), [401]),
    ("REGISTER with a negative Expires", message("regexp", "REGISTER", headers="Expires: -1\r\n"), [400]),
    ("a stray 200 for no transaction", "SIP/2.0 200 OK\r\n" + message("stray", "OPTIONS").split("\r\n", 1)[1], []),
    ("binary garbage", "\x00\xff\xfe{port}\r\n\r\n" * 40, []),
]  # fmt: skip


@dataclass
class Inbox(asyncio.DatagramProtocol):
    """A UDP client socket: collects the engine's replies by Call-ID and ACKs final INVITE failures, as a UA
    must (RFC 3261 §17.1.1.3), so that no retransmission blurs the next case."""

    replies: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            response = parse(data)
        except ParseError:  # a stateless 400 copies the request's bad CSeq or duplicated headers, as they came
            self.replies[raw_call_id(data)].append(int(data[8:11]))
            self.arrived.set()
            return
        assert isinstance(response, Response)
        call_id = response.headers.get("Call-ID") or ""
        self.replies[call_id].append(response.status)
        cseq = response.headers.get("CSeq") or ""
        if cseq.endswith("INVITE") and response.status >= 300 and self.transport is not None:
            self.transport.sendto(ack_for(response), addr)
        self.arrived.set()

    async def probe(self, engine_address: tuple[str, int], name: str) -> None:
        """OPTIONS until answered 200: everything sent before it has been handled (UDP is handled in order)."""
        assert self.transport is not None
        port = self.transport.get_extra_info("sockname")[1]
        probe = message(name, "OPTIONS").replace("{transport}", "UDP").replace("{port}", str(port)).encode()
        for _ in range(5):
            self.transport.sendto(probe, engine_address)
            deadline = asyncio.get_running_loop().time() + REPLY_WAIT
            while asyncio.get_running_loop().time() < deadline:
                if 200 in self.replies.get(f"{name}@torture", []):
                    return
                self.arrived.clear()
                await asyncio.wait([asyncio.ensure_future(self.arrived.wait())], timeout=0.05)
        raise AssertionError(f"the engine no longer answers OPTIONS ({name})")


def raw_call_id(data: bytes) -> str:
    """The first Call-ID of a message our parser refuses."""
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"call-id:"):
            return line[8:].strip().decode(errors="replace")
    return ""


def ack_for(response: Response) -> bytes:
    """The ACK of a final non-2xx INVITE response: same Via branch, From, Call-ID, and the To with its tag."""
    via = (response.headers.get("Via") or "").split(";received=")[0]
    lines = [f"ACK sip:{DNIS}@127.0.0.1 SIP/2.0", f"Via: {via}", "Max-Forwards: 70",
             f"From: {response.headers.get('From')}", f"To: {response.headers.get('To')}",
             f"Call-ID: {response.headers.get('Call-ID')}", "CSeq: 1 ACK", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def torture_over_udp(engine: Engine) -> dict[str, list[int]]:
    """Each case, then an OPTIONS probe; returns the statuses each case's Call-ID got."""
    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(Inbox, local_addr=("127.0.0.1", 0))
    port = str(transport.get_extra_info("sockname")[1])
    try:
        for index, (_, text, _) in enumerate(UDP_CASES):
            transport.sendto(text.replace("{transport}", "UDP").replace("{port}", port).encode(), engine.sip_address)
            await inbox.probe(engine.sip_address, f"probe{index}")
        await asyncio.sleep(0.6)  # past Timer G's first retransmission: an unacknowledged failure would repeat
        return {name: inbox.replies.get(f"{text_tag(text)}@torture", []) for name, text, _ in UDP_CASES}
    finally:
        transport.close()


def text_tag(text: str) -> str:
    """The tag a case was built with (its Call-ID's user part), or "" for the ones without a Call-ID."""
    for line in text.split("\r\n"):
        if line.startswith("Call-ID: "):
            return line[len("Call-ID: ") :].split("@")[0]
    return ""


async def fuzz_over_udp(engine: Engine, rng: random.Random) -> None:
    """300 mutated datagrams in batches, each batch followed by an OPTIONS probe that must be answered."""
    seeds = [text.replace("{transport}", "UDP").replace("{port}", "5999").encode()
             for _, text, _ in UDP_CASES[:3] + UDP_CASES[-6:-2]]
    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(Inbox, local_addr=("127.0.0.1", 0))
    try:
        for batch in range(6):
            for _ in range(50):
                transport.sendto(mutate(rng, rng.choice(seeds)), engine.sip_address)
            await inbox.probe(engine.sip_address, f"fuzz{batch}")
    finally:
        transport.close()


# -- TCP -------------------------------------------------------------------------------------------------------


async def tcp_exchange(engine: Engine, chunks: list[bytes], probe: bool) -> tuple[list[int], bool]:
    """Send `chunks` on a new connection (a pause between them), then an OPTIONS probe when `probe`; read the
    statuses until the probe's 200, or until the engine closes the connection. Returns (statuses, closed)."""
    host, port = engine.listeners.tcp_address
    reader, writer = await asyncio.open_connection(host, port)
    local = str(writer.get_extra_info("sockname")[1])
    try:
        for chunk in chunks:
            writer.write(chunk.replace(b"{transport}", b"TCP").replace(b"{port}", local.encode()))
            await writer.drain()
            await asyncio.sleep(0.05)
        if probe:
            writer.write(message("tcpprobe", "OPTIONS").replace("{transport}", "TCP").replace("{port}", local).encode())
        return await asyncio.wait_for(tcp_statuses(reader), REPLY_WAIT)
    finally:
        writer.close()


async def tcp_statuses(reader: asyncio.StreamReader) -> tuple[list[int], bool]:
    statuses: list[int] = []
    while True:
        head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
        if not head:
            return statuses, True
        response = parse(head + await reader.readexactly(content_length(head)))
        assert isinstance(response, Response)
        if response.headers.get("Call-ID") == "tcpprobe@torture":
            return statuses, False
        statuses.append(response.status)


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            return int(value)
    return 0


TCP_CASES: list[tuple[str, list[bytes], bool, tuple[list[int], bool]]] = [
    ("pipelined: bad version, broken SDP, then the probe",
     [(message("pv", "OPTIONS").replace("SIP/2.0\r\nVia", "SIP/2.5\r\nVia")
       + sdp_invite("psdp", "not SDP either\r\n")).encode()], True, ([505, 100, 400], False)),
    ("one request written in three pieces", [part.encode() for part in
     (message("split", "OPTIONS")[:20], message("split", "OPTIONS")[20:90], message("split", "OPTIONS")[90:])],
     True, ([200], False)),
    ("keep-alive CRLFs before a request", [b"\r\n\r\n\r\n" + message("crlf", "OPTIONS").encode()], True,
     ([200], False)),
    ("no Content-Length on a stream", [message("nolen", "OPTIONS", length="").encode()], True, ([], True)),
    ("negative Content-Length on a stream", [message("neg", "OPTIONS", length="-5").encode()], True, ([], True)),
    ("Content-Length over the message limit", [message("big", "OPTIONS", length="70000").encode()], False,
     ([], True)),
    ("70 KB of headers that never end", [b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n" + b"X-Long: y\r\n" * 7000], False,
     ([], True)),
]  # fmt: skip


async def fuzz_over_tcp(engine: Engine, rng: random.Random) -> None:
    """20 connections, each writing a few mutated messages and closing."""
    host, port = engine.listeners.tcp_address
    seeds = [text.replace("{transport}", "TCP").replace("{port}", "5999").encode() for _, text, _ in UDP_CASES[:6]]
    for _ in range(20):
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(rng.randint(1, 4)):
            writer.write(mutate(rng, rng.choice(seeds)))
        await writer.drain()
        writer.close()
        await writer.wait_closed()


# -- afterwards ----------------------------------------------------------------------------------------------


async def sipp_options(engine: Engine, tmp_path: Path, transport: str) -> None:
    host, port = engine.sip_address if transport == "u1" else engine.listeners.tcp_address  # port 0: two ports
    process = await asyncio.create_subprocess_exec(
        "sipp", f"{host}:{port}", "-sf", str(OPTIONS_SCENARIO), "-m", "1", "-i", "127.0.0.1", "-t", transport,
        "-nostdin", "-timeout", "20s", "-timeout_error", "-s", "hotline", cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await succeeded(process)


async def a_normal_call(engine: Engine, call_log: MemoryCallLog, caller: Phone, agent: Phone) -> None:
    call = await call_in(engine, caller)
    await until(lambda: CallStep.ANSWER in call_log.kinds(call.invite.call_id), what="the agent's answer")
    await until(lambda: min(caller.rtp.by_mark[AGENT_MARK], agent.rtp.by_mark[CALLER_MARK]) >= 25,
                what="0.5 s of talk each way")
    call.hangup()
    await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
    assert call_log.kinds(call.invite.call_id) == [
        CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP,
        CallStep.WRAPUP_END]
    assert caller.rtp.by_mark[AGENT_MARK] >= 25 and agent.rtp.by_mark[CALLER_MARK] >= 25


def test_torture_and_fuzz_over_udp_and_tcp_leave_the_engine_answering_and_taking_calls(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    udp: dict[str, list[int]] = {}
    tcp: dict[str, tuple[list[int], bool]] = {}

    async def scenario() -> None:
        caller, agent = await Phone("13800138000", CALLER_MARK).start(), await Phone("8001", AGENT_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                udp.update(await torture_over_udp(engine))
                for name, chunks, probe, _ in TCP_CASES:
                    tcp[name] = await tcp_exchange(engine, chunks, probe)
                rng = random.Random(4475)
                await fuzz_over_udp(engine, rng)
                await fuzz_over_tcp(engine, rng)
                assert engine.sessions == {} and call_log.events == []  # no torture became a call
                await sipp_options(engine, tmp_path, "u1")
                await sipp_options(engine, tmp_path, "t1")
                await a_normal_call(engine, call_log, caller, agent)
                assert len(events_of(call_log, Arrive)) == 1  # the normal call, and nothing else, arrived
        finally:
            await caller.close()
            await agent.close()

    with caplog.at_level(logging.WARNING):
        run(scenario)
    assert udp == {name: expected for name, _, expected in UDP_CASES}
    assert tcp == {name: expected for name, _, _, expected in TCP_CASES}
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
