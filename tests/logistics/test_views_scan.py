"""扫描发货 Scan to ship through the test client: a scanned pair ships the parcel (the answer empties the fields
and lists it), errors come back in red and translated with nothing changed; pasted pairs ship all or none."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from hotline.logistics.models import MovementKind, OrderTask, Shipment, StockMovement, TaskKind
from hotline.orders.models import Order, Status
from tests.logistics.factories import make_order, make_parcel, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HTMX = {"HX-Request": "true"}


def clerk(users: dict[str, Any], language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(users["logistics"])
    return client


def shipped() -> list[tuple[str, str | None, str]]:
    return list(Shipment.objects.order_by("order__number").values_list("order__number", "tracking_number", "status"))


def test_a_scanned_pair_ships_the_parcel(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)

    response = clerk(users).post("/logistics/scan/ship", {"order": " l0000001 ", "tracking_number": "sf 1234 5678 90"},
                                 headers=HTMX)

    assert response.status_code == 200
    assert response.templates[0].name == "logistics/_scan.html"
    assert "Order L0000001 shipped with 顺丰速运, tracking number SF1234567890." in response.content.decode()
    assert shipped() == [("L0000001", "SF1234567890", "shipped")]
    assert Order.objects.get().status == Status.SHIPPED
    assert list(StockMovement.objects.values_list("kind", "quantity")) == [(MovementKind.SHIPPED, -1)]
    assert [parcel.order.number for parcel in response.context["shipped"]] == ["L0000001"]
    assert 'value=""' in response.content.decode().split('id="scan-order"')[1].split(">")[0]


@pytest.mark.parametrize(("order", "tracking", "message"), [
    ("NOPE", "SF1234567890", "Order number: No order has the number “NOPE”."),
    ("L0000001", "12", "Tracking number: “12” is not a tracking number: 6 to 40 letters, digits or dashes."),
    ("L0000001", "", "Tracking number: This field is required."),
])
def test_scan_errors_are_shown_and_change_nothing(users: dict[str, Any], order: str, tracking: str,
                                                  message: str) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)
    response = clerk(users).post("/logistics/scan/ship", {"order": order, "tracking_number": tracking}, headers=HTMX)
    assert response.status_code == 400
    assert f'<p class="error">✗ {message}</p>' in response.content.decode()
    assert shipped() == [("L0000001", None, "pending")]


def test_the_same_tracking_number_twice_is_refused(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)
    second = make_order(world.customer, (world.product, 1), number="L0000002", recipient_phone="13900000002")
    make_parcel(second, world.courier)
    client = clerk(users)
    client.post("/logistics/scan/ship", {"order": "L0000001", "tracking_number": "SF1234567890"}, headers=HTMX)

    response = client.post("/logistics/scan/ship", {"order": "L0000002", "tracking_number": "SF1234567890"},
                           headers=HTMX)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "tracking_number": ["Tracking number SF1234567890 is already on order L0000001."]}
    assert shipped() == [("L0000001", "SF1234567890", "shipped"), ("L0000002", None, "pending")]


def test_an_order_waiting_for_its_confirmation_call_does_not_ship(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)
    OrderTask.objects.create(order=world.order, kind=TaskKind.CONFIRM, reason="risky")
    response = clerk(users).post("/logistics/scan/ship", {"order": "L0000001", "tracking_number": "SF1234567890"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "order": ["Order L0000001 waits for its confirmation call before it ships."]}
    assert shipped() == [("L0000001", None, "pending")]


def test_errors_are_translated(users: dict[str, Any]) -> None:
    make_world()
    with translation.override("zh-hans"):
        response = clerk(users, "zh-hans").post("/logistics/scan/ship",
                                                {"order": "NOPE", "tracking_number": "SF12345678"}, headers=HTMX)
    assert '<p class="error">✗ 订单号: 没有订单号为“NOPE”的订单。</p>' in response.content.decode()


def test_pasted_pairs_ship_together(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)
    second = make_order(world.customer, (world.product, 1), number="L0000002", recipient_phone="13900000002")
    make_parcel(second, world.courier)

    pasted = "L0000001\tSF1111111111\n\nL0000002, SF2222222222\n"
    response = clerk(users).post("/logistics/scan/bulk", {"pairs": pasted})

    assert response.status_code == 200
    assert response.context["bulk_shipped"] == 2
    assert b"2 parcels shipped." in response.content
    assert shipped() == [("L0000001", "SF1111111111", "shipped"), ("L0000002", "SF2222222222", "shipped")]


def test_pasted_pairs_with_a_bad_line_ship_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier)
    pasted = "L0000001 SF1111111111\nL0000009 SF2222222222"
    response = clerk(users).post("/logistics/scan/bulk", {"pairs": pasted})
    assert response.status_code == 400
    assert response.context["bulk"].errors == {"pairs": ["Line 2: No order has the number “L0000009”."]}
    assert shipped() == [("L0000001", None, "pending")]


def test_a_malformed_pasted_line_is_named(users: dict[str, Any]) -> None:
    make_world()
    response = clerk(users).post("/logistics/scan/bulk", {"pairs": "L0000001 SF1111111111 extra"})
    assert response.status_code == 400
    assert response.context["bulk"].errors == {
        "pairs": ["Line 1: write the order number and the tracking number, nothing else."]}
