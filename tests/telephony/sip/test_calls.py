"""Inbound and outbound calls on a fake clock and fake channels: admission, dialogs, 2xx until ACK, re-INVITE."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Coroutine
from typing import Any

import pytest

from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallManager, CallState, InboundCall, OutboundCall
from hotline.telephony.sip.clock import ManualScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import NameAddr, Request, Response, parse
from hotline.telephony.sip.registrar import Registrar, md5, password_lookup
from hotline.telephony.sip.trunks import Trunk, TrunkList

from .helpers import FakeChannel, request_text

SOURCE = ("127.0.0.1", 5070)
OFFER = (
    "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
)
CONTACT = "Contact: <sip:caller@127.0.0.1:5070>\r\n"


def run_now(coroutine: Coroutine[Any, Any, None]) -> object:
    """Run the application's coroutine up to its first real suspension (the tests' apps never suspend)."""
    with contextlib.suppress(StopIteration):
        coroutine.send(None)
    return None


class App:
    """A scripted application: `plan` is what to do with each call (answer, ring, nothing, reject)."""

    def __init__(self, plan: str = "answer") -> None:
        self.plan = plan
        self.calls: list[InboundCall] = []

    async def on_call(self, call: InboundCall) -> None:
        self.calls.append(call)
        if self.plan in ("answer", "ring"):
            call.ring()
        if self.plan == "answer":
            call.answer("127.0.0.1", 30000)
        elif self.plan == "reject":
            call.reject(486, "Busy Here")


class Harness:
    """A core and call manager on a fake clock; `wire` sees what goes back to the caller, `out` new requests."""

    def __init__(self, plan: str = "answer", **options: Any) -> None:
        self.clock = ManualScheduler()
        self.core = SipCore(self.clock)
        self.app = App(plan)
        self.wire = FakeChannel()
        self.out = FakeChannel()
        self.out_to: list[tuple[str, int]] = []
        options.setdefault("trunks", TrunkList([Trunk.of("carrier", ["127.0.0.1"])]))
        self.manager = CallManager(
            self.core, self.app, ("127.0.0.1", 5060), self._channel_for, spawn=run_now, **options
        )

    def _channel_for(self, address: tuple[str, int]) -> FakeChannel:
        self.out_to.append(address)
        return self.out

    def send(self, text: str, source: tuple[str, int] = SOURCE) -> None:
        self.core.receive(text.encode(), self.wire, source, "UDP")

    def responses(self, method: str = "INVITE") -> list[Response]:
        return [m for m in self.wire.messages() if isinstance(m, Response) and m.cseq[1] == method]

    def statuses(self, method: str = "INVITE") -> list[int]:
        return [m.status for m in self.responses(method)]

    def invite(self, body: str = OFFER, source: tuple[str, int] = SOURCE, extra: str = "") -> None:
        headers = CONTACT + "Content-Type: application/sdp\r\n" + extra
        self.send(request_text("INVITE", extra=headers, body=body), source)

    def to_tag(self) -> str:
        final = next(m for m in self.responses() if m.status >= 200)
        return NameAddr.parse(final.headers.get("To") or "").tag

    def in_dialog(self, method: str, cseq: int, branch: str, body: str = "") -> None:
        text = request_text(method, branch=branch, cseq=cseq, extra=CONTACT, body=body)
        text = text.replace("To: <sip:4008001000@127.0.0.1>", f"To: <sip:4008001000@127.0.0.1>;tag={self.to_tag()}")
        if body:
            text = text.replace("Content-Length", "Content-Type: application/sdp\r\nContent-Length")
        self.send(text)

    def sent(self) -> list[Request | Response]:
        return self.out.messages()


def test_an_answered_call_rings_answers_with_sdp_and_ends_on_bye() -> None:
    h = Harness()
    h.invite()
    assert h.statuses() == [100, 180, 200]
    ok = h.responses()[-1]
    assert ok.headers.get("Contact") == "<sip:hotline@127.0.0.1:5060>"
    answer = sdp.parse(ok.body)
    assert (answer.connection, answer.media[0].port, answer.media[0].formats) == ("127.0.0.1", 30000, ["8", "101"])
    call = h.app.calls[0]
    assert call.media is not None and (call.media.remote_address, call.media.remote_port) == ("127.0.0.1", 40000)
    assert (call.trunk.name, call.caller) == ("carrier", "sip:caller@127.0.0.1")
    h.in_dialog("ACK", 1, "z9hG4bKack")
    h.in_dialog("BYE", 2, "z9hG4bKbye")
    h.in_dialog("BYE", 2, "z9hG4bKbye")  # retransmitted: absorbed by its transaction, answered again
    assert h.statuses("BYE") == [200, 200]
    assert (call.state, call.end_reason, h.manager.active) == (CallState.ENDED, "remote bye", 0)
    h.clock.advance(64)
    assert h.statuses() == [100, 180, 200]  # the ACK stopped the 2xx retransmissions


def test_a_lost_ack_makes_the_2xx_retransmit_doubling_to_t2_then_bye_at_64_t1() -> None:
    h = Harness()
    h.invite()
    sent_at: list[float] = []
    for _ in range(64):
        h.clock.advance(0.5)
        sent_at += [h.clock.now()] * (len(h.responses()) - 3 - len(sent_at))
    assert sent_at == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    bye = h.sent()[0]
    assert isinstance(bye, Request) and bye.method == "BYE"
    assert bye.uri == "sip:caller@127.0.0.1:5070" and h.out_to[0] == ("127.0.0.1", 5070)
    assert h.app.calls[0].end_reason == "no ack"


def test_unknown_source_gets_403_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness()
    with caplog.at_level(logging.WARNING):
        h.invite(source=("127.0.0.2", 5070))
        h.send(
            request_text("INVITE", branch="z9hG4bKtwo").replace("127.0.0.1:5070", "127.0.0.2:5070"), ("127.0.0.2", 5070)
        )
    assert h.statuses() == [100, 403, 100, 403]
    assert h.app.calls == []
    assert len([r for r in caplog.records if "not a trunk" in r.getMessage()]) == 1


def test_overload_guard_answers_503_with_retry_after() -> None:
    h = Harness(admit=lambda request: False, retry_after=17)
    h.invite()
    final = h.responses()[-1]
    assert (final.status, final.headers.get("Retry-After"), h.app.calls) == (503, "17", [])


@pytest.mark.parametrize(
    ("body", "status"),
    [(OFFER.replace("8 0 101", "18 101"), 488), (OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 x"), 400), ("", 488)],
)
def test_unusable_offers_are_refused(body: str, status: int) -> None:
    h = Harness()
    h.invite(body=body)
    assert h.statuses() == [100, status] and h.app.calls == []


def test_trunk_with_digest_is_challenged() -> None:
    registrar = Registrar("trunks", password_lookup({"carrier": "pw"}, "trunks"), ManualScheduler())
    h = Harness(trunks=TrunkList([Trunk.of("carrier", ["127.0.0.0/8"], "carrier")]), authenticator=registrar)
    h.invite()
    final = h.responses()[-1]
    assert final.status == 401 and "Digest" in (final.headers.get("WWW-Authenticate") or "")


@pytest.mark.parametrize(("offered", "answered"), [("sendonly", "recvonly"), ("inactive", "inactive")])
def test_reinvite_hold_is_answered_with_the_mirrored_direction_then_resumed(offered: str, answered: str) -> None:
    h = Harness()
    h.invite()
    h.in_dialog("ACK", 1, "z9hG4bKack")
    changes: list[str] = []
    call = h.app.calls[0]
    call.on_media = lambda media: changes.append(media.direction)
    h.in_dialog("INVITE", 2, "z9hG4bKhold", body=OFFER + f"a={offered}\r\n")
    h.in_dialog("ACK", 2, "z9hG4bKack2")
    h.in_dialog("INVITE", 3, "z9hG4bKresume", body=OFFER)
    reinvites = [m for m in h.responses() if m.status == 200][1:]
    directions = [sdp.parse(m.body).media[0].direction for m in reinvites]
    assert directions == [answered, "sendrecv"] and changes == [answered, "sendrecv"]
    assert [sdp.parse(m.body).version for m in reinvites] == [1, 2]


def test_a_reinvite_while_one_is_unacknowledged_gets_491_and_a_stale_cseq_500() -> None:
    h = Harness()
    h.invite()
    h.in_dialog("INVITE", 2, "z9hG4bKhold", body=OFFER)  # the first 2xx is not ACKed yet
    h.in_dialog("ACK", 1, "z9hG4bKack")
    h.in_dialog("INVITE", 1, "z9hG4bKold", body=OFFER)
    assert [status for status in h.statuses() if status > 100] == [180, 200, 491, 500]


def test_cancel_before_answer_gets_200_and_the_invite_487() -> None:
    h = Harness(plan="ring")
    h.invite()
    h.send(request_text("CANCEL"))
    assert (h.statuses(), h.statuses("CANCEL")) == ([100, 180, 487], [200])
    assert (h.app.calls[0].end_reason, h.manager.active) == ("cancelled", 0)


def test_bye_for_an_unknown_dialog_gets_481() -> None:
    h = Harness()
    h.send(request_text("BYE").replace("To: <sip:4008001000@127.0.0.1>", "To: <sip:x@127.0.0.1>;tag=nope"))
    assert h.statuses("BYE") == [481]


def test_our_hangup_before_the_ack_waits_for_it_then_sends_bye() -> None:
    h = Harness()
    h.invite()
    call = h.app.calls[0]
    call.hangup()
    assert h.sent() == []
    h.in_dialog("ACK", 1, "z9hG4bKack")
    bye = h.sent()[0]
    assert isinstance(bye, Request) and bye.method == "BYE" and call.end_reason == "local bye"
    assert bye.headers.get("To") == "<sip:caller@127.0.0.1>;tag=from1"


# --- outbound ---------------------------------------------------------------------------------------------


def answer_to(invite: Request, status: int, reason: str, body: str = "", tag: str = "agent1") -> str:
    headers = "".join(f"Via: {via}\r\n" for via in invite.headers.get_all("Via"))
    return (
        f"SIP/2.0 {status} {reason}\r\n{headers}"
        f"From: {invite.headers.get('From')}\r\nTo: {invite.headers.get('To')};tag={tag}\r\n"
        f"Call-ID: {invite.call_id}\r\nCSeq: {invite.cseq[0]} INVITE\r\n"
        "Contact: <sip:agent@127.0.0.1:6000>\r\n"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body)}\r\n\r\n{body}"
    )


def dialled(h: Harness) -> tuple[OutboundCall, Request]:
    call = h.manager.dial("sip:agent@127.0.0.1:6000", ("127.0.0.1", 31000))
    invite = h.sent()[0]
    assert isinstance(invite, Request) and invite.method == "INVITE"
    return call, invite


def methods(h: Harness) -> list[str]:
    return [m.method for m in h.sent() if isinstance(m, Request)]


def test_dialling_follows_ringing_and_answer_acks_the_2xx_and_hangs_up_with_bye() -> None:
    h = Harness()
    call, invite = dialled(h)
    rings: list[int] = []
    call.on_ringing = rings.append
    assert sdp.parse(invite.body).media[0].port == 31000
    h.send(answer_to(invite, 180, "Ringing"))
    h.send(answer_to(invite, 200, "OK", OFFER))
    h.send(answer_to(invite, 200, "OK", OFFER))  # retransmitted 2xx: ACKed again
    assert methods(h) == ["INVITE", "ACK", "ACK"] and rings == [180]
    ack = h.sent()[1]
    assert isinstance(ack, Request) and ack.uri == "sip:agent@127.0.0.1:6000" and ack.cseq == (1, "ACK")
    assert call.state is CallState.ANSWERED and call.final_status == 200
    assert call.media is not None and (call.media.remote_port, call.media.codec.name) == (40000, "PCMA")
    call.hangup()
    bye = h.sent()[-1]
    assert isinstance(bye, Request) and (bye.method, bye.cseq) == ("BYE", (2, "BYE"))
    assert call.end_reason == "local bye"


def test_a_rejected_dial_is_acked_by_the_transaction() -> None:
    h = Harness()
    call, invite = dialled(h)
    h.send(answer_to(invite, 486, "Busy Here"))
    assert methods(h) == ["INVITE", "ACK"]
    assert (call.final_status, call.end_reason, h.manager.active) == (486, "rejected 486", 0)


def test_cancelling_a_ringing_dial_sends_cancel_and_ends_on_487() -> None:
    h = Harness()
    call, invite = dialled(h)
    call.cancel()
    assert methods(h) == ["INVITE"]  # no CANCEL before a provisional (§9.1)
    h.send(answer_to(invite, 180, "Ringing"))
    cancel = h.sent()[1]
    assert isinstance(cancel, Request) and cancel.method == "CANCEL"
    assert cancel.top_via.branch == invite.top_via.branch and cancel.cseq == (1, "CANCEL")
    h.send(answer_to(invite, 487, "Request Terminated"))
    assert (call.final_status, call.end_reason) == (487, "cancelled")


def test_a_bye_from_the_dialled_phone_ends_the_call() -> None:
    h = Harness()
    call, invite = dialled(h)
    h.send(answer_to(invite, 200, "OK", OFFER))
    bye = (
        "BYE sip:hotline@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKab\r\n"
        f"From: {invite.headers.get('To')};tag=agent1\r\nTo: {invite.headers.get('From')}\r\n"
        f"Call-ID: {invite.call_id}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
    )
    h.core.receive(bye.encode(), h.wire, ("127.0.0.1", 6000), "UDP")
    assert h.statuses("BYE") == [200] and call.end_reason == "remote bye"


def test_a_dial_nobody_answers_times_out_with_408() -> None:
    h = Harness()
    call, _ = dialled(h)
    h.clock.advance(40)
    assert (call.final_status, call.end_reason) == (408, "timeout")


def test_parse_of_what_we_send_is_valid() -> None:
    h = Harness()
    _, invite = dialled(h)
    assert isinstance(parse(invite.serialise()), Request)


def test_a_reinvite_without_sdp_gets_our_offer_and_the_ack_carries_the_answer() -> None:
    h = Harness()
    h.invite()
    h.in_dialog("ACK", 1, "z9hG4bKack")
    call = h.app.calls[0]
    h.in_dialog("INVITE", 2, "z9hG4bKrefresh")
    offer = sdp.parse(h.responses()[-1].body)
    assert offer.media[0].formats == ["8", "0", "101"] and offer.media[0].port == 30000
    h.in_dialog("ACK", 2, "z9hG4bKack2", body=OFFER.replace("40000", "41000") + "a=recvonly\r\n")
    assert call.media is not None and (call.media.remote_port, call.media.direction) == (41000, "sendonly")


def from_agent(invite: Request, method: str, cseq: int, branch: str, body: str = "") -> str:
    return (
        f"{method} sip:hotline@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch={branch}\r\n"
        f"From: {invite.headers.get('To')};tag=agent1\r\nTo: {invite.headers.get('From')}\r\n"
        f"Call-ID: {invite.call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:agent@127.0.0.1:6001>\r\n"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body)}\r\n\r\n{body}"
    )


def test_a_dialled_phone_putting_us_on_hold_is_answered_recvonly_and_its_contact_becomes_the_target() -> None:
    h = Harness()
    call, invite = dialled(h)
    h.send(answer_to(invite, 200, "OK", OFFER))
    h.core.receive(
        from_agent(invite, "INVITE", 5, "z9hG4bKh", OFFER + "a=sendonly\r\n").encode(),
        h.wire,
        ("127.0.0.1", 6000),
        "UDP",
    )
    assert sdp.parse(h.responses()[-1].body).media[0].direction == "recvonly"
    assert call.media is not None and call.media.on_hold
    h.core.receive(from_agent(invite, "ACK", 5, "z9hG4bKa").encode(), h.wire, ("127.0.0.1", 6000), "UDP")
    call.hangup()
    bye = h.sent()[-1]
    assert isinstance(bye, Request) and bye.uri == "sip:agent@127.0.0.1:6001" and h.out_to[-1] == ("127.0.0.1", 6001)


def test_a_trunk_with_digest_is_admitted_with_the_right_credentials() -> None:
    registrar = Registrar("trunks", password_lookup({"carrier": "pw"}, "trunks"), ManualScheduler())
    h = Harness(trunks=TrunkList([Trunk.of("carrier", ["127.0.0.0/8"], "carrier")]), authenticator=registrar)
    h.invite()
    header = h.responses()[-1].headers.get("WWW-Authenticate") or ""
    nonce = header.split('nonce="')[1].split('"')[0]
    uri = "sip:4008001000@127.0.0.1"
    ha1 = md5("carrier:trunks:pw")
    response = md5(f"{ha1}:{nonce}:00000001:c0ffee:auth:{md5('INVITE:' + uri)}")
    auth = (
        f'Authorization: Digest username="carrier", realm="trunks", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"\r\n'
    )
    h.send(
        request_text(
            "INVITE",
            branch="z9hG4bKauth",
            cseq=2,
            extra=CONTACT + "Content-Type: application/sdp\r\n" + auth,
            body=OFFER,
        )
    )
    assert h.statuses()[-1] == 200 and len(h.app.calls) == 1


def test_a_ring_timeout_cancels_an_unanswered_dial() -> None:
    h = Harness()
    call = h.manager.dial("sip:agent@127.0.0.1:6000", ("127.0.0.1", 31000), ring_timeout=15)
    invite = h.sent()[0]
    assert isinstance(invite, Request)
    h.send(answer_to(invite, 180, "Ringing"))
    h.clock.advance(14.9)
    assert methods(h) == ["INVITE"]
    h.clock.advance(0.2)
    assert methods(h) == ["INVITE", "CANCEL"]
    h.send(answer_to(invite, 487, "Request Terminated"))
    assert (call.final_status, call.end_reason) == (487, "cancelled")


def fresh_call(h: Harness, call_id: str) -> str:
    """Start a clean call and return its dialog's local tag."""
    channel = FakeChannel()
    invite = request_text("INVITE", extra=CONTACT + "Content-Type: application/sdp\r\n", body=OFFER, call_id=call_id)
    h.core.receive(invite.replace("z9hG4bKabc", f"z9hG4bK{call_id}").encode(), channel, SOURCE, "UDP")
    final = [m for m in channel.messages() if isinstance(m, Response) and m.status == 200][-1]
    return NameAddr.parse(final.headers.get("To") or "").tag


