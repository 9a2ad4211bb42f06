"""Cases a review of the desk found wrong: the call a reloaded desk pops while a new call rings, the airing
of an order taken on a callback's dial or on somebody else's call, where signing in lands, and the pop's
language."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from hotline.calls.actions import do_append_agent_state, do_append_call_event
from hotline.calls.models import Callback, CallRecord
from hotline.desk.entry import parse_order
from hotline.desk.pop import Offered, render_pop
from hotline.desk.state import desk_state
from hotline.orders.actions import do_place_order
from hotline.service.models import CallNote
from hotline.telephony import events as ev
from tests import factories
from tests.desk.test_entry import order_body

pytestmark = pytest.mark.django_db


def test_a_reload_while_ringing_pops_the_ringing_call_not_the_last_one(agent: Any, world: Any) -> None:
    earlier = timezone.now() - datetime.timedelta(minutes=1)
    for step in (ev.Arrive(call_id="A", at=earlier, mono=1.0, caller="13800138000", dnis="4008001000"),
                 ev.Offer(call_id="A", at=earlier, mono=1.1, agent=agent.username, caller="13800138000",
                          dnis="4008001000"),
                 ev.Answer(call_id="A", at=earlier, mono=1.2, agent=agent.username),
                 ev.Hangup(call_id="A", at=earlier, mono=9.0, agent=agent.username)):
        do_append_call_event(step)
    now = timezone.now()
    do_append_call_event(ev.Arrive(call_id="B", at=now, mono=20.0, caller="13912345678", dnis="4008001000"))
    do_append_call_event(ev.Offer(call_id="B", at=now, mono=20.1, agent=agent.username, caller="13912345678",
                                  dnis="4008001000"))
    do_append_agent_state(ev.AgentStateChanged(agent=agent.username, at=now, mono=20.2,
                                               state=ev.AgentState.RINGING, seat="A-01"))

    state = desk_state(agent)

    assert (state["public"]["state"], state["call"].call_id, state["call"].caller) == (
        "ringing", "B", "13912345678")


def _callback_dial(agent: Any, world: Any) -> Any:
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=50))
    arrived = airing.starts_at + datetime.timedelta(seconds=60)
    callback = Callback.objects.create(number="13800138000", dnis="4008001000", hotline_number=world.hotline,
                                       airing=airing, reason="surge", arrived_at=arrived, captured_at=arrived,
                                       updated_at=timezone.now(), last_call_id="out-1", status="dialling")
    do_append_call_event(ev.Arrive(call_id="out-1", at=timezone.now(), mono=1.0, agent=agent.username,
                                   caller="13800138000", dnis="", direction=ev.Direction.OUTBOUND,
                                   callback_id=callback.pk))
    return airing


def test_an_order_on_a_callback_dial_is_attributed_to_the_callback_s_airing(agent: Any, world: Any) -> None:
    airing = _callback_dial(agent, world)  # the spot aired 50 minutes ago; its window has closed

    order, created = do_place_order(parse_order(order_body(world, call_id="out-1")), actor=agent)

    assert (created, order.airing_id, order.hotline_number_id) == (True, airing.pk, world.hotline.pk)


def test_an_order_on_another_agent_s_call_is_not_credited_to_that_call_s_airing(users: Any, world: Any) -> None:
    _callback_dial(users["agent"], world)
    colleague = factories.make_user("agent", username="t_colleague")

    order, _created = do_place_order(parse_order(order_body(world, call_id="out-1")), actor=colleague)

    assert (order.airing_id, order.hotline_number_id) == (None, None)


@pytest.mark.parametrize(("role", "lands_on"), [
    ("agent", "/desk/"), ("supervisor", "/wallboard/"), ("finance", "/finance/"), ("logistics", "/logistics/"),
    ("manager", "/reports/")])
def test_signing_in_lands_each_role_on_its_screen(users: Any, role: str, lands_on: str) -> None:
    client = Client()

    signed_in = client.post("/login/", {"username": f"t_{role}", "password": "pw-for-tests"})
    start = client.get(signed_in["Location"])

    assert (signed_in["Location"], start["Location"]) == ("/", lands_on)
    assert client.get(lands_on).status_code == 200


def test_an_english_pop_is_english_throughout(agent: Any, world: Any) -> None:
    CallRecord.objects.create(call_id="old", caller="13800138000", dnis="4008001000", agent_key=agent.username,
                              agent=agent, arrived_at=timezone.now() - datetime.timedelta(days=1))
    CallNote.objects.create(call_id="old", agent=agent, disposition="no_sale")

    with translation.override("zh-hans"):  # a pop thread's own language must not leak into the pop
        message = render_pop(Offered(call_id="new", caller="13800138000", dnis="4008001000"), agent, "en")

    assert "No sale" in message["html"]
    assert "未成交" not in message["html"]
