"""Points and promotions at the desk's order entry: the quote shows the balance, the promotions and what the
points take off; placing the order spends them; bad points are refused on their field and change nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import include, path
from django.utils import timezone

from hotline.crm.models import Customer, PointsEntry, Promotion
from hotline.crm.points import credit
from hotline.orders.models import Order
from tests.desk.test_entry import client_for, everything, order_body, post

urlpatterns = [path("desk/", include("hotline.desk.entry_urls"))]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("english")]


@pytest.fixture
def rich(world: Any) -> Any:
    credit(world.customer.pk, "earn", 2500, note="test")
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    Promotion.objects.create(name="会员节立减20", kind="amount", amount=Decimal("20"), starts_at=now - hour,
                             ends_at=now + hour)
    return world


def test_the_quote_prices_in_promotions_and_points(rich: Any, agent: Any) -> None:
    body = {"customer_id": rich.customer.pk, "redeem_points": 1250,
            "lines": [{"product_id": rich.product.pk, "quantity": 1, "cross_sell": False}]}
    response = post(client_for(agent), "desk-quote", body)
    assert response.status_code == 200
    answer = response.json()
    # ¥398 − ¥20 promotion − ¥12.50 of points
    assert {key: answer[key] for key in ("total", "promotions", "points_used", "points_discount", "customer_points")} \
        == {"total": "365.50", "promotions": ["会员节立减20"], "points_used": 1250, "points_discount": "12.50",
            "customer_points": 2500}
    assert Customer.objects.get(pk=rich.customer.pk).points == 2500  # a quote spends nothing


def test_placing_the_order_spends_the_points(rich: Any, agent: Any) -> None:
    response = post(client_for(agent), "desk-order", order_body(rich, redeem_points=2000))
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.total, response.json()["order"]["total"]) == (Decimal("756.00"), "756.00")  # 796 − 20 − 20
    assert list(PointsEntry.objects.order_by("id").values_list("kind", "points", "balance")) == [
        ("earn", 2500, 2500), ("redeem", -2000, 500)]


@pytest.mark.parametrize(("points", "message"), [
    (3000, "The customer has only 2500 points."),
    ("十", "Enter the points to redeem as a whole number, 0 or more."),
    (-1, "Enter the points to redeem as a whole number, 0 or more."),
])
def test_bad_points_are_refused_on_their_field(rich: Any, agent: Any, points: Any, message: str) -> None:
    before = everything()
    for name, body in (("desk-order", order_body(rich, redeem_points=points)),
                       ("desk-quote", {"customer_id": rich.customer.pk, "redeem_points": points,
                                       "lines": [{"product_id": rich.product.pk, "quantity": 1}]})):
        response = post(client_for(agent), name, body)
        assert (response.status_code, response.json()) == (422, {"errors": {"redeem_points": [message]}})
    assert everything() == before
    assert Customer.objects.get(pk=rich.customer.pk).points == 2500


def test_the_quote_offers_the_gifts_the_customer_can_afford_and_the_order_takes_one(rich: Any, agent: Any) -> None:
    from hotline.crm.models import PointsReward

    affordable = PointsReward.objects.create(product=rich.extra, points=2000)
    PointsReward.objects.create(product=rich.gift, points=2501)  # more than the customer has: not offered
    lines = [{"product_id": rich.product.pk, "quantity": 1, "cross_sell": False}]
    answer = post(client_for(agent), "desk-quote", {"customer_id": rich.customer.pk, "lines": lines,
                                                    "reward_id": affordable.pk}).json()
    assert answer["rewards"] == [{"id": affordable.pk, "name": "护膝", "points": 2000}]
    assert (answer["points_used"], answer["gifts"]) == (2000, [{"product_id": rich.extra.pk, "name": "护膝",
                                                                "quantity": 1}])
    refused = post(client_for(agent), "desk-order", order_body(rich, reward_id="护膝"))
    assert (refused.status_code, refused.json()) == (422, {"errors": {"reward_id": ["Choose one from the list."]}})
    response = post(client_for(agent), "desk-order", order_body(rich, reward_id=affordable.pk))
    assert response.status_code == 201
    assert Customer.objects.get(pk=rich.customer.pk).points == 500