def fuzz_seeds(call_id: str, tag: str) -> list[str]:
    sdp_type = CONTACT + "Content-Type: application/sdp\r\n"
    seeds = [
        request_text("INVITE", extra=sdp_type, body=OFFER, call_id=call_id + "new"),
        request_text("INVITE", cseq=5, extra=sdp_type, body=OFFER + "a=sendonly\r\n", call_id=call_id),
        request_text("INVITE", cseq=6, extra=CONTACT, call_id=call_id),
        request_text("ACK", cseq=5, body=OFFER, call_id=call_id),
        request_text("BYE", cseq=9, call_id=call_id),
        request_text("CANCEL", call_id=call_id),
    ]
    to = "To: <sip:4008001000@127.0.0.1>"
    return [seed if "new" in seed else seed.replace(to, f"{to};tag={tag}") for seed in seeds]


def test_fuzzed_call_signalling_is_answered_or_dropped_without_errors(caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(3261)
    h = Harness()
    with caplog.at_level(logging.WARNING):
        for index in range(3000):
            if index % 50 == 0:
                call_id = f"fuzz-{index}"
                seeds = fuzz_seeds(call_id, fresh_call(h, call_id))
            data = bytearray(rng.choice(seeds).replace("z9hG4bKabc", f"z9hG4bK{index}").encode())
            for _ in range(rng.randint(0, 6)):
                data[rng.randrange(len(data))] = rng.choice(b" ;:=<>\r\n0123456789abc\xff")
            h.core.receive(bytes(data), h.wire, SOURCE, "UDP")
            h.clock.advance(0.05)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert {data[8:11] for data in h.wire.sent} >= {b"200", b"400", b"481", b"491", b"500"}
