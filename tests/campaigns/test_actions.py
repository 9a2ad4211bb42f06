"""Campaigns through their actions: lists from crm and orders, blacklist and opt-outs, start and pause,
preview dialing with retries, dispositions, the engine's changes, results per campaign and agent, survey."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.calls.models import Queue
from hotline.campaigns import actions, queries
from hotline.campaigns.lists import customers_of
from hotline.campaigns.models import (
    Attempt,
    CallOptOut,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    SurveyResult,
)
from hotline.crm.models import BlacklistEntry
from hotline.orders.models import OrderStatusChange, Status
from tests import factories
from tests.logistics.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(db: Any) -> Queue:
    return Queue.objects.create(name="orders")


def campaign(users: dict[str, Any], source: str = "delivered", mode: str = "preview", **fields: Any) -> Campaign:
    return actions.do_create_campaign(name="回访", source=source, mode=mode, queue="orders", actor=users["supervisor"],
                                      window_start=datetime.time(0), window_end=datetime.time.max, **fields)


def delivered(customer: Any, days_ago: int, status: str = Status.DELIVERED, **order: Any) -> Any:
    made = make_order(customer, **order)
    change = OrderStatusChange.objects.create(order=made, from_status=Status.SHIPPED, to_status=status)
    OrderStatusChange.objects.filter(pk=change.pk).update(at=timezone.now() - datetime.timedelta(days=days_ago))
    return made


def test_bad_input_names_the_field_and_creates_nothing(users: dict[str, Any], queue: Queue) -> None:
    with pytest.raises(ValidationError) as error:
        actions.do_create_campaign(name=" ", source="nope", mode="preview", queue="missing",
                                   window_start=datetime.time(20), window_end=datetime.time(9),
                                   actor=users["supervisor"])
    assert set(error.value.message_dict) == {"name", "source", "queue", "window_end"}
    with pytest.raises(ValidationError) as error:
        actions.do_create_campaign(name="新品", source="product", mode="preview", queue="orders",
                                   actor=users["supervisor"])
    assert set(error.value.message_dict) == {"product"}
    with pytest.raises(PermissionDenied):
        campaign(users | {"supervisor": users["agent"]})
    assert Campaign.objects.count() == 0


def test_the_lists_select_from_crm_and_orders(users: dict[str, Any], queue: Queue) -> None:
    a = factories.make_customer("甲", "13900000001")
    b = factories.make_customer("乙", "13900000002")
    factories.make_customer("丙", "13900000003", birthday=timezone.localdate() + datetime.timedelta(days=2))
    d = factories.make_customer("丁", "13900000004")
    product = factories.make_product("新品", "100.00")
    delivered(a, 7)
    delivered(b, 6)  # not seven days ago
    delivered(b, 3, Status.REFUSED)
    make_order(d, (product, 1), at=timezone.now() - datetime.timedelta(days=200))
    assert [x.name for x in customers_of(campaign(users))] == ["甲"]
    assert [x.name for x in customers_of(campaign(users, "refused", days=5))] == ["乙"]
    assert [x.name for x in customers_of(campaign(users, "birthday", days=3))] == ["丙"]
    assert [x.name for x in customers_of(campaign(users, "dormant", days=90))] == ["丁"]  # others ordered lately
    assert [x.name for x in customers_of(campaign(users, "product", product=product))] == ["丁"]


def test_loading_keeps_the_blacklisted_and_opted_out_as_excluded_and_adds_each_customer_once(
        users: dict[str, Any], queue: Queue) -> None:
    for n in range(1, 4):
        delivered(factories.make_customer(f"客{n}", f"1390000000{n}"), 7)
    BlacklistEntry.objects.create(number="13900000002", active=True)
    CallOptOut.objects.create(number="13900000003")
    made = campaign(users)
    assert actions.do_load_list(made, actor=users["supervisor"]) == 3
    assert actions.do_load_list(made, actor=users["supervisor"]) == 0
    assert [(c.number, c.status) for c in made.contacts.order_by("number")] == [
        ("13900000001", "pending"), ("13900000002", "excluded"), ("13900000003", "excluded")]
    with pytest.raises(ValidationError):
        actions.do_set_campaign_status(campaign(users), CampaignStatus.RUNNING, actor=users["supervisor"])


def test_preview_dial_no_answer_retry_then_an_order_disposition(users: dict[str, Any], queue: Queue) -> None:
    customer = factories.make_customer("甲", "13900000001")
    delivered(customer, 7)
    made = campaign(users, retry_minutes=30, max_attempts=2)
    actions.do_load_list(made, actor=users["supervisor"])
    actions.do_set_campaign_status(made, CampaignStatus.RUNNING, actor=users["supervisor"])
    agent = users["agent"]
    contact = actions.do_take_preview(made, actor=agent)
    assert contact is not None and contact.status == ContactStatus.PREVIEWING
    with pytest.raises(ValidationError):
        actions.do_dispose_contact(contact, "no_answer", actor=agent)  # not dialled yet
    actions.do_preview_dialled(contact, "call-1", actor=agent)
    after = actions.do_dispose_contact(contact, "no_answer", actor=agent)
    assert (after.status, after.attempts, after.agent) == (ContactStatus.PENDING, 1, None)
    assert after.not_before is not None and after.not_before > timezone.now() + datetime.timedelta(minutes=29)
    assert actions.do_take_preview(made, actor=agent) is None  # not due again yet
    Contact.objects.filter(pk=contact.pk).update(not_before=timezone.now())
    again = actions.do_take_preview(made, actor=agent)
    assert again is not None and again.pk == contact.pk
    actions.do_preview_dialled(again, "call-2", actor=agent)
    order = make_order(customer, call_id="call-2", agent=agent, total=Decimal("398.00"))
    with pytest.raises(ValidationError):
        actions.do_dispose_contact(again, "nonsense", actor=agent)
    done = actions.do_dispose_contact(again, "已下单", actor=agent)
    assert (done.status, done.attempts, done.disposition, done.order) == (ContactStatus.REACHED, 2, "已下单", order)
    result = queries.results([made])[made.pk]
    assert result == {"contacts": 1, "attempts": 2, "reached": 1, "excluded": 0, "orders": 1,
                      "revenue": Decimal("398.00")}
    assert queries.results_by_agent(made) == [{"agent": "t_agent", "attempts": 2, "reached": 1, "orders": 1,
                                               "revenue": Decimal("398.00")}]


def test_do_not_call_records_an_opt_out_and_busy_after_the_last_attempt_gives_up(
        users: dict[str, Any], queue: Queue) -> None:
    for n in (1, 2):
        delivered(factories.make_customer(f"客{n}", f"1390000000{n}"), 7)
    made = campaign(users, max_attempts=1)
    actions.do_load_list(made, actor=users["supervisor"])
    actions.do_set_campaign_status(made, CampaignStatus.RUNNING, actor=users["supervisor"])
    first = actions.do_take_preview(made, actor=users["agent"])
    assert first is not None
    actions.do_preview_dialled(first, "c1", actor=users["agent"])
    assert actions.do_dispose_contact(first, "勿再来电", actor=users["agent"]).status == ContactStatus.REACHED
    assert CallOptOut.objects.filter(number=first.number).exists()
    second = actions.do_take_preview(made, actor=users["agent"])
    assert second is not None and second.pk != first.pk
    actions.do_preview_dialled(second, "c2", actor=users["agent"])
    assert actions.do_dispose_contact(second, "busy", actor=users["agent"]).status == ContactStatus.GAVE_UP
    actions.do_set_campaign_status(made, CampaignStatus.PAUSED, actor=users["supervisor"])
    with pytest.raises(ValidationError):
        actions.do_take_preview(made, actor=users["agent"])


def test_the_engine_s_changes_and_the_survey_are_stored(users: dict[str, Any], queue: Queue) -> None:
    delivered(factories.make_customer("甲", "13900000001"), 7)
    made = campaign(users, mode="progressive")
    actions.do_load_list(made, actor=users["supervisor"])
    contact = made.contacts.get()
    at = timezone.now()
    actions.do_record_contact_change(contact.pk, kind="dialled", status="dialling", attempts=1, at=at,
                                     agent="t_agent", call_id="out-1")
    actions.do_record_contact_change(contact.pk, kind="reached", status="reached", attempts=1, at=at,
                                     agent="t_agent", result="answered", call_id="out-1")
    contact.refresh_from_db()
    assert (contact.status, contact.attempts, contact.agent, contact.last_call_id) == (
        "reached", 1, users["agent"], "out-1")
    assert list(Attempt.objects.values_list("kind", "attempt")) == [("dialled", 1), ("reached", 1)]
    assert queries.current_contact(users["agent"]) == contact
    actions.do_set_survey_consent("in-9", actor=users["agent"])
    actions.do_record_survey("in-9", agent="t_agent", queue="orders", score=4, at=at)
    actions.do_record_survey("in-9", agent="t_agent", queue="orders", score=2, at=at)  # once per call
    assert list(SurveyResult.objects.values_list("call_id", "agent__username", "queue", "score")) == [
        ("in-9", "t_agent", "orders", 4)]
    with pytest.raises(ValidationError):
        actions.do_record_survey("in-8", agent="t_agent", queue="orders", score=6, at=at)
    with pytest.raises(ValidationError):
        actions.do_set_survey_consent(" ", actor=users["agent"])
