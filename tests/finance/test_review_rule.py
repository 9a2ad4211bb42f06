"""A prepaid order (bank transfer, card) is not reviewed, so not shipped, before finance has recorded its
money in full; a cash-on-delivery order is reviewed as before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hotline.finance.actions.payments import do_correct_payment, do_record_payment
from hotline.logistics.actions import do_review_orders
from hotline.logistics.models import Shipment
from hotline.orders.models import Order, Status
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


@pytest.mark.parametrize("method", ["transfer", "card"])
def test_an_unpaid_prepaid_order_is_flagged_with_why_and_not_reviewed(fw: FinanceWorld, method: str) -> None:
    order = fw.w.place(payment_method=method)
    result = do_review_orders([order], actor=fw.w.clerk)
    assert (result.reviewed, result.flagged, result.confirmations) == (
        [], {order.pk: "Prepaid order not paid yet: ¥0.00 of ¥796.00 received."}, [])
    assert status_of(order) == Status.ORDERED
    assert not Shipment.objects.filter(order=order).exists()


def test_a_partly_paid_order_says_how_much_came_in(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    do_record_payment(order, method="transfer", amount="500.00", actor=fw.finance)
    assert do_review_orders([order], actor=fw.w.clerk).flagged == {
        order.pk: "Prepaid order not paid yet: ¥500.00 of ¥796.00 received."}
    assert status_of(order) == Status.ORDERED


def test_a_paid_prepaid_order_is_reviewed_and_owes_no_cash_at_the_door(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    do_record_payment(order, method="transfer", amount="500.00", actor=fw.finance)
    do_record_payment(order, method="transfer", amount="296.00", actor=fw.finance)

    result = do_review_orders([order], actor=fw.w.clerk)

    assert (result.reviewed, result.flagged) == ([order.pk], {})
    parcel = Shipment.objects.get(order=order)
    assert (status_of(order), parcel.cod_due, parcel.cod_fee) == (Status.REVIEWED, D("0.00"), D("0.00"))


def test_a_payment_corrected_away_flags_the_order_again(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="card")
    payment = do_record_payment(order, method="card", amount="796.00", actor=fw.finance)
    do_correct_payment(payment, reason="the card payment bounced", actor=fw.finance)
    assert do_review_orders([order], actor=fw.w.clerk).flagged == {
        order.pk: "Prepaid order not paid yet: ¥0.00 of ¥796.00 received."}


def test_a_cash_on_delivery_order_is_reviewed_without_any_payment(fw: FinanceWorld) -> None:
    cod, prepaid = fw.w.place(), fw.w.place(payment_method="transfer")
    result = do_review_orders([cod, prepaid], actor=fw.w.clerk)
    assert (result.reviewed, list(result.flagged)) == ([cod.pk], [prepaid.pk])
    parcel = Shipment.objects.get(order=cod)
    assert (status_of(cod), parcel.cod_due, parcel.cod_fee) == (Status.REVIEWED, D("796.00"), D("11.94"))
