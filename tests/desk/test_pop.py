"""The screen pop's context and order prefill: a known customer with warnings, a new caller, a number that
is not a phone number, a callback's reason, past contacts without the current call, and a query count
that does not grow with the data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.calls.models import Callback, CallbackReason, CallRecord, Recording
from hotline.crm.models import BlacklistEntry, Credit, Level
from hotline.desk.pop import Offered, forget_recent, order_prefill, pop_context, render_pop
from tests import factories
from tests.orders.helpers import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NEW_CALLER = "13912345678"  # 江苏 常州, nobody has it


def call(call_id: str, caller: str = "13800138000", minutes_ago: int = 0, agent: str = "t_agent") -> CallRecord:
    return CallRecord.objects.create(call_id=call_id, caller=caller, dnis="4008001000", agent_key=agent,
                                     arrived_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def test_a_known_customer_with_vip_level_credit_watch_and_a_blacklist_warning(agent: Any, world: Any) -> None:
    world.customer.level, world.customer.credit, world.customer.credit_reason = Level.VIP, Credit.WATCH, "拒收两次"
    world.customer.save()
    BlacklistEntry.objects.create(number="13800138000", action="warn", active=True)
    airing = factories.make_airing(world.station, product=world.product)
    address = world.customer.addresses.get()

    context = pop_context(Offered(call_id="c-1", caller="138 0013 8000", dnis="4008001000",
                                  airing_id=airing.pk, queue="sales"), agent)

    assert context["customer"] == world.customer
    assert context["warnings"] == ["blacklist", "vip", "credit_watch"]
    assert (context["number"], context["other_matches"]) == ("13800138000", 0)
    assert (context["hotline_number"], context["station"], context["airing"], context["product"]) == (
        "4008001000", world.station, airing, world.product)
    assert context["can_play"] is False
    assert order_prefill(context) == {
        "call_id": "c-1", "queue": "sales", "hotline_number": "4008001000", "customer_id": world.customer.pk,
        "customer_name": "王小明", "phone": "13800138000", "region": "北京",
        "addresses": [{"id": address.pk, "text": str(address)}], "address_id": address.pk,
        "product": {"id": world.product.pk, "code": world.product.short_code, "name": "颈椎按摩仪",
                    "price": "398.00"},
    }


def test_an_offer_trusts_the_engine_s_blacklist_check(agent: Any, world: Any) -> None:
    BlacklistEntry.objects.create(number="13800138000", action="warn", active=True)
    checked = Offered.from_event({"type": "Offer", "call_id": "c-1", "caller": "13800138000", "warning": ""})
    unchecked = Offered.from_event({"type": "Arrive", "call_id": "c-2", "caller": "13800138000",
                                    "direction": "outbound"})

    with CaptureQueriesContext(connection) as queries:
        assert pop_context(checked, agent)["warnings"] == []
    assert not [q for q in queries.captured_queries if "crm_blacklistentry" in q["sql"]]
    assert pop_context(unchecked, agent)["warnings"] == ["blacklist"]


def test_a_dialled_number_without_an_airing_names_its_station(agent: Any, world: Any) -> None:
    context = pop_context(Offered(call_id="c-1", caller=NEW_CALLER, dnis="400-800-1000"), agent)
    assert (context["hotline_number"], context["station"], context["airing"], context["product"]) == (
        "4008001000", world.station, None, None)


def test_recordings_are_listed_only_for_users_who_may_play_them(users: dict[str, Any], world: Any) -> None:
    old = call("c-old", minutes_ago=60)
    recording = Recording.objects.create(call=old, path="/nowhere/c-old.wav", duration_seconds="42.000",
                                         created_at=old.arrived_at)
    offered = Offered(call_id="c-now", caller="13800138000")

    for_agent, for_supervisor = pop_context(offered, users["agent"]), pop_context(offered, users["supervisor"])

    assert (for_agent["recordings"], for_agent["can_play"]) == ([], False)
    assert (for_supervisor["recordings"], for_supervisor["can_play"]) == ([recording], True)
    assert f'<audio controls preload="none" src="/calls/recordings/{recording.pk}/audio">' in render_pop(
        offered, users["supervisor"], "en")["html"]


def test_an_inactive_blacklist_entry_and_a_normal_customer_warn_of_nothing(agent: Any, world: Any) -> None:
    BlacklistEntry.objects.create(number="13800138000", action="warn", active=False)
    context = pop_context(Offered(call_id="c-1", caller="13800138000"), agent)
    assert context["warnings"] == []


def test_the_offer_s_own_warning_counts_without_a_blacklist_row(agent: Any, world: Any) -> None:
    world.customer.credit = Credit.BAD
    world.customer.save()
    context = pop_context(Offered(call_id="c-1", caller="13800138000", warning="blacklist"), agent)
    assert context["warnings"] == ["blacklist", "credit_bad"]


def test_the_newest_of_two_customers_on_a_number_is_shown_and_the_other_counted(agent: Any, world: Any) -> None:
    wife = factories.make_customer(name="李芳", phone="13800138000", gender="f")
    context = pop_context(Offered(call_id="c-1", caller="13800138000"), agent)
    assert (context["customer"], context["other_matches"]) == (wife, 1)


def test_a_new_caller_has_no_customer_and_the_region_of_the_number(agent: Any, world: Any) -> None:
    context = pop_context(Offered(call_id="c-2", caller=NEW_CALLER, dnis="4008001000", queue="sales"), agent)

    assert (context["customer"], context["orders"], context["addresses"], context["complaints"]) == (
        None, [], [], [])
    assert context["warnings"] == []
    assert order_prefill(context) == {
        "call_id": "c-2", "queue": "sales", "hotline_number": "4008001000", "customer_id": None,
        "customer_name": "", "phone": NEW_CALLER, "region": "江苏 常州", "addresses": [], "address_id": None,
        "product": None,
    }
    html = render_pop(Offered(call_id="c-2", caller=NEW_CALLER), agent, "en")["html"]
    assert "New customer" in html and NEW_CALLER in html


@pytest.mark.parametrize("caller", ["", "anonymous", "12"])
def test_a_caller_number_that_is_not_a_phone_number_is_not_looked_up(agent: Any, world: Any, caller: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        message = render_pop(Offered(call_id="c-3", caller=caller), agent, "en")

    assert not [q for q in queries.captured_queries if "crm_" in q["sql"] or "calls_recording" in q["sql"]
                or "calls_callrecord" in q["sql"]]
    assert message["order"] == {"call_id": "c-3", "queue": "", "hotline_number": "", "customer_id": None,
                                "customer_name": "", "phone": caller, "region": "", "addresses": [],
                                "address_id": None, "product": None}
    assert message["type"] == "pop" and 'data-call-id="c-3"' in message["html"]


def test_a_callback_call_shows_why_the_caller_is_called_back(agent: Any, world: Any) -> None:
    captured = timezone.now() - datetime.timedelta(minutes=30)
    callback = Callback.objects.create(number="13800138000", reason=CallbackReason.ABANDONED, call_id="c-first",
                                       last_call_id="c-dial", arrived_at=captured, captured_at=captured,
                                       updated_at=captured)

    by_dial = pop_context(Offered(call_id="c-dial", caller="13800138000", direction="outbound"), agent)
    by_id = pop_context(Offered(call_id="c-other", caller="13800138000", callback_id=callback.pk), agent)
    unrelated = pop_context(Offered(call_id="c-new", caller="13800138000"), agent)

    assert (by_dial["callback"], by_id["callback"], unrelated["callback"]) == (callback, callback, None)
    html = render_pop(Offered(call_id="c-dial", caller="13800138000", direction="outbound"), agent, "en")["html"]
    assert "Callback: abandoned call" in html and "Outbound" in html


def test_recent_contacts_leave_out_the_current_call(agent: Any, world: Any) -> None:
    call("c-old", minutes_ago=60)
    call("c-older", minutes_ago=120)
    call("c-stranger", caller=NEW_CALLER, minutes_ago=10)
    call("c-now")

    context = pop_context(Offered(call_id="c-now", caller="13800138000"), agent)

    assert [contact["call_id"] for contact in context["contacts"]] == ["c-old", "c-older"]


def test_five_recent_contacts_at_most_even_with_the_current_call_among_them(agent: Any, world: Any) -> None:
    for n in range(1, 8):
        call(f"c-{n}", minutes_ago=n)
    call("c-now")

    context = pop_context(Offered(call_id="c-now", caller="13800138000"), agent)

    assert [contact["call_id"] for contact in context["contacts"]] == ["c-1", "c-2", "c-3", "c-4", "c-5"]


def _queries_for_pop(agent: Any, airing_id: int) -> int:
    offered = Offered(call_id="c-now", caller="13800138000", dnis="4008001000", airing_id=airing_id)
    with CaptureQueriesContext(connection) as queries:
        render_pop(offered, agent, "en")
    return len(queries.captured_queries)


def test_the_pop_reads_a_bounded_number_of_queries_whatever_the_data(
        agent: Any, world: Any, django_assert_max_num_queries: Any) -> None:
    airing = factories.make_airing(world.station, product=world.product)
    place(world, agent)
    call("c-1", minutes_ago=5)
    with django_assert_max_num_queries(16):
        render_pop(Offered(call_id="c-now", caller="13800138000", dnis="4008001000", airing_id=airing.pk),
                   agent, "en")
    small = _queries_for_pop(agent, airing.pk)

    for n in range(8):
        place(world, agent)
        call(f"c-more-{n}", minutes_ago=10 + n)
    for n in range(20):
        factories.make_customer(name=f"客户{n}", phone=f"1391234{n:04d}")

    assert _queries_for_pop(agent, airing.pk) == small


def test_a_spot_s_airing_and_scripts_are_read_once_for_its_many_pops(agent: Any, world: Any) -> None:
    airing = factories.make_airing(world.station, product=world.product)
    first = _queries_for_pop(agent, airing.pk)

    again = _queries_for_pop(agent, airing.pk)
    forget_recent()
    after_forgetting = _queries_for_pop(agent, airing.pk)

    assert (first - again, after_forgetting) == (2, first)  # the airing and the scripts: remembered
