"""The stock ledger: goods received, counted, on hand as the sum of movements, and the invariant that
what the desk may sell is what is on hand minus what unshipped orders hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from hotline.accounts.models import AuditEntry
from hotline.catalog.models import Product
from hotline.logistics.actions import (
    ReturnedGoods,
    do_count_stock,
    do_receive_return,
    do_receive_stock,
    do_record_shipment_event,
    stock_on_hand,
)
from hotline.logistics.models import Condition, EventKind, EventSource, MovementKind, StockMovement
from hotline.orders.actions import do_transition_order
from hotline.orders.models import OrderLine, Status
from tests import factories
from tests.logistics.world import World, at, build_world, ledger, state, stock_of

K = MovementKind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def w() -> World:
    return build_world()


def held(product: Product) -> int:
    """Units of `product` held by orders not shipped yet (ordered or reviewed)."""
    total = (OrderLine.objects.filter(product=product, order__status__in=[Status.ORDERED, Status.REVIEWED])
             .aggregate(total=Sum("quantity"))["total"])
    return int(total or 0)


def assert_invariant(*products: Product) -> None:
    for product in products:
        assert stock_of(product) == stock_on_hand([product.pk])[product.pk] - held(product), product.name


# ---------------------------------------------------------------- receiving

def test_goods_received_grow_on_hand_and_what_may_be_sold(w: World) -> None:
    movement = do_receive_stock(w.massager, 30, actor=w.clerk, note="供应商到货 PO-17")
    assert (movement.product, movement.kind, movement.quantity, movement.note, movement.actor, movement.order) == (
        w.massager, K.RECEIVED, 30, "供应商到货 PO-17", w.clerk, None)
    assert (stock_of(w.massager), stock_on_hand([w.massager.pk])) == (80, {w.massager.pk: 80})
    entry = AuditEntry.objects.get(action="receive_stock")
    assert (entry.object_id, entry.actor, entry.after) == (
        str(w.massager.pk), w.clerk, {"quantity": 30, "note": "供应商到货 PO-17"})


def test_goods_of_an_untracked_product_go_on_the_ledger_only(w: World) -> None:
    loose = factories.make_product("赠品袋", "0.00")
    do_receive_stock(loose, 100, actor=w.clerk)
    assert (stock_of(loose), stock_on_hand([loose.pk])) == (None, {loose.pk: 100})


@pytest.mark.parametrize("quantity", [0, -5, 1_000_001, 1.5, True, "3", None])
def test_a_received_quantity_must_be_a_sensible_whole_number(w: World, quantity: Any) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        do_receive_stock(w.massager, quantity, actor=w.clerk)
    assert error.value.message_dict == {"quantity": ["Enter a whole number between 1 and 1,000,000."]}
    assert state() == before


@pytest.mark.parametrize("quantity", [1, 1_000_000])
def test_the_limits_of_a_receipt(w: World, quantity: int) -> None:
    assert do_receive_stock(w.massager, quantity, actor=w.clerk).quantity == quantity


# ---------------------------------------------------------------- counting

def test_a_count_below_the_ledger_is_an_adjustment_down(w: World) -> None:
    movement = do_count_stock(w.massager, 47, actor=w.clerk, note="盘点")
    assert movement is not None
    assert (movement.kind, movement.quantity, movement.note, movement.actor) == (K.ADJUSTED, -3, "盘点", w.clerk)
    assert (stock_of(w.massager), stock_on_hand([w.massager.pk])[w.massager.pk]) == (47, 47)
    assert AuditEntry.objects.get(action="count_stock").after == {"counted": 47, "difference": -3}


def test_a_count_above_the_ledger_is_an_adjustment_up(w: World) -> None:
    movement = do_count_stock(w.kneepad, 26, actor=w.clerk)
    assert movement is not None and movement.quantity == 6
    assert (stock_of(w.kneepad), stock_on_hand([w.kneepad.pk])[w.kneepad.pk]) == (26, 26)


def test_a_count_that_agrees_writes_nothing(w: World) -> None:
    before = state()
    assert do_count_stock(w.massager, 50, actor=w.clerk) is None
    assert state() == before


def test_a_count_compares_with_the_shelf_not_with_what_may_be_sold(w: World) -> None:
    w.place()  # holds 2: 48 may be sold, 50 are on the shelf
    assert do_count_stock(w.massager, 50, actor=w.clerk) is None
    movement = do_count_stock(w.massager, 49, actor=w.clerk)
    assert movement is not None and movement.quantity == -1
    assert (stock_of(w.massager), stock_on_hand([w.massager.pk])[w.massager.pk]) == (47, 49)
    assert_invariant(w.massager)


def test_counting_zero_empties_the_shelf(w: World) -> None:
    movement = do_count_stock(w.kneepad, 0, actor=w.clerk)
    assert movement is not None and movement.quantity == -20
    assert stock_of(w.kneepad) == 0


@pytest.mark.parametrize("counted", [-1, 2.5, True, "50", None])
def test_a_count_must_be_a_whole_number(w: World, counted: Any) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        do_count_stock(w.massager, counted, actor=w.clerk)
    assert error.value.message_dict == {"counted": ["Enter the number of units counted on the shelf."]}
    assert state() == before


@pytest.mark.parametrize("role", ["agent", "supervisor", "finance"])
def test_only_logistics_receives_and_counts(w: World, role: str) -> None:
    user = factories.make_user(role)
    before = state()
    with pytest.raises(PermissionDenied):
        do_receive_stock(w.massager, 5, actor=user)
    with pytest.raises(PermissionDenied):
        do_count_stock(w.massager, 40, actor=user)
    assert state() == before


# ---------------------------------------------------------------- on hand

def test_on_hand_is_the_sum_of_the_movements(w: World) -> None:
    loose = factories.make_product("赠品袋", "0.00")
    StockMovement.objects.bulk_create([
        StockMovement(product=w.kneepad, kind=K.SHIPPED, quantity=-4),
        StockMovement(product=w.kneepad, kind=K.RETURNED, quantity=2),
        StockMovement(product=w.kneepad, kind=K.WRITTEN_OFF, quantity=-1),
        StockMovement(product=w.kneepad, kind=K.ADJUSTED, quantity=-3),
    ])
    assert stock_on_hand([w.massager.pk, w.kneepad.pk, loose.pk]) == {
        w.massager.pk: 50, w.kneepad.pk: 14, loose.pk: 0}
    assert stock_on_hand([]) == {}


# ---------------------------------------------------------------- the invariant through a day

def test_what_may_be_sold_is_on_hand_minus_what_unshipped_orders_hold(w: World) -> None:
    goods = (w.massager, w.kneepad)
    do_receive_stock(w.massager, 10, actor=w.clerk)
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (60, 20)
    a, b = w.place(), w.place((w.massager, 3))
    c = w.place((w.massager, 1), (w.kneepad, 2))
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (54, 18)
    assert_invariant(*goods)

    for order in (a, b, c):
        w.review(order)
    parcel_a = w.ship(a)
    assert (stock_of(w.massager), stock_on_hand([w.massager.pk])[w.massager.pk]) == (54, 58)
    assert_invariant(*goods)

    do_transition_order(b, Status.CANCELLED, actor=w.clerk, reason="客户取消")
    assert stock_of(w.massager) == 57
    assert_invariant(*goods)

    parcel_c = w.ship(c)
    do_record_shipment_event(parcel_c, EventKind.REFUSED, at(30), source=EventSource.IMPORT, actor=w.clerk)
    massager_line, kneepad_line = c.lines.order_by("pk")
    do_receive_return(c, [ReturnedGoods(massager_line.pk, 1, Condition.GOOD),
                          ReturnedGoods(kneepad_line.pk, 1, Condition.GOOD),
                          ReturnedGoods(kneepad_line.pk, 1, Condition.DAMAGED)], actor=w.clerk)
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (58, 19)
    assert_invariant(*goods)

    do_count_stock(w.massager, 57, actor=w.clerk, note="少一台")
    assert stock_of(w.massager) == 57
    assert_invariant(*goods)

    do_record_shipment_event(parcel_a, EventKind.DELIVERED, at(60), source=EventSource.IMPORT, actor=w.clerk)
    line, = a.lines.all()
    do_receive_return(a, [ReturnedGoods(line.pk, 2, Condition.GOOD)], actor=w.clerk)
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (59, 19)
    assert_invariant(*goods)
    assert ledger(w.kneepad) == [(K.RECEIVED, 20), (K.SHIPPED, -2), (K.RETURNED, 1), (K.RETURNED, 1),
                                 (K.WRITTEN_OFF, -1)]
    assert ledger(w.massager) == [(K.RECEIVED, 50), (K.RECEIVED, 10), (K.SHIPPED, -2), (K.SHIPPED, -1),
                                  (K.RETURNED, 1), (K.ADJUSTED, -1), (K.RETURNED, 2)]
