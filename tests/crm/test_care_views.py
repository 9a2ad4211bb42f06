"""The /care/ screens: every page as anonymous (sign-in), without the permission (403) and with it (200); the
criteria editor, greeting rules and promotions forms refuse bad input on its field and save nothing; the
care-call worklist; a customer's points history."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hotline.crm.care import CareRow
from hotline.crm.care_actions import do_produce_list
from hotline.crm.models import CareCriteria, CareList, CareTask, GreetingRule, Promotion
from hotline.crm.points import credit
from hotline.jobs.models import Job
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.usefixtures("english")


def client_for(user: Any = None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def things(users: dict[str, Any]) -> dict[str, Any]:
    customer = make_customer("王小明", "13800138000", preferences="保健")
    criteria = CareCriteria.objects.create(name="保健爱好者", preference="保健")
    care_list = do_produce_list(criteria, [CareRow(customer)], actor=users["supervisor"], title="保健名单")
    rule = GreetingRule.objects.create(channel="sms", message="{salutation}好")
    promotion = Promotion.objects.create(name="九折", kind="percent", percent=10, starts_at=timezone.now(),
                                         ends_at=timezone.now() + datetime.timedelta(days=1))
    task = CareTask.objects.create(customer=customer, care_list=care_list, script="王先生生日快乐")
    return {"customer": customer, "criteria": criteria, "list": care_list, "rule": rule, "promotion": promotion,
            "task": task}


def pages(things: dict[str, Any]) -> list[tuple[str, str]]:
    """(url, a role that may see it); agents may not see the supervisors' pages, logistics not the care calls,
    a user without a role not a customer's points."""
    return [(reverse("care:index"), "supervisor"), (reverse("care:criteria-new"), "supervisor"),
            (reverse("care:criteria", args=[things["criteria"].pk]), "supervisor"),
            (reverse("care:list", args=[things["list"].pk]), "supervisor"), (reverse("care:rules"), "supervisor"),
            (reverse("care:promotions"), "supervisor"),
            (reverse("care:promotion", args=[things["promotion"].pk]), "supervisor"),
            (reverse("care:calls"), "agent"), (reverse("care:points", args=[things["customer"].pk]), "logistics")]


def test_every_page_for_anonymous_without_and_with_permission(things: dict[str, Any], users: dict[str, Any]) -> None:
    for url, role in pages(things):
        anonymous = client_for().get(url)
        assert (anonymous.status_code, anonymous["Location"].split("?")[0]) == (302, reverse("login")), url
        denied = {"supervisor": users["agent"], "agent": users["logistics"], "logistics": make_user("")}[role]
        assert client_for(denied).get(url).status_code == 403, url
        assert client_for(users[role]).get(url).status_code == 200, url
    for url in (reverse("care:produce"), reverse("care:greet", args=[things["list"].pk])):
        assert client_for(users["agent"]).post(url, {"birthdays": "today"}).status_code == 403
    assert Job.objects.count() == 0


def test_the_criteria_editor_refuses_bad_input_on_its_field(things: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["supervisor"])
    response = client.post(reverse("care:criteria-new"), {"name": "大客户", "min_spend": "1000", "max_spend": "10"})
    assert response.status_code == 422
    assert response.context["form"].errors == {"max_spend": ["The upper limit is below the lower one."]}
    response = client.post(reverse("care:criteria-new"), {"name": "", "min_spend": "-1", "ordered_within_days": "x"})
    assert response.context["form"].errors == {
        "name": ["This field is required."], "min_spend": ["Ensure this value is greater than or equal to 0."],
        "ordered_within_days": ["Enter a whole number."]}
    assert CareCriteria.objects.count() == 1
    response = client.post(reverse("care:criteria-new"), {"name": "大客户", "level": "vip", "min_spend": "1000",
                                                          "schedule": "weekly"})
    assert (response.status_code, response["Location"]) == (302, reverse("care:index"))
    saved = CareCriteria.objects.get(name="大客户")
    assert (saved.level, saved.min_spend, saved.schedule, saved.created_by) == (
        "vip", Decimal("1000.00"), "weekly", users["supervisor"])


