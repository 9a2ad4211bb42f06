"""Edges between orders and parcels: an order changed after review, a cancelled order's tasks, late events,
a rescue call made before the refusal, the goods an exchange replaced, full-width tracking numbers."""

from __future__ import annotations

import pytest

from hotline.logistics.actions import (
    ReturnedGoods,
    do_complete_task,
    do_receive_return,
    do_record_shipment_event,
    do_review_orders,
    do_send_back_order,
    normal_tracking_number,
)
from hotline.logistics.actions.events import EventConflict
from hotline.logistics.models import (
    EventKind,
    EventSource,
    OrderTask,
    Shipment,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.orders.actions import LineInput, OrderInput, do_exchange_order, do_transition_order, do_update_order
from hotline.orders.models import Order, Status
from tests.logistics.world import World, at, build_world, ledger, stock_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def w() -> World:
    return build_world()


def event(shipment: Shipment, kind: str, minutes: int, detail: str = "") -> None:
    do_record_shipment_event(shipment, kind, at(minutes), source=EventSource.IMPORT, actor=None, detail=detail)


def test_an_order_changed_after_review_goes_back_to_review_and_its_parcel_is_cancelled(w: World) -> None:
    order = w.place()
    parcel = w.review(order)
    changed = OrderInput(customer_id=w.customer.pk, lines=[LineInput(w.massager.pk, 5)],
                         address_id=w.customer.addresses.get().pk)
    do_update_order(order, changed, actor=w.agent)
    order.refresh_from_db()
    parcel.refresh_from_db()
    assert (order.status, str(order.total), parcel.status) == (Status.ORDERED, "1990.00", ShipmentStatus.CANCELLED)
    # reviewed again, the new parcel collects the new total
    assert do_review_orders([order], actor=w.clerk).reviewed == [order.pk]
    again = Shipment.objects.get(order=order, status=ShipmentStatus.PENDING)
    assert (again.pk != parcel.pk, str(again.cod_due)) == (True, "1990.00")


def test_cancelling_an_order_closes_its_open_tasks(w: World) -> None:
    order = w.place()
    task = do_send_back_order(order, reason="地址不全", actor=w.clerk)
    do_transition_order(order, Status.CANCELLED, actor=w.agent, reason="客户不要了")
    task.refresh_from_db()
    assert (task.status, task.outcome_note) == (TaskStatus.DONE, "The order was cancelled.")


def test_a_late_in_transit_event_is_kept_but_does_not_move_the_parcel_back(w: World) -> None:
    parcel = w.ship(w.place())
    event(parcel, EventKind.OUT_FOR_DELIVERY, 20)
    event(parcel, EventKind.IN_TRANSIT, 10)
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.OUT_FOR_DELIVERY
    assert parcel.events.filter(kind=EventKind.IN_TRANSIT).count() == 1


def test_a_delivery_closes_the_rescue_call_of_an_unreachable_customer(w: World) -> None:
    parcel = w.ship(w.place())
    event(parcel, EventKind.UNREACHABLE, 10)
    rescue = OrderTask.objects.get(order=parcel.order, kind=TaskKind.RESCUE)
    event(parcel, EventKind.DELIVERED, 30)
    rescue.refresh_from_db()
    assert (rescue.status, rescue.outcome, rescue.outcome_note) == (TaskStatus.DONE, "", "The parcel was delivered.")


def test_a_rescue_call_made_before_the_refusal_does_not_let_a_delivery_through(w: World) -> None:
    parcel = w.ship(w.place())
    event(parcel, EventKind.UNREACHABLE, 10)
    rescue = OrderTask.objects.get(order=parcel.order, kind=TaskKind.RESCUE)
    do_complete_task(rescue, TaskOutcome.REDELIVER, actor=w.agent)
    OrderTask.objects.filter(pk=rescue.pk).update(done_at=at(15))
    event(parcel, EventKind.REFUSED, 30, "不想要了")
    with pytest.raises(EventConflict):
        event(parcel, EventKind.DELIVERED, 40)
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.REFUSED


def test_the_goods_an_exchange_replaced_are_received_back_and_the_order_stays_exchanged(w: World) -> None:
    order = w.place()
    parcel = w.ship(order)
    event(parcel, EventKind.DELIVERED, 10)
    do_exchange_order(Order.objects.get(pk=order.pk), actor=w.clerk, reason="尺寸不对")
    stock_before = stock_of(w.massager)
    line = order.lines.get(is_gift=False)
    do_receive_return(Order.objects.get(pk=order.pk), [ReturnedGoods(line.pk, 2, "good")], actor=w.clerk)
    assert Order.objects.get(pk=order.pk).status == Status.EXCHANGED
    assert stock_of(w.massager) == (stock_before or 0) + 2
    assert ledger(w.massager)[-1] == ("returned", 2)


def test_a_parcel_returned_by_the_courier_without_a_refusal_sends_one_message(w: World) -> None:
    order = w.place()
    parcel = w.ship(order)
    event(parcel, EventKind.RETURNING, 10)
    sent = order.notifications.count()
    line = order.lines.get(is_gift=False)
    do_receive_return(Order.objects.get(pk=order.pk), [ReturnedGoods(line.pk, 2, "good")], actor=w.clerk)
    assert Order.objects.get(pk=order.pk).status == Status.RETURNED
    assert order.notifications.count() == sent + 1  # "return recorded", not also "refused on delivery"


@pytest.mark.parametrize(("typed", "normal"), [("ＥＡ１２３４５６７８９ＣＮ", "EA123456789CN"),
                                             (" ea 1234 5678 9cn ", "EA123456789CN")])
def test_tracking_numbers_typed_full_width_or_spaced_are_read_half_width(typed: str, normal: str) -> None:
    assert normal_tracking_number(typed) == normal



def test_a_risky_order_changed_after_review_is_reviewed_again_with_a_new_confirmation_call(w: World) -> None:
    order = w.place()
    if not do_review_orders([order], actor=w.clerk).confirmations:  # make it one that waits for its call
        OrderTask.objects.create(order=order, kind=TaskKind.CONFIRM, reason="风险高")
    changed = OrderInput(customer_id=w.customer.pk, lines=[LineInput(w.massager.pk, 3)],
                         address_id=w.customer.addresses.get().pk)
    do_update_order(order, changed, actor=w.agent)
    assert not OrderTask.objects.filter(order=order, kind=TaskKind.CONFIRM, status=TaskStatus.OPEN).exists()
    # a fixed send-back and a closed call do not keep it out of the queue
    task = do_send_back_order(order, reason="核对数量", actor=w.clerk)
    do_complete_task(task, TaskOutcome.FIXED, actor=w.agent)
    assert do_review_orders([order], actor=w.clerk).reviewed == [order.pk]
