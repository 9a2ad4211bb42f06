"""The campaign screens: anonymous → sign-in, without permission → 403 and nothing changed, with permission
→ the page and its writes (back office, desk panel, reports)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.calls.models import Queue
from hotline.campaigns.models import Campaign, Contact, SurveyConsent
from hotline.orders.models import OrderStatusChange, Status
from tests import factories
from tests.logistics.factories import make_order

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ready(users: dict[str, Any]) -> Campaign:
    Queue.objects.create(name="orders")
    customer = factories.make_customer("甲", "13900000001")
    change = OrderStatusChange.objects.create(order=make_order(customer), from_status=Status.SHIPPED,
                                              to_status=Status.DELIVERED)
    OrderStatusChange.objects.filter(pk=change.pk).update(at=timezone.now() - datetime.timedelta(days=7))
    return Campaign.objects.create(name="七日回访", source="delivered", queue="orders", script="您好{name}",
                                   window_start=datetime.time(0), window_end=datetime.time.max)


@pytest.mark.parametrize("url", ["/campaigns/", "/desk/campaigns/panel/", "/reports/campaigns/", "/reports/surveys/"])
def test_anonymous_goes_to_sign_in(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_without_permission_nothing_is_shown_or_changed(users: dict[str, Any], ready: Campaign) -> None:
    agent, logistics = client_for(users["agent"]), client_for(users["logistics"])
    assert agent.get("/campaigns/").status_code == 403
    assert agent.post(f"/campaigns/{ready.pk}/load/").status_code == 403
    assert agent.post(f"/campaigns/{ready.pk}/status/", {"status": "running"}).status_code == 403
    assert logistics.get("/desk/campaigns/panel/").status_code == 403
    assert logistics.post("/desk/campaigns/survey/", {"call_id": "x"}).status_code == 403
    assert agent.get("/reports/surveys/").status_code == 403
    assert Contact.objects.count() == 0 and SurveyConsent.objects.count() == 0
    ready.refresh_from_db()
    assert ready.status == "draft"


def test_the_supervisor_creates_loads_and_starts_and_the_agent_calls_from_the_panel(
        users: dict[str, Any], ready: Campaign) -> None:
    supervisor = client_for(users["supervisor"])
    bad = supervisor.post("/campaigns/new/", {"name": "", "source": "delivered", "mode": "preview",
                                              "queue": "orders", "max_attempts": "x"})
    assert bad.status_code == 422 and 'class="errors" role="alert"' in bad.content.decode()
    assert Campaign.objects.count() == 1
    made = supervisor.post("/campaigns/new/", {"name": "新活动", "source": "refused", "mode": "progressive",
                                               "queue": "orders", "days": "5", "window_start": "09:00",
                                               "window_end": "20:00"})
    assert made.status_code == 302 and Campaign.objects.filter(name="新活动", mode="progressive").exists()
    assert supervisor.post(f"/campaigns/{ready.pk}/load/").status_code == 302
    assert supervisor.post(f"/campaigns/{ready.pk}/status/", {"status": "running"}).status_code == 302
    page = supervisor.get(f"/campaigns/{ready.pk}/").content.decode()
    assert "13900000001" in page and 'data-key="contacts">1<' in page
    assert supervisor.get("/campaigns/").status_code == 200
    agent = client_for(users["agent"])
    panel = agent.get("/desk/campaigns/panel/").content.decode()
    assert "七日回访" in panel
    taken = agent.post("/desk/campaigns/next/", {"campaign": ready.pk}).content.decode()
    contact = Contact.objects.get()
    assert f'data-contact-id="{contact.pk}"' in taken and "您好王" not in taken and "您好甲" in taken
    assert agent.post("/desk/campaigns/dialled/", {"contact": contact.pk, "call_id": "c-1"}).status_code == 200
    assert agent.post("/desk/campaigns/dispose/", {"contact": contact.pk, "disposition": "??"}).status_code == 422
    assert agent.post("/desk/campaigns/dispose/", {"contact": contact.pk, "disposition": "满意"}).status_code == 200
    contact.refresh_from_db()
    assert (contact.status, contact.attempts, contact.disposition) == ("reached", 1, "满意")
    assert agent.post("/desk/campaigns/survey/", {"call_id": "in-1"}).status_code == 200
    assert list(SurveyConsent.objects.values_list("call_id", flat=True)) == ["in-1"]
    manager = client_for(users["manager"])
    report = manager.get("/reports/campaigns/").content.decode()
    assert "七日回访" in report
    assert manager.get("/reports/surveys/").status_code == 200


def test_the_survey_report_counts_the_answers_given_in_the_period(users: dict[str, Any]) -> None:
    from hotline.campaigns.models import SurveyResult

    Queue.objects.create(name="orders", label="订购")
    agent = users["agent"]
    local = timezone.localtime()
    inside = local.replace(year=2026, month=3, day=10, hour=12, minute=0, second=0, microsecond=0)
    for call, score, at in (("s-1", 4, inside), ("s-2", 2, inside + datetime.timedelta(days=1)),
                            ("s-3", 5, inside - datetime.timedelta(days=30))):
        SurveyResult.objects.create(call_id=call, agent=agent, queue="orders", score=score, at=at)
    manager = client_for(users["manager"])
    march = manager.get("/reports/surveys/", {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"})
    tables = {table.key: table.rows for table in march.context["tables"]}
    assert [(r["name"], r["answers"], str(r["average"])) for r in tables["survey-queue"]] == [("订购", 2, "3.0")]
    assert [r["name"] for r in tables["survey-call"]] == ["s-2", "s-1"]
    bad = manager.get("/reports/surveys/", {"period": "custom", "from": "2026-03-31", "to": "2026-03-01"})
    assert bad.status_code == 400 and "tables" not in bad.context
