"""`hotline simulate call`: one customer's call, with a voice, rings the desk of the agent signed in at a seat
whose phone is registered, talks, and hangs up — over real SIP against the demo's engine."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.accounts.models import User
from hotline.calls.commands import do_agent_log_in, do_set_agent_state
from hotline.calls.models import CallRecord, Seat
from hotline.demo.loader import DemoOptions, load_demo
from hotline.simulate import DEMO_SIP_PASSWORD
from hotline.simulate.phones import CALLER_MARK
from tests import livetest

from .helpers import hang_up_once_heard

HEARD = 100  # frames of the caller's voice the agent's phone takes before hanging up (2 s of audio)


def wait_until(done: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


SMALL_DEMO = DemoOptions(customers=40, orders=20, seed=2, batch_size=40,
                         now=datetime.datetime(2026, 11, 24, 20, 0, tzinfo=datetime.UTC))


@pytest.mark.django_db(transaction=True)
def test_a_customer_s_call_rings_the_signed_in_agent_talks_and_hangs_up() -> None:
    load_demo(SMALL_DEMO)
    out = StringIO()
    with livetest.engine_running() as embedded, livetest.SipLab(embedded.engine.sip_address) as lab:  # type: ignore[union-attr]
        host, port = embedded.engine.sip_address  # type: ignore[union-attr]
        phone = lab.register_agent("8001", DEMO_SIP_PASSWORD, ring=0.5)
        hung_up = hang_up_once_heard(lab, phone, HEARD)  # the caller would talk 60 s: the agent ends it
        agent1 = User.objects.get(username="agent1")
        do_agent_log_in(Seat.objects.get(name="A-01"), actor=agent1)
        do_set_agent_state(True, actor=agent1)
        call_command("simulate", "call", "--engine", f"{host}:{port}", "--from", "13800138000", "--talk", "60",
                     "--digits", "1", "--wait", "60", stdout=out)
        hung_up.result(60)
        closed = wait_until(lambda: CallRecord.objects.exclude(outcome="").exists())  # after agent1's wrap-up
        embedded.stop()
    assert closed, "the call record was not closed within 30 s"
    lines = out.getvalue().splitlines()
    assert lines[0] == "Calling 4008001000 from 13800138000, pressing 1 at the menu…"
    assert lines[1].startswith("agent1 answered after ") and lines[1].endswith(" s; talking 60 s…")
    assert lines[2] == "outcome: answered"
    assert lines[-1] == "agent: agent1"
    record = CallRecord.objects.get()
    assert (record.caller, record.dnis, record.agent_key, record.outcome) == (
        "13800138000", "4008001000", "agent1", "answered")
    assert lines[3].endswith(f"; Call-ID {record.call_id}")
    (stream,) = phone.streams
    assert stream.received >= HEARD  # the caller's voice reached the agent's phone through the bridge …
    # … a recorded voice (frames of many different first bytes), not the simulator's marked frames
    assert len(stream.by_mark) > 10 and stream.heard(CALLER_MARK) < stream.received / 4


@pytest.mark.parametrize(("argv", "message"), [
    (["--digits", "12"], "--digits: one key of 0-9 \\* #, or none; got '12'"),
    (["--from", "abc"], "--from: a telephone number in digits; got 'abc'"),
    (["--engine", "127.0.0.1:x"], "--engine: expected HOST:PORT"),
])
def test_bad_call_arguments_are_refused_naming_the_option(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "call", *argv)


def test_an_engine_that_does_not_answer_is_an_error(unused_udp_port: int) -> None:
    with pytest.raises(CommandError, match=f"no SIP answer from 127.0.0.1:{unused_udp_port} within 2 s"):
        call_command("simulate", "call", "--engine", f"127.0.0.1:{unused_udp_port}", stdout=StringIO())
