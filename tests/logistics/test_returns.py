"""Goods coming back to the warehouse: a refused parcel received by condition (good restocked, damaged
written off, missing noted), its return freight, the order made 退货 once; a customer's own return."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.logistics.actions import ReturnedGoods, do_receive_return, do_record_shipment_event, stock_on_hand
from hotline.logistics.models import (
    Condition,
    EventKind,
    EventSource,
    MovementKind,
    OrderTask,
    ReturnReceipt,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskStatus,
)
from hotline.orders.models import Order, OrderLine, OrderStatusChange, Status
from tests import factories
from tests.logistics.world import World, at, build_world, ledger, parcel, points_of, state, stock_of, walk

D = Decimal
G, DMG, MISS = Condition.GOOD, Condition.DAMAGED, Condition.MISSING
K = MovementKind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def w() -> World:
    return build_world()


def lines(order: Order) -> tuple[OrderLine, ...]:
    return tuple(order.lines.order_by("pk"))


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def refused(w: World, *goods: tuple[object, int]) -> tuple[Order, Shipment]:
    """An order placed, reviewed, scanned to ship with EMS and refused at the door (through the actions)."""
    order = w.place(*goods)  # type: ignore[arg-type]
    shipment = w.ship(order)
    do_record_shipment_event(shipment, EventKind.REFUSED, at(30), source=EventSource.IMPORT, actor=w.clerk,
                             detail="不要了")
    return order, shipment


# ---------------------------------------------------------------- a refused parcel comes back

def test_a_refused_parcel_received_by_condition(w: World) -> None:
    order, shipment = refused(w, (w.massager, 2), (w.kneepad, 3))  # 3.3 kg: EMS ¥12 + 5 × ¥3 = ¥27
    massager, kneepad = lines(order)
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (48, 17)
    receipt = do_receive_return(order, [ReturnedGoods(massager.pk, 1, G), ReturnedGoods(massager.pk, 1, DMG),
                                        ReturnedGoods(kneepad.pk, 2, G), ReturnedGoods(kneepad.pk, 1, MISS)],
                                actor=w.clerk, note="外箱破损")
    # good ones back on the shelf and for sale; the damaged one in and written off; the missing one nowhere
    assert ledger(w.massager) == [(K.RECEIVED, 50), (K.SHIPPED, -2), (K.RETURNED, 1), (K.RETURNED, 1),
                                  (K.WRITTEN_OFF, -1)]
    assert ledger(w.kneepad) == [(K.RECEIVED, 20), (K.SHIPPED, -3), (K.RETURNED, 2)]
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (49, 19)  # not the whole order again
    assert stock_on_hand([w.massager.pk, w.kneepad.pk]) == {w.massager.pk: 49, w.kneepad.pk: 19}
    assert (receipt.order, receipt.shipment, receipt.return_freight, receipt.note, receipt.received_by) == (
        order, shipment, D("13.50"), "外箱破损", w.clerk)  # ¥27 × EMS's 50 %
    assert sorted(receipt.lines.values_list("order_line_id", "quantity", "condition")) == sorted([
        (massager.pk, 1, G), (massager.pk, 1, DMG), (kneepad.pk, 2, G), (kneepad.pk, 1, MISS)])
    shipment.refresh_from_db()
    assert (shipment.status, shipment.return_freight) == (ShipmentStatus.RETURNED, D("13.50"))
    assert shipment.returned_at is not None and shipment.last_event_at == shipment.returned_at
    assert ShipmentEvent.objects.filter(shipment=shipment).latest("pk").kind == EventKind.RETURNED
    assert status_of(order) == Status.RETURNED
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change.from_status, change.to_status, change.reason) == (
        Status.REFUSED, Status.RETURNED, f"Goods received back (receipt {receipt.pk})")
    entry = AuditEntry.objects.get(action="receive_return")
    assert (entry.object_id, entry.actor, entry.after) == (str(receipt.pk), w.clerk, {
        "order": order.number, "return_freight": "13.50", "goods": [
            {"order_line_id": massager.pk, "quantity": 1, "condition": "good"},
            {"order_line_id": massager.pk, "quantity": 1, "condition": "damaged"},
            {"order_line_id": kneepad.pk, "quantity": 2, "condition": "good"},
            {"order_line_id": kneepad.pk, "quantity": 1, "condition": "missing"}]})
    assert points_of(w.customer) == 0


def test_the_rescue_call_ends_when_the_parcel_is_back(w: World) -> None:
    order, _shipment = refused(w)
    assert OrderTask.objects.get().status == TaskStatus.OPEN
    massager, = lines(order)
    do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    task = OrderTask.objects.get()
    assert (task.status, task.outcome, task.outcome_note) == (
        TaskStatus.DONE, "", "The parcel came back to the warehouse.")
    assert task.done_at is not None


def test_return_freight_given_by_the_clerk(w: World) -> None:
    order, shipment = refused(w)
    massager, = lines(order)
    receipt = do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk,
                                return_freight=D("8.5"))
    shipment.refresh_from_db()
    assert (receipt.return_freight, shipment.return_freight) == (D("8.50"), D("8.50"))


def test_return_freight_follows_the_couriers_share(w: World) -> None:
    w.ems.return_freight_percent = D("100")
    w.ems.save()
    order, _shipment = refused(w)  # 2.4 kg: ¥21
    massager, = lines(order)
    assert do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk).return_freight == D("21.00")


def test_a_parcel_returned_by_the_courier_gets_no_second_returned_event(w: World) -> None:
    order, shipment = refused(w)
    do_record_shipment_event(shipment, EventKind.RETURNED, at(600), source=EventSource.IMPORT, actor=w.clerk)
    massager, = lines(order)
    do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    shipment.refresh_from_db()
    assert ShipmentEvent.objects.filter(shipment=shipment, kind=EventKind.RETURNED).count() == 1
    assert (shipment.status, shipment.returned_at, shipment.return_freight) == (
        ShipmentStatus.RETURNED, at(600), D("10.50"))
    assert status_of(order) == Status.RETURNED


def test_a_parcel_sent_back_by_the_courier_without_a_refusal(w: World) -> None:
    order = w.place()
    shipment = w.ship(order)
    do_record_shipment_event(shipment, EventKind.RETURNING, at(60), source=EventSource.IMPORT, actor=w.clerk)
    assert status_of(order) == Status.SHIPPED
    massager, = lines(order)
    do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    history = OrderStatusChange.objects.filter(order=order).order_by("pk").values_list("to_status", "reason")
    assert list(history)[-2:] == [(Status.REFUSED, "Returned by the courier"),
                                  (Status.RETURNED, f"Goods received back (receipt {ReturnReceipt.objects.get().pk})")]
    assert stock_of(w.massager) == 50


def test_a_parcel_still_with_the_courier_cannot_be_received(w: World) -> None:
    order = w.place()
    w.ship(order)
    massager, = lines(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    assert error.value.messages == [
        f"Order {order.number} is still with the courier: record its refusal or return first."]
    assert state() == before


@pytest.mark.parametrize("walk_to", [(), (Status.REVIEWED,), (Status.CANCELLED,)])
def test_orders_that_never_left_cannot_come_back(w: World, walk_to: tuple[str, ...]) -> None:
    order = walk(w.place(), *walk_to)
    massager, = lines(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    label = Status(status_of(order)).label
    assert error.value.messages == [f"Order {order.number} is {label}: nothing of it can come back."]
    assert state() == before


def test_goods_come_back_once(w: World) -> None:
    order, _shipment = refused(w)
    massager, = lines(order)
    do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    assert error.value.messages == [f"Order {order.number} is Returned: nothing of it can come back."]
    assert state() == before
    assert stock_of(w.massager) == 50


# ---------------------------------------------------------------- what came back must match what was sent

def test_more_than_was_sent_is_refused(w: World) -> None:
    order, _shipment = refused(w)
    massager, = lines(order)
    before = state()
    with pytest.raises(ValidationError) as error:  # 2 + 1 of a line of 2, over two conditions
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G), ReturnedGoods(massager.pk, 1, DMG)],
                          actor=w.clerk)
    assert error.value.message_dict == {"goods": ["Only 2 of 颈椎按摩仪 were sent."]}
    assert state() == before


def test_lines_of_another_order_are_refused(w: World) -> None:
    order, _shipment = refused(w)
    other = w.place((w.kneepad, 1))
    massager, = lines(order)
    foreign, = lines(other)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G), ReturnedGoods(foreign.pk, 1, G)],
                          actor=w.clerk)
    assert error.value.message_dict == {"goods": [f"Line #{foreign.pk} is not on order {order.number}."]}
    assert state() == before


def test_every_problem_is_listed_and_nothing_written(w: World) -> None:
    order, _shipment = refused(w, (w.massager, 2), (w.kneepad, 3))
    massager, kneepad = lines(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 0, G), ReturnedGoods(kneepad.pk, 1, "broken"),
                                  ReturnedGoods(kneepad.pk, 3, G), ReturnedGoods(999999, 1, G)], actor=w.clerk)
    assert error.value.message_dict == {"goods": [
        "The quantity must be a whole number of at least 1.",
        "Unknown condition “broken”.",
        "Only 3 of 护膝 were sent.",
        f"Line #999999 is not on order {order.number}.",
    ]}
    assert state() == before


def test_nothing_listed_is_refused(w: World) -> None:
    order, _shipment = refused(w)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [], actor=w.clerk)
    assert error.value.message_dict == {"goods": ["Say what came back, line by line (missing goods too)."]}
    assert state() == before


def test_a_negative_return_freight_is_refused(w: World) -> None:
    order, _shipment = refused(w)
    massager, = lines(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk, return_freight=D("-1"))
    assert error.value.message_dict == {"return_freight": ["The return freight cannot be negative."]}
    assert state() == before


def test_only_those_who_handle_returns_receive_them(w: World) -> None:
    order, _shipment = refused(w)
    massager, = lines(order)
    before = state()
    with pytest.raises(PermissionDenied):
        do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.agent)
    assert state() == before
    supervisor = factories.make_user("supervisor")
    assert do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=supervisor).received_by == supervisor


# ---------------------------------------------------------------- a customer's own return

def test_a_customer_returns_a_delivered_order(w: World) -> None:
    order = w.place()
    shipment = w.ship(order)
    do_record_shipment_event(shipment, EventKind.DELIVERED, at(60), source=EventSource.IMPORT, actor=w.clerk)
    assert points_of(w.customer) == 20
    massager, = lines(order)
    receipt = do_receive_return(order, [ReturnedGoods(massager.pk, 1, G), ReturnedGoods(massager.pk, 1, DMG)],
                                actor=w.clerk)
    assert receipt.return_freight == D("0.00")  # the customer's own return: they paid the way back
    assert status_of(order) == Status.RETURNED
    assert points_of(w.customer) == 0  # taken back by the order's own side effect, once
    assert stock_of(w.massager) == 49
    assert ledger(w.massager) == [(K.RECEIVED, 50), (K.SHIPPED, -2), (K.RETURNED, 1), (K.RETURNED, 1),
                                  (K.WRITTEN_OFF, -1)]
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change.from_status, change.to_status) == (Status.DELIVERED, Status.RETURNED)


def test_a_customer_returns_a_settled_order(w: World) -> None:
    order = w.place()
    shipment = w.ship(order)
    do_record_shipment_event(shipment, EventKind.DELIVERED, at(60), source=EventSource.IMPORT, actor=w.clerk)
    walk(order, Status.SETTLED)
    massager, = lines(order)
    do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk, return_freight=D("12"))
    assert (status_of(order), points_of(w.customer), stock_of(w.massager)) == (Status.RETURNED, 0, 50)


def test_an_order_delivered_before_logistics_came_back_without_a_parcel(w: World) -> None:
    order = walk(w.place(), Status.REVIEWED, Status.SHIPPED, Status.DELIVERED)
    massager, = lines(order)
    receipt = do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk)
    assert (receipt.shipment, receipt.return_freight) == (None, D("0.00"))
    assert (status_of(order), stock_of(w.massager), points_of(w.customer)) == (Status.RETURNED, 50, 0)
    assert not Shipment.objects.exists()


def test_a_refused_order_without_a_parcel_on_file(w: World) -> None:
    order = walk(w.place(), Status.REVIEWED, Status.SHIPPED, Status.REFUSED)
    massager, = lines(order)
    receipt = do_receive_return(order, [ReturnedGoods(massager.pk, 2, MISS)], actor=w.clerk)
    assert (receipt.shipment, receipt.return_freight, status_of(order)) == (None, D("0.00"), Status.RETURNED)
    assert stock_of(w.massager) == 48  # nothing came back to sell
    assert ledger(w.massager) == [(K.RECEIVED, 50)]  # and nothing left through logistics either


def test_the_parcel_of_the_receipt_is_the_live_one(w: World) -> None:
    """A cancelled parcel of the same order (a courier changed before) is not the one that came back."""
    order = walk(w.place(), Status.REVIEWED, Status.SHIPPED, Status.REFUSED)
    parcel(order, w.zto, ShipmentStatus.CANCELLED, tracking=None)
    live = parcel(order, w.ems, ShipmentStatus.REFUSED)
    massager, = lines(order)
    assert do_receive_return(order, [ReturnedGoods(massager.pk, 2, G)], actor=w.clerk).shipment == live