def test_producing_and_greeting_go_through_jobs(things: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["supervisor"])
    response = client.post(reverse("care:produce"), {"criteria": things["criteria"].pk})
    job = Job.objects.get()
    assert (response.status_code, response["Location"], job.status) == (302, reverse("jobs:job", args=[job.pk]),
                                                                        "done")
    produced = CareList.objects.exclude(pk=things["list"].pk).get()
    assert (job.result or {})["list_id"] == produced.pk and produced.size == 1
    response = client.post(reverse("care:greet", args=[produced.pk]))
    greet = Job.objects.latest("pk")
    assert (greet.status, (greet.result or {})["summary"]) == ("done", "1 customers greeted.")
    assert list(produced.entries.values_list("channel", "outcome")) == [("sms", "Message queued")]
    assert client.post(reverse("care:produce"), {"criteria": "abc"}).status_code == 302
    assert Job.objects.count() == 2


def test_greeting_rules_and_promotions_forms(things: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["supervisor"])
    response = client.post(reverse("care:rules"), {"position": "1", "level": "vip", "channel": "fax",
                                                   "message": ""})
    assert response.context["form"].errors == {
        "channel": ["Select a valid choice. fax is not one of the available choices."],
        "message": ["This field is required."]}
    client.post(reverse("care:rules"), {"position": "1", "level": "vip", "channel": "call", "message": "致电问候"})
    assert list(GreetingRule.objects.values_list("level", "channel", "message")) == [
        ("", "sms", "{salutation}好"), ("vip", "call", "致电问候")]
    client.post(reverse("care:delete-rule", args=[things["rule"].pk]))
    assert GreetingRule.objects.count() == 1
    response = client.post(reverse("care:promotions"), {
        "name": "满减", "starts_at": "2026-12-10T10:00", "ends_at": "2026-12-01T10:00", "kind": "amount",
        "amount": "0", "percent": "0", "min_total": "0", "gift_quantity": "1"})
    assert response.context["form"].errors == {"ends_at": ["The end must be after the start."],
                                               "amount": ["Enter an amount greater than 0."]}
    assert Promotion.objects.count() == 1


def test_the_care_call_worklist(things: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["agent"])
    assert "王先生生日快乐" in client.get(reverse("care:calls")).content.decode()
    client.post(reverse("care:finish-call", args=[things["task"].pk]), {"outcome_note": "x" * 301})
    assert CareTask.objects.get().status == "open"
    client.post(reverse("care:finish-call", args=[things["task"].pk]), {"outcome_note": "已祝福"})
    task = CareTask.objects.get()
    assert (task.status, task.outcome_note, task.done_by) == ("done", "已祝福", users["agent"])


def test_the_points_history(things: dict[str, Any], users: dict[str, Any]) -> None:
    credit(things["customer"].pk, "earn", 120, note="HL1")
    page = client_for(users["agent"]).get(reverse("care:points", args=[things["customer"].pk])).content.decode()
    assert "Balance: 120 points" in page and "+120" in page


def test_gifts_for_points_are_kept_with_the_promotions(things: dict[str, Any], users: dict[str, Any]) -> None:
    from hotline.crm.models import PointsReward
    from tests.factories import make_product

    gift = make_product("按摩靠枕", "59.00")
    assert client_for(users["agent"]).post(reverse("care:add-reward"), {"product": gift.pk, "points": "500"}) \
        .status_code == 403
    client = client_for(users["supervisor"])
    client.post(reverse("care:add-reward"), {"product": gift.pk, "points": "0", "active": "on"})
    assert PointsReward.objects.count() == 0
    client.post(reverse("care:add-reward"), {"product": gift.pk, "points": "500", "active": "on"})
    assert list(PointsReward.objects.values_list("product__name", "points", "active")) == [("按摩靠枕", 500, True)]
    assert "按摩靠枕" in client.get(reverse("care:promotions")).content.decode()
