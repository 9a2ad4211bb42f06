"""审核 Review through the test client: the queue's order, filters, paging and flags; review the ticked
orders (reviewed and flagged, with reasons), send them back to the agent with a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.logistics.models import OrderTask, Shipment, TaskKind
from hotline.logistics.risk import risk_for_orders
from hotline.orders.models import Order, Status
from tests import factories
from tests.logistics.factories import make_courier, make_order, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOW = timezone.now()


def clerk(users: dict[str, Any]) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["logistics"])
    return client


def numbers(response: Any) -> list[str]:
    return [row.order.number for row in response.context["rows"]]


def test_rush_orders_come_first_then_the_oldest(users: dict[str, Any]) -> None:
    world = make_world()
    make_order(world.customer, (world.product, 1), number="L0000002", at=NOW - datetime.timedelta(hours=2))
    make_order(world.customer, (world.product, 1), number="L0000003", rush=True)
    make_order(world.customer, (world.product, 1), number="L0000004", status=Status.REVIEWED)
    sent_back = make_order(world.customer, (world.product, 1), number="L0000005")
    OrderTask.objects.create(order=sent_back, kind=TaskKind.FIX, reason="no street")

    response = clerk(users).get("/logistics/")

    assert numbers(response) == ["L0000003", "L0000002", "L0000001"]
    assert response.context["counts"] == {"waiting": 3, "rush": 1, "sent_back": 1}


@pytest.mark.parametrize(("query", "expected"), [
    ("payment=transfer", ["L0000002"]),
    ("city=广州", ["L0000003"]),
    ("province=广东&city=深圳", ["L0000001", "L0000002"]),
    ("amount_min=500", ["L0000003"]),
    ("amount_max=398", ["L0000001", "L0000002"]),
    ("date_from=2020-01-01&date_to=2020-01-31", []),
    ("risk=medium", []),
    ("risk=low", ["L0000001", "L0000002", "L0000003"]),
])
def test_filters_narrow_the_queue(users: dict[str, Any], query: str, expected: list[str]) -> None:
    world = make_world()
    make_order(world.customer, (world.product, 1), number="L0000002", payment_method="transfer")
    make_order(world.customer, (world.product, 2), number="L0000003", city="广州", district="天河区")
    assert numbers(clerk(users).get(f"/logistics/?{query}")) == expected


def test_a_bad_filter_is_shown_and_left_out(users: dict[str, Any]) -> None:
    make_world()
    response = clerk(users).get("/logistics/?amount_min=500&amount_max=100")
    assert numbers(response) == ["L0000001"]
    assert response.context["filters"].errors == {"amount_max": ["The largest amount is below the smallest."]}


def test_the_airing_filter(users: dict[str, Any]) -> None:
    world = make_world()
    airing = factories.make_airing(factories.make_station())
    make_order(world.customer, (world.product, 1), number="L0000002", airing=airing)
    assert numbers(clerk(users).get(f"/logistics/?airing={airing.pk}")) == ["L0000002"]


def test_fifty_orders_a_page(users: dict[str, Any]) -> None:
    world = make_world()
    for n in range(2, 53):
        make_order(world.customer, (world.product, 1), number=f"L{n:07d}", recipient_phone=f"139{n:08d}")
    first, second = clerk(users).get("/logistics/"), clerk(users).get("/logistics/?page=2")
    assert (len(numbers(first)), numbers(second)) == (50, ["L0000051", "L0000052"])
    assert b"Page 2 of 2 (52 orders)" in second.content


def test_each_row_shows_its_flags(users: dict[str, Any]) -> None:
    world = make_world()
    factories.make_product("护膝", "99.00")
    make_order(world.customer, (world.product, 1), number="L0000002", at=NOW - datetime.timedelta(hours=3))
    make_order(world.customer, (world.product, 1), number="L0000003", recipient_phone="13900000000",
               address_detail="1号")
    make_order(world.customer, (world.product, 1), number="L0000004", recipient_phone="13900000001", city="拉萨",
               province="西藏", district="城关区")
    rows = {row.order.number: row for row in clerk(users).get("/logistics/").context["rows"]}

    assert (rows["L0000001"].duplicate_of, rows["L0000002"].duplicate_of) == ("L0000002", "L0000001")
    assert (rows["L0000003"].duplicate_of, rows["L0000003"].address_problem) == (
        "", "The street address is too short for a courier to find.")
    assert (rows["L0000001"].courier, rows["L0000001"].courier_problem, rows["L0000001"].blocked) == (
        "顺丰速运", "", False)
    assert rows["L0000001"].courier_reason.startswith("顺丰速运")
    assert (rows["L0000004"].courier, rows["L0000004"].blocked) == ("", True)
    assert rows["L0000004"].courier_problem != ""
    assert rows["L0000001"].risk == risk_for_orders([world.order])[world.order.pk]


def test_a_different_product_or_a_day_apart_is_no_duplicate(users: dict[str, Any]) -> None:
    world = make_world()
    other = factories.make_product("护膝", "99.00")
    make_order(world.customer, (other, 1), number="L0000002")
    make_order(world.customer, (world.product, 1), number="L0000003", at=NOW - datetime.timedelta(hours=25))
    make_order(world.customer, (world.product, 1), number="L0000004", status=Status.CANCELLED)
    rows = clerk(users).get("/logistics/").context["rows"]
    assert [(row.order.number, row.duplicate_of) for row in rows] == [
        ("L0000003", ""), ("L0000001", ""), ("L0000002", "")]


def test_approving_reviews_the_ticked_orders_and_flags_the_others(users: dict[str, Any]) -> None:
    world = make_world()
    bad = make_order(world.customer, (world.product, 1), number="L0000002", recipient_phone="13900000000",
                     address_detail="1号")
    untouched = make_order(world.customer, (world.product, 1), number="L0000003", recipient_phone="13900000001")

    response = clerk(users).post("/logistics/review/approve", {"orders": [world.order.pk, bad.pk]},
                                 headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.templates[0].name == "logistics/_review_queue.html"
    assert response.context["outcome"] == {"reviewed": 1, "confirmations": 0, "flagged": [
        ("L0000002", "The street address is too short for a courier to find.")]}
    assert b"Reviewed 1, flagged 1." in response.content
    assert dict(Order.objects.values_list("number", "status")) == {
        "L0000001": "reviewed", "L0000002": "ordered", "L0000003": "ordered"}
    assert list(Shipment.objects.values_list("order__number", "courier__name", "freight")) == [
        ("L0000001", "顺丰速运", Decimal("12.00"))]
    assert numbers(response) == ["L0000002", "L0000003"]
    assert untouched.status == Status.ORDERED


def test_approving_nothing_is_an_error_and_changes_nothing(users: dict[str, Any]) -> None:
    make_world()
    response = clerk(users).post("/logistics/review/approve", {}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert b"Select at least one order." in response.content
    assert (Order.objects.get().status, Shipment.objects.count()) == ("ordered", 0)


def test_sending_back_puts_the_orders_on_the_agents_worklist(users: dict[str, Any]) -> None:
    world = make_world()
    second = make_order(world.customer, (world.product, 1), number="L0000002", rush=True)

    response = clerk(users).post("/logistics/review/send-back", {"orders": [world.order.pk, second.pk],
                                                                 "reason": "  地址不详，请联系客户  "})

    assert response.status_code == 200
    assert response.context["outcome"] == {"sent_back": ["L0000001", "L0000002"]}
    assert list(OrderTask.objects.order_by("order__number").values_list("order__number", "kind", "reason", "urgent")) \
        == [("L0000001", "fix", "地址不详，请联系客户", False), ("L0000002", "fix", "地址不详，请联系客户", True)]
    assert numbers(response) == []
    assert set(Order.objects.values_list("status", flat=True)) == {"ordered"}


def test_sending_back_without_a_reason_changes_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    response = clerk(users).post("/logistics/review/send-back", {"orders": [world.order.pk], "reason": ""})
    assert response.status_code == 400
    assert response.context["errors"].errors == {"reason": ["Say why the order goes back to the agent."]}
    assert OrderTask.objects.count() == 0


def test_sending_back_is_all_or_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    reviewed = make_order(world.customer, (world.product, 1), number="L0000002", status=Status.REVIEWED)
    response = clerk(users).post("/logistics/review/send-back", {"orders": [world.order.pk, reviewed.pk],
                                                                 "reason": "wrong address"})
    assert response.status_code == 400
    assert response.context["errors"].non_field_errors() == [
        "Order L0000002 is Reviewed: only orders waiting for review can be sent back."]
    assert OrderTask.objects.count() == 0


def test_a_high_risk_cod_order_gets_a_confirmation_call(users: dict[str, Any]) -> None:
    world = make_world()
    courier = make_courier("EMS", "ems", code="ems", cod_max=None)
    del courier
    refuser = factories.make_customer("李四", "13700137000")
    for n in range(3):
        past = make_order(refuser, (world.product, 1), number=f"P{n}", status=Status.REFUSED,
                          at=NOW - datetime.timedelta(days=10 + n))
        Shipment.objects.create(order=past, courier=world.courier, status="returned", refused_at=past.created_at,
                                last_event_at=past.created_at)
    risky = make_order(refuser, (world.product, 3), number="L0000009", recipient_phone="13700137000")

    response = clerk(users).post("/logistics/review/approve", {"orders": [risky.pk]})

    assert response.context["outcome"]["confirmations"] == 1
    assert OrderTask.objects.get().kind == TaskKind.CONFIRM


def test_the_queue_reads_a_fixed_number_of_queries_whatever_its_length(users: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = make_world()
    client = clerk(users)

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/logistics/").status_code == 200
        return len(captured)

    few = queries_for_page()
    for n in range(2, 51):
        make_order(world.customer, (world.product, 1), number=f"L{n:07d}", recipient_phone=f"139{n:08d}")
    assert queries_for_page() == few
