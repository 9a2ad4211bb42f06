"""Tracking events and what they change: the parcel's state table, the same event twice, delivered and
refused orders, rescue calls, and conflicts that change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.logistics.actions import EventConflict, check_event, do_complete_task, do_record_shipment_event
from hotline.logistics.models import (
    EventKind,
    EventSource,
    OrderTask,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.notify.models import Notification
from hotline.orders.models import Order, OrderStatusChange, Status
from tests.logistics.world import World, at, build_world, parcel, points_of, state, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

E, S = EventKind, ShipmentStatus
ON_THE_WAY = (S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY)
# Written out by hand (not read from MOVES): event → {state it may arrive in: state it leaves}.
TABLE: dict[str, dict[str, str]] = {
    E.PICKED_UP: {S.SHIPPED: S.SHIPPED, S.IN_TRANSIT: S.IN_TRANSIT, S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    # a late "in transit" after "out for delivery" stays in the history; the parcel never steps back
    E.IN_TRANSIT: {S.SHIPPED: S.IN_TRANSIT, S.IN_TRANSIT: S.IN_TRANSIT, S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    E.OUT_FOR_DELIVERY: {S.SHIPPED: S.OUT_FOR_DELIVERY, S.IN_TRANSIT: S.OUT_FOR_DELIVERY,
                         S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    E.HELD: {S.SHIPPED: S.SHIPPED, S.IN_TRANSIT: S.IN_TRANSIT, S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    E.ADDRESS_CHANGE: {S.SHIPPED: S.SHIPPED, S.IN_TRANSIT: S.IN_TRANSIT, S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    E.UNREACHABLE: {S.SHIPPED: S.SHIPPED, S.IN_TRANSIT: S.IN_TRANSIT, S.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY},
    E.DELIVERED: {S.SHIPPED: S.DELIVERED, S.IN_TRANSIT: S.DELIVERED, S.OUT_FOR_DELIVERY: S.DELIVERED,
                  S.REFUSED: S.DELIVERED},  # from refused only after a rescue call (tested below)
    E.REFUSED: {S.SHIPPED: S.REFUSED, S.IN_TRANSIT: S.REFUSED, S.OUT_FOR_DELIVERY: S.REFUSED},
    E.RETURNING: {S.SHIPPED: S.RETURNING, S.IN_TRANSIT: S.RETURNING, S.OUT_FOR_DELIVERY: S.RETURNING,
                  S.REFUSED: S.RETURNING},
    E.RETURNED: {S.SHIPPED: S.RETURNED, S.IN_TRANSIT: S.RETURNED, S.OUT_FOR_DELIVERY: S.RETURNED,
                 S.REFUSED: S.RETURNED, S.RETURNING: S.RETURNED},
    E.LOST: {S.SHIPPED: S.LOST, S.IN_TRANSIT: S.LOST, S.OUT_FOR_DELIVERY: S.LOST, S.REFUSED: S.LOST,
             S.RETURNING: S.LOST},
}
# What the order becomes (None: it stays as it was).
ORDER_AFTER: dict[str, str] = {E.DELIVERED: Status.DELIVERED, E.REFUSED: Status.REFUSED}
EVERY = [(kind, state) for kind in E.values for state in S.values]
ALLOWED = [(kind, state, target) for kind, moves in TABLE.items() for state, target in moves.items()]


@pytest.fixture
def w() -> World:
    return build_world()


def on_the_way(w: World, status: str = S.SHIPPED) -> Shipment:
    """A parcel of a new order (2 massagers, COD, taken by `w.agent`), shipped and now in `status`."""
    order = walk(w.place(), Status.REVIEWED, Status.SHIPPED)
    if status in (S.REFUSED, S.RETURNING):
        order = walk(order, Status.REFUSED)
    return parcel(order, w.ems, status, tracking=f"EA{order.pk:09d}CN")


def record(shipment: Shipment, kind: str, minutes: int = 0, detail: str = "", actor: object = None,
           source: str = EventSource.IMPORT) -> tuple[ShipmentEvent, bool]:
    outcome = do_record_shipment_event(shipment, kind, at(minutes), source=source, actor=actor, detail=detail)
    return outcome.event, outcome.created


def order_status(shipment: Shipment) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=shipment.order_id)


# ---------------------------------------------------------------- the table

def test_the_table_covers_every_event() -> None:
    assert set(TABLE) == set(E.values)
    assert len(EVERY) == 110 and len(ALLOWED) == 39


@pytest.mark.parametrize(("kind", "status"), EVERY)
def test_check_event_follows_the_table(kind: str, status: str) -> None:
    shipment = Shipment(status=status, tracking_number="EA000000001CN")
    if status in TABLE[kind]:
        check_event(shipment, kind)
        return
    with pytest.raises(EventConflict) as conflict:
        check_event(shipment, kind)
    assert conflict.value.message_dict == {"status": [
        f"Parcel EA000000001CN is {S(status).label}: “{E(kind).label}” cannot follow."]}


@pytest.mark.parametrize(("kind", "status", "target"), ALLOWED)
def test_each_allowed_event_moves_the_parcel(w: World, kind: str, status: str, target: str) -> None:
    shipment = on_the_way(w, status)
    if status == S.REFUSED and kind == E.DELIVERED:
        OrderTask.objects.create(order=shipment.order, shipment=shipment, kind=TaskKind.RESCUE, reason="r",
                                 status=TaskStatus.DONE, outcome=TaskOutcome.REDELIVER)
    before = order_status(shipment)
    event, created = record(shipment, kind, 5, actor=w.clerk)
    shipment.refresh_from_db()
    assert created is True
    assert (event.shipment, event.kind, event.at, event.source, event.actor) == (
        shipment, kind, at(5), EventSource.IMPORT, w.clerk)
    assert (shipment.status, shipment.last_event_at) == (target, at(5))
    assert order_status(shipment) == ORDER_AFTER.get(kind, before)


@pytest.mark.parametrize("status", [S.PENDING, S.DELIVERED, S.RETURNED, S.LOST, S.CANCELLED])
def test_a_refused_event_changes_nothing(w: World, status: str) -> None:
    shipment = on_the_way(w, status)
    before = state()
    with pytest.raises(EventConflict):
        record(shipment, E.IN_TRANSIT, actor=w.clerk)
    assert state() == before


def test_an_unknown_event_is_refused(w: World) -> None:
    shipment = on_the_way(w)
    before = state()
    with pytest.raises(ValidationError) as error:
        record(shipment, "teleported", actor=w.clerk)
    assert error.value.message_dict == {"kind": ["Unknown tracking event “teleported”."]}
    assert state() == before


# ---------------------------------------------------------------- the same event twice

def test_the_same_event_twice_is_stored_once(w: World) -> None:
    shipment = on_the_way(w)
    first, created = record(shipment, E.IN_TRANSIT, 10, detail="深圳转运中心")
    before = state()
    again, created_again = record(shipment, E.IN_TRANSIT, 10, detail="深圳转运中心")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert state() == before
    # the same kind at another time is another event
    assert record(shipment, E.IN_TRANSIT, 20)[1] is True
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 2


def test_delivered_twice_credits_the_points_once(w: World) -> None:
    shipment = on_the_way(w)
    assert points_of(w.customer) == 0
    record(shipment, E.DELIVERED, 30, actor=w.clerk)
    assert points_of(w.customer) == 20  # 2 massagers × 10 points
    before = state()
    assert record(shipment, E.DELIVERED, 30, actor=w.clerk)[1] is False
    assert state() == before
    with pytest.raises(EventConflict):  # delivered again at another time: a conflict, not a second delivery
        record(shipment, E.DELIVERED, 40, actor=w.clerk)
    assert points_of(w.customer) == 20


def test_an_event_arriving_late_does_not_move_the_last_event_time_back(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.IN_TRANSIT, 60)
    record(shipment, E.PICKED_UP, 10)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.last_event_at) == (S.IN_TRANSIT, at(60))


# ---------------------------------------------------------------- delivered

def test_delivered_makes_the_order_delivered_and_credits_points(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.OUT_FOR_DELIVERY, 10)
    record(shipment, E.DELIVERED, 30, detail="本人签收", actor=w.clerk, source=EventSource.PUSH)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at, shipment.refused_at) == (S.DELIVERED, at(30), None)
    assert order_status(shipment) == Status.DELIVERED
    assert points_of(w.customer) == 20
    change = OrderStatusChange.objects.filter(order=shipment.order).latest("pk")
    assert (change.from_status, change.to_status, change.actor) == (Status.SHIPPED, Status.DELIVERED, w.clerk)
    assert Notification.objects.filter(order=shipment.order).latest("pk").body == (
        f"王先生, your order {shipment.order.number} has been delivered. Thank you!")
    assert not OrderTask.objects.exists()


# ---------------------------------------------------------------- refused and the rescue call

def test_refused_makes_the_order_refused_and_asks_the_agent_to_rescue_it(w: World) -> None:
    shipment = on_the_way(w, S.OUT_FOR_DELIVERY)
    record(shipment, E.REFUSED, 30, detail="客户说太贵", actor=w.clerk)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.refused_at, shipment.refusal_reason) == (S.REFUSED, at(30), "客户说太贵")
    assert order_status(shipment) == Status.REFUSED
    change = OrderStatusChange.objects.filter(order=shipment.order).latest("pk")
    assert (change.from_status, change.to_status, change.reason) == (Status.SHIPPED, Status.REFUSED, "客户说太贵")
    task = OrderTask.objects.get()
    assert (task.order, task.shipment, task.kind, task.status, task.urgent, task.assigned_to) == (
        shipment.order, shipment, TaskKind.RESCUE, TaskStatus.OPEN, True, w.agent)
    assert task.reason == f"Refused (EMS {shipment.tracking_number}): 客户说太贵"
    assert points_of(w.customer) == 0


def test_a_refusal_without_words_has_a_reason_all_the_same(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    assert OrderStatusChange.objects.filter(order=shipment.order).latest("pk").reason == "Refused at the door"
    assert OrderTask.objects.get().reason == f"Refused (EMS {shipment.tracking_number})"


def test_an_unreachable_customer_gets_a_rescue_call_and_the_parcel_stays_out(w: World) -> None:
    shipment = on_the_way(w, S.OUT_FOR_DELIVERY)
    record(shipment, E.UNREACHABLE, 20, detail="电话无人接听")
    shipment.refresh_from_db()
    assert (shipment.status, order_status(shipment)) == (S.OUT_FOR_DELIVERY, Status.SHIPPED)
    task = OrderTask.objects.get()
    assert (task.kind, task.urgent, task.assigned_to, task.reason) == (
        TaskKind.RESCUE, True, w.agent, f"Customer unreachable (EMS {shipment.tracking_number}): 电话无人接听")
    # refused afterwards: the open rescue call already covers it
    record(shipment, E.REFUSED, 40)
    assert OrderTask.objects.count() == 1


def test_a_refused_parcel_is_not_delivered_without_a_rescue_that_won_it_back(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    task = OrderTask.objects.get()
    before = state()
    with pytest.raises(EventConflict) as conflict:
        record(shipment, E.DELIVERED, 90)
    assert conflict.value.messages == [
        f"Parcel {shipment.tracking_number} is Refused: “Delivered” cannot follow."]
    assert state() == before
    do_complete_task(task, TaskOutcome.UNREACHED, actor=w.agent)
    before = state()
    with pytest.raises(EventConflict):  # a call that did not reach the customer won nothing back
        record(shipment, E.DELIVERED, 90)
    assert state() == before
    assert (order_status(shipment), points_of(w.customer)) == (Status.REFUSED, 0)


def test_a_refused_parcel_won_back_by_the_rescue_call_is_delivered(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    do_complete_task(OrderTask.objects.get(), TaskOutcome.REDELIVER, actor=w.agent, note="客户同意再送")
    record(shipment, E.DELIVERED, 180, actor=w.clerk)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.refused_at, shipment.delivered_at) == (S.DELIVERED, at(30), at(180))
    assert order_status(shipment) == Status.DELIVERED
    change = OrderStatusChange.objects.filter(order=shipment.order).latest("pk")
    assert (change.from_status, change.to_status) == (Status.REFUSED, Status.DELIVERED)
    assert points_of(w.customer) == 20


# ---------------------------------------------------------------- conflicts

@pytest.mark.parametrize("late", [E.REFUSED, E.IN_TRANSIT, E.OUT_FOR_DELIVERY, E.UNREACHABLE, E.RETURNING])
def test_nothing_follows_a_delivery(w: World, late: str) -> None:
    shipment = on_the_way(w)
    record(shipment, E.DELIVERED, 30)
    before = state()
    with pytest.raises(EventConflict) as conflict:
        record(shipment, late, 60)
    assert conflict.value.messages == [
        f"Parcel {shipment.tracking_number} is Delivered: “{E(late).label}” cannot follow."]
    assert state() == before
    assert order_status(shipment) == Status.DELIVERED


def test_nothing_follows_a_returned_parcel(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    record(shipment, E.RETURNING, 60)
    record(shipment, E.RETURNED, 90)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.returned_at, order_status(shipment)) == (S.RETURNED, at(90), Status.REFUSED)
    before = state()
    for kind in (E.DELIVERED, E.LOST, E.REFUSED):
        with pytest.raises(EventConflict):
            record(shipment, kind, 120)
    assert state() == before


# ---------------------------------------------------------------- who may record

def test_an_agent_cannot_record_events(w: World) -> None:
    shipment = on_the_way(w)
    before = state()
    with pytest.raises(PermissionDenied):
        record(shipment, E.DELIVERED, 30, actor=w.agent)
    assert state() == before


def test_the_system_records_for_the_courier_api(w: World) -> None:
    shipment = on_the_way(w)
    event, created = record(shipment, E.DELIVERED, 30, source=EventSource.PUSH)
    assert (created, event.actor, event.source) == (True, None, EventSource.PUSH)
    assert OrderStatusChange.objects.filter(order=shipment.order).latest("pk").actor is None


def test_long_details_are_cut_to_fit(w: World) -> None:
    shipment = on_the_way(w)
    event, _created = record(shipment, E.REFUSED, 30, detail="太" * 250)
    shipment.refresh_from_db()
    assert (len(event.detail), len(shipment.refusal_reason)) == (200, 200)


def test_a_refused_parcel_rescued_with_a_new_address_is_delivered(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    do_complete_task(OrderTask.objects.get(), TaskOutcome.ADDRESS, actor=w.agent, note="改送公司：科技园北区3栋")
    record(shipment, E.DELIVERED, 300)
    assert (order_status(shipment), points_of(w.customer)) == (Status.DELIVERED, 20)


def test_a_rescue_that_cancelled_does_not_let_a_delivery_through(w: World) -> None:
    shipment = on_the_way(w)
    record(shipment, E.REFUSED, 30)
    do_complete_task(OrderTask.objects.get(), TaskOutcome.CANCEL, actor=w.agent, note="客户确实不要")
    before = state()
    with pytest.raises(EventConflict):
        record(shipment, E.DELIVERED, 300)
    assert state() == before
