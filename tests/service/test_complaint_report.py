"""Where complaints concentrate (/reports/complaints/): exact counts by category, product, courier, agent,
department and period; who may see it; a bad filter."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.reports import complaints as report
from hotline.reports.periods import Period
from hotline.service.actions import do_close_complaint, do_escalate_complaint, do_open_complaint
from hotline.service.models import Complaint
from tests import factories
from tests.fakeclock import install_clock
from tests.logistics.factories import make_courier, make_order, make_parcel

DAY = datetime.timedelta(days=1)
START = timezone.make_aware(datetime.datetime(2026, 3, 2), timezone.get_default_timezone())  # local midnight
PERIOD = Period(START, START + 7 * DAY, "custom", "day")


@pytest.fixture
def story(world: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Order A (2 neck massagers, agent a1, 顺丰) and order B (a massager and a knee pad, agent a2, 圆通).
    In the week: A delivery (closed), B quality (escalated, overdue), B quality (open, not due), service
    without an order (overdue by the report's time); the week before: one more, left out."""
    clock = install_clock(monkeypatch, START + datetime.timedelta(hours=10))
    a1, a2 = factories.make_user("agent", "a1"), factories.make_user("agent", "a2")
    knee = factories.make_product("护膝", "99.00", short_code="kp")
    a = make_order(world.customer, (world.product, 2), agent=a1)
    b = make_order(world.customer, (world.product, 1), (knee, 1), agent=a2)
    make_parcel(a, make_courier("顺丰速运"))
    make_parcel(b, make_courier("圆通速递", city="广州"))
    sup = users["supervisor"]
    first = do_open_complaint(world.customer, "dented", actor=a1, category="delivery", order=a)
    do_close_complaint(first, "replaced", actor=sup)
    late = do_open_complaint(world.customer, "broken", actor=a2, category="product_quality", order=b)
    clock.set(START + 3 * DAY)
    do_escalate_complaint(late, now=START + 3 * DAY)
    do_open_complaint(world.customer, "noisy", actor=a2, category="product_quality", order=b)
    clock.set(START + 4 * DAY)
    do_open_complaint(world.customer, "rude", actor=a1, category="service")
    clock.set(START - DAY)
    do_open_complaint(world.customer, "last week", actor=a1, category="service")
    clock.set(START + 6 * DAY)  # when the report is made
    return SimpleNamespace(now=START + 6 * DAY)


def f(total: int, closed: int = 0, overdue: int = 0, escalated: int = 0) -> dict[str, int]:
    return {"total": total, "closed": closed, "overdue": overdue, "escalated": escalated}


def test_exact_counts_by_each_dimension(story: SimpleNamespace) -> None:
    now = story.now  # each unclosed complaint is past its due time by then; one was escalated
    assert Complaint.objects.count() == 5
    assert report.counts_by(PERIOD, "category", now) == {"配送": f(1, closed=1), "产品质量": f(2, 0, 2, 1),
                                                         "服务态度": f(1, overdue=1)}
    assert report.counts_by(PERIOD, "product", now) == {"颈椎按摩仪": f(3, 1, 2, 1), "护膝": f(2, 0, 2, 1),
                                                        "": f(1, overdue=1)}
    assert report.counts_by(PERIOD, "courier", now) == {"顺丰速运": f(1, closed=1), "圆通速递": f(2, 0, 2, 1),
                                                        "": f(1, overdue=1)}
    assert report.counts_by(PERIOD, "agent", now) == {"a1": f(1, closed=1), "a2": f(2, 0, 2, 1), "": f(1, overdue=1)}
    assert report.counts_by(PERIOD, "department", now) == {"物流部": f(1, closed=1), "质量部": f(2, 0, 2, 1),
                                                           "客服部": f(1, overdue=1)}
    assert report.totals(PERIOD, now) == f(4, closed=1, overdue=3, escalated=1)
    # Before the second quality complaint and the service one are due (+5 days), only the first is overdue.
    assert report.totals(PERIOD, START + 4 * DAY + datetime.timedelta(hours=12)) == f(4, 1, 1, 1)
    by_day = report.counts_by_bucket(PERIOD)
    assert {timezone.localtime(k).date().day: v for k, v in by_day.items()} == {2: 2, 5: 1, 6: 1}


def test_the_page_shows_the_tables(story: SimpleNamespace, users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["manager"])
    response = client.get("/reports/complaints/", {"period": "custom", "from": "2026-03-02", "to": "2026-03-08"},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 200
    tables = {t.key: t for t in response.context["tables"]}
    assert [(r["name"], r["total"]) for r in tables["complaints-category"].rows] == [
        ("产品质量", 2), ("服务态度", 1), ("配送", 1)]
    assert [(r["name"], r["total"]) for r in tables["complaints-agent"].rows] == [("a2", 2), ("No order", 1),
                                                                                  ("a1", 1)]
    assert tables["complaints-category"].totals == {"name": "Total", **f(4, 1, 3, 1)}
    assert [r["total"] for r in tables["complaints-period"].rows] == [2, 0, 0, 1, 1, 0, 0]


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("logistics", 403), ("manager", 200),
                                              ("supervisor", 200)])
def test_who_may_see_it(users: dict[str, Any], role: str, status: int) -> None:
    client = Client()
    client.force_login(users[role])
    assert client.get("/reports/complaints/").status_code == status


def test_anonymous_and_a_bad_filter(users: dict[str, Any]) -> None:
    assert Client().get("/reports/complaints/").status_code == 302
    client = Client()
    client.force_login(users["manager"])
    response = client.get("/reports/complaints/", {"colour": "red"}, headers={"Accept-Language": "en"})
    assert response.context["error"] == "Unknown filter: colour"
