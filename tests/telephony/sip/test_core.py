"""The UAS core on a fake clock and a fake channel: dispatch, 405/501, CANCEL, retransmissions, errors."""

from __future__ import annotations

import logging

import pytest

from hotline.telephony.sip.clock import ManualScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import Response
from hotline.telephony.sip.transaction import ServerTransaction

from .helpers import FakeChannel, request_text

SOURCE = ("127.0.0.1", 5070)


def statuses(channel: FakeChannel) -> list[int]:
    return [m.status for m in channel.messages() if isinstance(m, Response)]


def core_with(**handlers: object) -> tuple[SipCore, FakeChannel]:
    core = SipCore(ManualScheduler(), handlers=dict(handlers))  # type: ignore[arg-type]
    return core, FakeChannel()


def test_options_is_answered_200_with_allow() -> None:
    core, channel = core_with()
    core.receive(request_text("OPTIONS").encode(), channel, SOURCE, "UDP")
    answer = channel.messages()[0]
    assert isinstance(answer, Response)
    assert (answer.status, answer.headers.get("Allow")) == (200, "ACK, CANCEL, OPTIONS")
    assert answer.headers.get("Via") == "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport=5070;received=127.0.0.1"


@pytest.mark.parametrize(("method", "status"), [("SUBSCRIBE", 405), ("INVITE", 405), ("FOOBAR", 501)])
def test_known_but_unhandled_methods_get_405_and_unknown_ones_501(method: str, status: int) -> None:
    core, channel = core_with()
    core.receive(request_text(method).encode(), channel, SOURCE, "UDP")
    final = channel.messages()[-1]
    assert isinstance(final, Response)
    assert (final.status, final.headers.get("Allow")) == (status, "ACK, CANCEL, OPTIONS")


def test_a_retransmitted_invite_reaches_the_handler_once() -> None:
    calls: list[ServerTransaction] = []
    core, channel = core_with(INVITE=calls.append)
    for _ in range(3):
        core.receive(request_text("INVITE").encode(), channel, SOURCE, "UDP")
    assert (len(calls), statuses(channel)) == (1, [100, 100, 100])


def test_cancel_is_answered_200_and_the_invite_487_with_one_to_tag() -> None:
    core, channel = core_with(INVITE=lambda transaction: None)
    core.receive(request_text("INVITE").encode(), channel, SOURCE, "UDP")
    core.receive(request_text("CANCEL").encode(), channel, SOURCE, "UDP")
    answers = [m for m in channel.messages() if isinstance(m, Response)]
    assert [(m.status, m.cseq[1]) for m in answers] == [(100, "INVITE"), (200, "CANCEL"), (487, "INVITE")]
    invite_tags = {m.headers.get("To") for m in answers if m.cseq[1] == "INVITE" and m.status > 100}
    assert len(invite_tags) == 1


def test_cancel_for_no_transaction_is_481() -> None:
    core, channel = core_with()
    core.receive(request_text("CANCEL").encode(), channel, SOURCE, "UDP")
    assert statuses(channel) == [481]


def test_a_handler_that_raises_still_answers_500() -> None:
    def broken(transaction: ServerTransaction) -> None:
        raise RuntimeError("bug")

    core, channel = core_with(INFO=broken)
    core.receive(request_text("INFO").encode(), channel, SOURCE, "UDP")
    assert statuses(channel) == [500]


def test_malformed_answerable_request_gets_400_with_reason_and_nothing_is_dispatched() -> None:
    calls: list[ServerTransaction] = []
    core, channel = core_with(INVITE=calls.append)
    core.receive(request_text("INVITE").replace("CSeq: 1 INVITE", "CSeq: 1 BYE").encode(), channel, SOURCE, "UDP")
    answer = channel.messages()[0]
    assert isinstance(answer, Response)
    assert (answer.status, answer.reason, calls) == (400, "CSeq Method Mismatch", [])


def test_max_forwards_zero_gets_483() -> None:
    core, channel = core_with()
    core.receive(request_text("INVITE").replace("Max-Forwards: 70", "Max-Forwards: 0").encode(), channel, SOURCE, "UDP")
    assert statuses(channel) == [483]


def test_unanswerable_input_is_dropped_and_logged_once_per_source_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core, channel = core_with()
    with caplog.at_level(logging.WARNING, logger="hotline.telephony.sip.core"):
        for _ in range(50):
            core.receive(b"garbage\r\n\r\n", channel, SOURCE, "UDP")
        core.receive(b"garbage\r\n\r\n", channel, ("10.0.0.2", 5060), "UDP")
        assert isinstance(core.scheduler, ManualScheduler)
        core.scheduler.advance(61)
        core.receive(b"garbage\r\n\r\n", channel, SOURCE, "UDP")
    assert channel.sent == []
    assert len(caplog.records) == 3
    assert core.limiter.suppressed == 49


def test_responses_without_a_transaction_go_to_the_stray_handler() -> None:
    strays: list[int] = []
    core, channel = core_with()
    core.on_stray_response = lambda response, source: strays.append(response.status)
    core.receive(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
        b"To: <sip:c@d>;tag=2\r\nCall-ID: z\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        channel,
        SOURCE,
        "UDP",
    )
    assert strays == [200]
