"""物流跟踪 Tracking through the test client: parcels by status and filters, the stuck list, an order's
timeline, and an event typed in by a clerk (refused ones ask for a rescue call; conflicts change nothing)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.logistics.models import EventSource, OrderTask, Shipment, ShipmentEvent, ShipmentStatus, TaskKind
from hotline.orders.models import Order, Status
from tests.logistics.factories import make_courier, make_order, make_parcel, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
NOW = timezone.now()


def clerk(users: dict[str, Any]) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["logistics"])
    return client


def parcels(world: Any) -> list[Shipment]:
    """L0000001 shipped now; L0000002 in transit, silent 4 days; L0000003 with EMS, out, silent 2 days."""
    ems = make_courier("EMS", "ems", code="ems")
    rows = [make_parcel(world.order, world.courier, status=ShipmentStatus.SHIPPED, tracking="SF0000000001")]
    for number, courier, status, days in (("L0000002", world.courier, ShipmentStatus.IN_TRANSIT, 4),
                                          ("L0000003", ems, ShipmentStatus.OUT_FOR_DELIVERY, 2)):
        order = make_order(world.customer, (world.product, 1), number=number, recipient_phone=f"1390000{number[-4:]}")
        rows.append(make_parcel(order, courier, status=status, tracking=f"T{number}",
                                last_event_at=NOW - datetime.timedelta(days=days)))
    return rows


def listed(response: Any, key: str = "page_obj") -> list[str]:
    rows = response.context[key]
    return sorted(parcel.order.number for parcel in (rows.object_list if key == "page_obj" else rows))


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["L0000001", "L0000002", "L0000003"]),
    ("status=in_transit", ["L0000002"]),
    ("courier={ems}", ["L0000003"]),
    ("date_from=2020-01-01&date_to=2020-01-02", []),
])
def test_parcels_by_status_courier_and_date(users: dict[str, Any], query: str, expected: list[str]) -> None:
    world = make_world()
    rows = parcels(world)
    response = clerk(users).get("/logistics/tracking/?" + query.format(ems=rows[2].courier_id))
    assert listed(response) == expected


def test_the_stuck_list_and_its_days(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    client = clerk(users)
    default = client.get("/logistics/tracking/")
    one_day = client.get("/logistics/tracking/?stuck_days=1")
    assert (listed(default, "stuck"), default.context["stuck_days"]) == (["L0000002"], 3)
    assert listed(one_day, "stuck") == ["L0000002", "L0000003"]
    assert ("In transit", 1) in default.context["counts"]


def test_the_order_box_opens_the_timeline(users: dict[str, Any]) -> None:
    response = clerk(users).get("/logistics/orders/?number= l0000001 ")
    assert (response.status_code, response["Location"]) == (302, "/logistics/orders/L0000001/")


def test_an_orders_timeline(users: dict[str, Any]) -> None:
    world = make_world()
    parcel = parcels(world)[0]
    ShipmentEvent.objects.create(shipment=parcel, kind="picked_up", at=NOW, source=EventSource.SCAN)
    OrderTask.objects.create(order=world.order, kind=TaskKind.CONFIRM, reason="risky")

    response = clerk(users).get("/logistics/orders/l0000001/")

    timeline = response.context["timeline"]
    assert (timeline.order.number, [p.tracking_number for p in timeline.shipments]) == ("L0000001", ["SF0000000001"])
    assert [event.kind for event in timeline.shipments[0].events.all()] == ["picked_up"]
    assert [task.reason for task in timeline.tasks] == ["risky"]
    assert response.context["may_record"] is True
    assert "Picked up" in response.content.decode()


def test_a_clerk_records_a_delivery_by_hand(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    client = clerk(users)
    at = timezone.localtime(NOW - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post("/logistics/orders/L0000001/events", {"kind": "delivered", "at": at, "detail": "本人签收"})

    assert (response.status_code, response["Location"]) == (302, "/logistics/orders/L0000001/")
    event = ShipmentEvent.objects.get()
    assert (event.kind, event.source, event.detail, event.actor_id) == (
        "delivered", "manual", "本人签收", users["logistics"].pk)
    assert (Shipment.objects.get(order=world.order).status, Order.objects.get(pk=world.order.pk).status) == (
        "delivered", Status.DELIVERED)


def test_a_refusal_by_hand_asks_for_a_rescue_call(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    at = timezone.localtime(NOW).strftime("%Y-%m-%dT%H:%M")
    clerk(users).post("/logistics/orders/L0000001/events", {"kind": "refused", "at": at, "detail": "嫌贵"})
    task = OrderTask.objects.get()
    assert (task.kind, task.urgent) == (TaskKind.RESCUE, True)


def test_a_conflicting_event_is_refused_and_changes_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier, status=ShipmentStatus.DELIVERED, tracking="SF0000000001")
    at = timezone.localtime(NOW).strftime("%Y-%m-%dT%H:%M")
    response = clerk(users).post("/logistics/orders/L0000001/events", {"kind": "picked_up", "at": at})
    assert response.status_code == 400
    assert response.context["event_form"].errors == {
        "__all__": ["Parcel SF0000000001 is Delivered: “Picked up” cannot follow."]}
    assert ShipmentEvent.objects.count() == 0


def test_an_event_in_the_future_is_refused(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    at = timezone.localtime(NOW + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = clerk(users).post("/logistics/orders/L0000001/events", {"kind": "delivered", "at": at})
    assert response.context["event_form"].errors == {"at": ["The event cannot be in the future."]}
    assert ShipmentEvent.objects.count() == 0


def test_no_event_for_an_order_without_a_tracking_number(users: dict[str, Any]) -> None:
    make_world()
    at = timezone.localtime(NOW).strftime("%Y-%m-%dT%H:%M")
    response = clerk(users).post("/logistics/orders/L0000001/events", {"kind": "delivered", "at": at})
    assert response.status_code == 400
    assert response.context["event_form"].errors == {
        "__all__": ["This order has no parcel with a tracking number yet."]}


def test_finance_sees_the_timeline_but_records_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["finance"])
    assert client.get("/logistics/orders/L0000001/").context["may_record"] is False
    at = timezone.localtime(NOW).strftime("%Y-%m-%dT%H:%M")
    assert client.post("/logistics/orders/L0000001/events", {"kind": "delivered", "at": at}).status_code == 403
    assert ShipmentEvent.objects.count() == 0


def test_logistics_chooses_another_courier_for_a_parcel_on_the_shelf(users: dict[str, Any]) -> None:
    world = make_world()
    parcel = make_parcel(world.order, world.courier)
    ems = make_courier("圆通速递", code="yto", fee="15.00")
    client = clerk(users)
    assert client.get("/logistics/orders/L0000001/").context["may_change_courier"] is True

    response = client.post("/logistics/orders/L0000001/courier", {"courier": ems.pk, "reason": "客户要求邮政"})

    assert (response.status_code, response["Location"]) == (302, "/logistics/orders/L0000001/")
    parcel.refresh_from_db()
    assert (parcel.courier_id, parcel.overridden, parcel.choice_reason) == (
        ems.pk, True, "Chosen by hand: 客户要求邮政")


def test_another_courier_needs_a_reason_and_one_that_may_carry_it(users: dict[str, Any]) -> None:
    world = make_world()
    parcel = make_parcel(world.order, world.courier)
    far = make_courier("拉萨快递", code="lhasa", province="西藏", city="拉萨")
    client = clerk(users)
    no_reason = client.post("/logistics/orders/L0000001/courier", {"courier": far.pk, "reason": ""})
    cannot = client.post("/logistics/orders/L0000001/courier", {"courier": far.pk, "reason": "cheaper"})
    assert (no_reason.status_code, no_reason.context["courier_form"].errors) == (
        400, {"reason": ["This field is required."]})
    assert cannot.status_code == 400
    assert list(cannot.context["courier_form"].errors) == ["courier"]
    parcel.refresh_from_db()
    assert (parcel.courier_id, parcel.overridden) == (world.courier.pk, False)


def test_a_shipped_parcel_keeps_its_courier(users: dict[str, Any]) -> None:
    world = make_world()
    parcels(world)
    response = clerk(users).post("/logistics/orders/L0000001/courier", {"courier": world.courier.pk, "reason": "x"})
    assert response.context["courier_form"].errors == {"__all__": ["This order has no parcel waiting to ship."]}
